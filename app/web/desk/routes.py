"""Desk pages: the inbox and a request with the actions the state machine allows."""

import re

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from app.core.errors import attach, refuse
from app.core.pagination import keyset_page
from app.extensions import db
from app.models import Request, Service
from app.people.auth import role_required
from app.permissions import AGENCY_STAFF, request_for, requests_visible_to, services_of_agency
from app.requests import attachments, workflow
from app.requests.formdefs import display_answers, stored_definition
from app.web.desk import bp
from app.web.desk.forms import DeskActionForm

PAGE_SIZE = 50
CURSOR = re.compile(r"[A-Za-z0-9_-]{1,32}")  # a Request.public_id (new_public_id: URL-safe base64)


@bp.get("/")
@role_required(*AGENCY_STAFF)
def inbox():
    status = request.args.get("status", "open")
    service_code = request.args.get("service", "")
    query = requests_visible_to(current_user).options(joinedload(Request.service), joinedload(Request.revision))
    if status == "open":
        query = query.where(Request.awaiting_desk())
    elif status in workflow.STATUS_LABELS:
        query = query.where(Request.status == status)
    if service_code:
        query = query.where(Request.service.has(Service.code == service_code))
    # Oldest first, paged by position: the links carry the public handle of the row the page starts after or
    # ends before; a cursor that is malformed, unknown or out of scope just shows the first page.
    found = keyset_page(
        query,
        (Request.submitted_at, Request.id),
        after=_inbox_position(request.args.get("after")),
        before=_inbox_position(request.args.get("before")),
        size=PAGE_SIZE,
    )
    services = db.session.execute(services_of_agency(current_user).order_by(Service.title)).scalars().all()
    return render_template(
        "desk/inbox.html",
        requests=found.items,
        before=found.items[0].public_id if found.has_prev else None,
        after=found.items[-1].public_id if found.has_next else None,
        status=status,
        service_code=service_code,
        services=services,
        days_left=workflow.days_left,
        labels=workflow.STATUS_LABELS,
    )


def _inbox_position(handle):
    """(submitted_at, id) of the request a cursor names, if the officer may see it; None for anything else."""
    if not handle or not CURSOR.fullmatch(handle):
        return None
    row = db.session.execute(
        requests_visible_to(current_user)
        .with_only_columns(Request.submitted_at, Request.id)
        .where(Request.public_id == handle)
    ).first()
    return tuple(row) if row is not None and row.submitted_at is not None else None


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
        answers=display_answers(stored_definition(found.revision), found.answers),
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
    if not form.validate_on_submit():
        return _render(found, form, status=400)
    upload = form.document.data if getattr(form.document.data, "filename", "") else None
    error = workflow.check(
        found,
        action,
        current_user,
        message=form.message.data,
        attachments=[upload] if upload else (),
        result_note=form.result_note.data,
    )
    if error is not None:
        refuse(form, error, "message", on_form=bool(workflow.allowed_actions(found, current_user)))
        return _render(found, form, status=400)
    if action in CONFIRM and request.form.get("confirm") != "yes":
        return _render(found, form, confirm=action)
    stored = []
    try:
        if upload:
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
    except workflow.ChangedError as error:  # another officer acted first: the page as it is now, and why
        attachments.discard(stored)
        refuse(form, error.message, "message", on_form=bool(workflow.allowed_actions(found, current_user)))
        return _render(found, form, status=409)
    except (workflow.WorkflowError, attachments.UploadError) as error:
        attach(form, error, "message")
        attachments.discard(stored)
        return _render(found, form, status=400)
    flash(_("انجام شد: %(action)s", action=workflow.BY_ACTION[action].label))
    return redirect(url_for(".request_page", code=found.tracking_code))
