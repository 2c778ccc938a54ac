"""The citizen's feedback (issue 14): the rating panel of the request page, and their complaints — the list, a new
one (about one of their requests or a service), each with the agency's reply, and closing it."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.catalogue import queries as catalogue
from app.core.errors import attach
from app.core.persian import fold_digits
from app.extensions import db
from app.feedback import complaints, ratings
from app.feedback.forms import CloseForm, ComplaintForm, RatingForm
from app.models import Complaint, Request, Role
from app.people.auth import role_required
from app.permissions import complaint_for, complaints_visible_to, requests_visible_to
from app.web.account import bp


def rating_panel(found: Request, form: RatingForm | None = None) -> dict:
    """What the request page shows about rating: the rating given, or the form once the result is delivered."""
    return {
        "rating": ratings.rating_of(found) if found.status == ratings.RATABLE_STATUS else None,
        "rating_form": form or RatingForm(),
        "star_labels": ratings.STAR_LABELS,
    }


@bp.get("/account/complaints")
@role_required(Role.CITIZEN)
def complaints_list():
    rows = db.session.execute(complaints_visible_to(current_user).order_by(Complaint.id.desc())).scalars().all()
    return render_template("account/complaints.html", complaints=rows, labels=complaints.STATE_LABELS)


def _own_requests():
    query = requests_visible_to(current_user).where(Request.status != "draft").order_by(Request.id.desc())
    return db.session.execute(query.limit(50)).scalars().all()


def _new_page(form, status=200):
    form.request.choices = [("", _("بدون کد رهگیری (شکایت دربارهٔ یک خدمت)"))] + [
        (r.tracking_code, f"{r.service.title} — {r.tracking_code}") for r in _own_requests() if r.tracking_code
    ]
    return render_template("account/complaint_new.html", form=form), status


@bp.route("/account/complaints/new", methods=["GET", "POST"])
@role_required(Role.CITIZEN)
def complaint_new():
    form = ComplaintForm()
    if request.method == "GET":
        form.request.data = request.args.get("request", "")[:20]
        return _new_page(form)
    if not form.validate_on_submit():
        return _new_page(form, 400)
    about, service = None, None
    if form.request.data:
        about = db.session.execute(
            requests_visible_to(current_user).where(Request.tracking_code == form.request.data)
        ).scalar_one_or_none()
        if about is None:
            form.request.errors = [_("این درخواست در فهرست درخواست‌های شما نیست.")]
            return _new_page(form, 400)
    else:
        code = fold_digits(form.service.data or "").strip()
        service = catalogue.service_by_code(code) if code.isdigit() else None
        if service is None:
            form.service.errors = [_("خدمتی با این کد پیدا نشد؛ کد را از صفحهٔ شناسنامهٔ خدمت بردارید.")]
            return _new_page(form, 400)
    try:
        complaint = complaints.file_complaint(current_user, form.body.data, request=about, service=service)
        db.session.commit()
    except complaints.ComplaintError as error:
        attach(form, error, "body")
        return _new_page(form, 400)
    flash(complaints.filed_message(complaint))
    return redirect(url_for(".complaint_page", reference=complaint.reference))


@bp.get("/account/complaints/<reference>")
@role_required(Role.CITIZEN)
def complaint_page(reference):
    found = complaint_for(current_user, reference)
    return render_template("account/complaint.html", complaint=found, form=CloseForm(), labels=complaints.STATE_LABELS)


@bp.post("/account/complaints/<reference>/close")
@role_required(Role.CITIZEN)
def complaint_close(reference):
    found = complaint_for(current_user, reference)
    form = CloseForm()
    try:
        if not form.validate_on_submit():
            raise complaints.ComplaintError(_("صفحه را دوباره باز کنید و دوباره بزنید."))
        complaints.close(found, current_user)
        db.session.commit()
    except complaints.ComplaintError as error:
        attach(None, error)
        return render_template(
            "account/complaint.html", complaint=found, form=form, labels=complaints.STATE_LABELS
        ), 400
    flash(_("شکایت بسته شد."))
    return redirect(url_for(".complaint_page", reference=found.reference))
