"""The agency's feedback on the desk (issue 14): its complaints (list, detail, reply, close, flag) and its ratings'
comments (flag), scoped in the query to the officer's own agency."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.core.errors import attach
from app.core.pagination import paginate
from app.extensions import db
from app.feedback import complaints, ratings
from app.feedback.forms import ComplaintActionForm, FlagForm
from app.models import Complaint, Rating
from app.people.auth import role_required
from app.permissions import AGENCY_STAFF, complaint_for, complaints_visible_to, rating_for, ratings_visible_to
from app.web.desk import bp

PAGE_SIZE = 50


@bp.get("/complaints")
@role_required(*AGENCY_STAFF)
def complaints_list():
    state = request.args.get("state", "")
    query = complaints_visible_to(current_user)
    if state in complaints.STATE_LABELS:
        query = query.where(Complaint.state == state)
    found = paginate(query.order_by(Complaint.id.desc()), request.args.get("page"), PAGE_SIZE)
    return render_template(
        "desk/complaints.html", page=found, labels=complaints.STATE_LABELS, state=state, due_at=complaints.due_at
    )


def complaint_render(found, form=None, flag_form=None, status=200, layout="desk"):
    """The complaint page of the desk or the administration (one macro, components/feedback.html, in each mode's
    own layout)."""
    return render_template(
        f"{layout}/complaint.html",
        complaint=found,
        form=form or ComplaintActionForm(),
        flag_form=flag_form or FlagForm(flag=found.flag),
        labels=complaints.STATE_LABELS,
        flag_labels=ratings.FLAG_LABELS,
        due_at=complaints.due_at(found),
        action=url_for(f"{layout}.complaint_act", reference=found.reference),
    ), status


@bp.get("/complaints/<reference>")
@role_required(*AGENCY_STAFF)
def complaint_page(reference):
    return complaint_render(complaint_for(current_user, reference))


def complaint_action(found, endpoint, layout):
    """Reply, close or flag, as the button pressed says; the page again with the reason when refused."""
    action = request.form.get("action", "")
    form, flag_form = ComplaintActionForm(), FlagForm()
    target = flag_form if action == "flag" else form
    if action not in ("reply", "close", "flag") or not target.validate_on_submit():
        if action not in ("reply", "close", "flag"):
            form.reply.errors = [_("یکی از دکمه‌های پاسخ، بستن یا علامت را بزنید.")]
        return complaint_render(found, form, flag_form, 400, layout)
    try:
        if action == "reply":
            complaints.reply(found, form.reply.data or "", current_user)
        elif action == "close":
            complaints.close(found, current_user)
        else:
            complaints.flag(found, flag_form.flag.data or "", current_user)
        db.session.commit()
    except complaints.ComplaintError as error:
        attach(target, error, "flag" if action == "flag" else "reply")
        return complaint_render(found, form, flag_form, 400, layout)
    flash({"reply": _("پاسخ فرستاده شد."), "close": _("شکایت بسته شد."), "flag": _("علامت ثبت شد.")}[action])
    return redirect(url_for(endpoint, reference=found.reference))


@bp.post("/complaints/<reference>")
@role_required(*AGENCY_STAFF)
def complaint_act(reference):
    return complaint_action(complaint_for(current_user, reference), ".complaint_page", "desk")


def _ratings_page(status=200):
    query = ratings_visible_to(current_user).where(Rating.comment != "")
    found = paginate(query.order_by(Rating.id.desc()), request.args.get("page"), PAGE_SIZE)
    return render_template(
        "desk/ratings.html", page=found, flag_labels=ratings.FLAG_LABELS, star_labels=ratings.STAR_LABELS
    ), status


@bp.get("/ratings")
@role_required(*AGENCY_STAFF)
def ratings_list():
    """The agency's latest ratings with a comment, newest first (moderation: flag personal data or spam)."""
    return _ratings_page()


@bp.post("/ratings/<code>/flag")
@role_required(*AGENCY_STAFF)
def rating_flag(code):
    found = rating_for(current_user, code)
    form = FlagForm()
    if not form.validate_on_submit():
        flash(form.flag.errors[0] if form.flag.errors else _("صفحه را دوباره باز کنید و دوباره بزنید."), "error")
        return _ratings_page(400)
    ratings.flag(found, form.flag.data or "", current_user)
    db.session.commit()
    flash(_("علامت ثبت شد."))
    return redirect(url_for(".ratings_list"))
