"""Desk pages: the inbox and a request with the actions the state machine allows."""

import math

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from app.core.errors import attach
from app.extensions import db
from app.models import Request, Service, utcnow
from app.people.auth import role_required
from app.permissions import AGENCY_STAFF, request_for, requests_visible_to, services_of_agency
from app.requests import attachments, workflow
from app.requests.formdefs import definition_for, display_answers
from app.web.desk import bp
from app.web.desk.forms import DeskActionForm

PAGE_SIZE = 50


@bp.get("/")
@role_required(*AGENCY_STAFF)
def inbox():
    status = request.args.get("status", "open")
    service_code = request.args.get("service", "")
    query = requests_visible_to(current_user).options(joinedload(Request.service), joinedload(Request.revision))
    if status == "open":
        query = query.where(Request.status.in_(workflow.OPEN_STATES + ("approved",)))
    elif status in workflow.STATUS_LABELS:
        query = query.where(Request.status == status)
    if service_code:
        query = query.where(Request.service.has(Service.code == service_code))
    page = max(request.args.get("page", 1, type=int), 1)
    rows = (
        db.session.execute(
            query.order_by(Request.submitted_at, Request.id).limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE)
        )
        .scalars()
        .all()
    )
    services = db.session.execute(services_of_agency(current_user).order_by(Service.title)).scalars().all()
    return render_template(
        "desk/inbox.html",
        requests=rows[:PAGE_SIZE],
        has_more=len(rows) > PAGE_SIZE,
        page=page,
        status=status,
        service_code=service_code,
        services=services,
        days_left=days_left,
        labels=workflow.STATUS_LABELS,
    )


def days_left(found, now=None):
    """Whole days until the card's declared duration runs out; negative when late, None without a duration."""
    if found.due_at is None or found.status not in workflow.OPEN_STATES:
        return None
    seconds = (found.due_at - (now or utcnow())).total_seconds()
    # A day begun counts as a day: a 5-day service filed a minute ago has 5 days left, not 4.
    return math.ceil(seconds / 86400) if seconds >= 0 else -math.ceil(-seconds / 86400)


@bp.get("/requests/<code>")
@role_required(*AGENCY_STAFF)
def request_page(code):
    return _render(request_for(current_user, code), DeskActionForm())


def _render(found, form, status=200, confirm=None):
    return render_template(
        "desk/request.html",
        req=found,
        form=form,
        confirm=confirm,
        labels=workflow.STATUS_LABELS,
        answers=display_answers(definition_for(found.revision), found.answers),
        actions=workflow.allowed_actions(found, current_user),
    ), status


# Actions that cannot be undone are confirmed once more on the same page before they happen.
CONFIRM = {"reject"}


@bp.post("/requests/<code>/act")
@role_required(*AGENCY_STAFF)
def act(code):
    found = request_for(current_user, code)
    form = DeskActionForm()
    action = request.form.get("action", "")
    if action not in workflow.BY_ACTION:
        abort(400)
    stored = []
    if form.validate_on_submit():
        if action in CONFIRM and request.form.get("confirm") != "yes":
            error = _precheck(found, action, form)
            if error is None:
                return _render(found, form, confirm=action)
            form.message.errors = [error]
            return _render(found, form, status=400)
        try:
            upload = form.document.data
            if upload and getattr(upload, "filename", ""):
                stored.append(
                    attachments.store(
                        upload,
                        field_name="result" if action == "deliver" else "desk",
                        kind="result" if action == "deliver" else "agency",
                        uploaded_by=current_user,
                    )
                )
            workflow.advance(
                found,
                action,
                current_user,
                message=form.message.data,
                attachments=stored,
                result_note=form.result_note.data,
            )
            db.session.commit()
            flash(_("انجام شد: %(action)s", action=workflow.BY_ACTION[action].label))
            return redirect(url_for(".request_page", code=found.tracking_code))
        except (workflow.WorkflowError, attachments.UploadError) as error:
            attach(form, error, "message")
            attachments.discard(stored)
    return _render(found, form, status=400)


def _precheck(found, action, form):
    """Refuse before asking for confirmation what the state machine would refuse anyway."""
    transition = workflow.BY_ACTION[action]
    if found.status not in transition.sources:
        return _("این کار در وضعیت «%(status)s» ممکن نیست.", status=workflow.STATUS_LABELS[found.status])
    if transition.needs_message and not (form.message.data or "").strip():
        return _("متن پیام یا دلیل را بنویسید.")
    if action == "deliver" and not (
        (form.result_note.data or "").strip() or (form.document.data and getattr(form.document.data, "filename", ""))
    ):
        return _("برای تحویل، سند نتیجه را پیوست کنید یا شیوهٔ دریافت را بنویسید.")
    return None
