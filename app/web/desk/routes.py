"""Desk pages: the inbox and a request with the actions the state machine allows."""

import re
from collections.abc import Callable
from datetime import datetime

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import ColumnElement
from sqlalchemy.orm import joinedload

from app import inquiries
from app.adapters import bus
from app.core.errors import attach, refuse
from app.core.pagination import keyset_page
from app.extensions import db
from app.inquiries.forms import AddInquiryForm, RetryInquiryForm
from app.models import Request, Service, User, utcnow
from app.people import data_access
from app.people.auth import role_required
from app.permissions import (
    AGENCY_STAFF,
    DESK_TABS,
    assignable_officer_for,
    assignable_officers,
    can_reassign,
    desk_tab,
    request_for,
    requests_visible_to,
    services_of_agency,
)
from app.requests import attachments, sla, workflow
from app.requests.formdefs import display_answers, stored_definition
from app.web.desk import bp
from app.web.desk.forms import ClaimForm, DeskActionForm, ReassignForm

PAGE_SIZE = 50
CURSOR = re.compile(r"[A-Za-z0-9_-]{1,32}")  # a Request.public_id (new_public_id: URL-safe base64)


# Flags of the inbox's filter form beside status and service: name → (label, condition at `now`). The inquiries
# package adds "waiting for inquiry" here (INBOX_FLAGS["inquiry"] = (label, condition)) without touching the view.
INBOX_FLAGS: dict[str, tuple[object, Callable[[datetime], ColumnElement[bool]]]] = {
    "overdue": (_l("فقط دیرکردها"), sla.overdue),
}
INBOX_FLAGS["inquiry"] = (_l("در انتظار استعلام"), inquiries.waiting_condition)
TAB_LABELS = {
    "mine": _l("مال من"),
    "unassigned": _l("بی‌مسئول"),
    "all": _l("همهٔ سازمان"),
    "late": _l("دیرکرد"),
}


@bp.get("/")
@role_required(*AGENCY_STAFF)
def inbox():
    tab = request.args.get("tab", "all")
    if tab not in DESK_TABS or (tab == "late" and not can_reassign(current_user)):
        tab = "all"
    status = request.args.get("status", "open")
    service_code = request.args.get("service", "")[:64]
    flags = [name for name in INBOX_FLAGS if request.args.get(name) == "1"]
    now = utcnow()
    # The row shows the service's title and the assignee's name; the revision (the form definition, the card) is
    # not needed here, and loading it for 50 rows was most of the page's database time on PostgreSQL.
    query = desk_tab(current_user, tab).options(
        joinedload(Request.service).load_only(Service.title, Service.code),
        joinedload(Request.assignee).load_only(User.full_name, User.username),
    )
    if status == "open":
        query = query.where(Request.awaiting_desk())
    elif status in workflow.STATUS_LABELS:
        query = query.where(Request.status == status)
    if service_code:
        query = query.where(Request.service.has(Service.code == service_code))
    if tab == "late":
        query = query.where(sla.overdue(now))
    for name in flags:
        query = query.where(INBOX_FLAGS[name][1](now))
    # Oldest first (the overdue ones: longest overdue first), paged by position: the links carry the public handle
    # of the row the page starts after or ends before; a cursor that is malformed, unknown or out of scope just
    # shows the first page.
    by_due = tab == "late" or "overdue" in flags
    keys = (Request.due_at, Request.id) if by_due else (Request.submitted_at, Request.id)
    found = keyset_page(
        query,
        keys,
        after=_inbox_position(request.args.get("after"), keys),
        before=_inbox_position(request.args.get("before"), keys),
        size=PAGE_SIZE,
    )
    services = db.session.execute(services_of_agency(current_user).order_by(Service.title)).scalars().all()
    params = {"tab": tab, "status": status, "service": service_code or None} | dict.fromkeys(flags, "1")
    return render_template(
        "desk/inbox.html",
        requests=found.items,
        before=found.items[0].public_id if found.has_prev else None,
        after=found.items[-1].public_id if found.has_next else None,
        tab=tab,
        tabs=[t for t in DESK_TABS if t != "late" or can_reassign(current_user)],
        tab_labels=TAB_LABELS,
        status=status,
        service_code=service_code,
        flags=flags,
        inbox_flags=INBOX_FLAGS,
        params=params,
        services=services,
        days_left=workflow.days_left,
        is_paused=sla.is_paused,
        waiting=inquiries.waiting_among([r.id for r in found.items]),
        labels=workflow.STATUS_LABELS,
    )


def _inbox_position(handle, keys):
    """The keys' values of the request a cursor names, if the officer may see it; None for anything else."""
    if not handle or not CURSOR.fullmatch(handle):
        return None
    row = db.session.execute(
        requests_visible_to(current_user).with_only_columns(*keys).where(Request.public_id == handle)
    ).first()
    return tuple(row) if row is not None and all(value is not None for value in row) else None


@bp.get("/requests/<code>")
@role_required(*AGENCY_STAFF)
def request_page(code):
    found = request_for(current_user, code)
    data_access.note_desk_use(current_user, found, data_access.VIEW_REQUEST, "request")
    return _render(found, DeskActionForm())


def _render(found, form, status=200, confirm=None, claim_form=None, reassign_form=None):
    return render_template(
        "desk/request.html",
        req=found,
        form=form,
        confirm=confirm,
        claim_form=claim_form or ClaimForm(version=found.version),
        reassign_form=reassign_form or _reassign_form(found),
        clock_paused=sla.is_paused(found),
        days_left=workflow.days_left,
        desk_statuses=Request.DESK_STATUSES,
        paused_note=sla.PAUSED_NOTE,
        labels=workflow.STATUS_LABELS,
        answers=display_answers(stored_definition(found.revision), found.answers),
        actions=workflow.allowed_actions(found, current_user),
        **_inquiry_context(found),
    ), status


# --- inquiries to other agencies (app/inquiries) ---------------------------------------------------------------


def _inquiry_context(found):
    add_form = g.get("add_inquiry_form") or AddInquiryForm()  # the refused form, with its error, when re-shown
    add_form.inquiry_type.choices = [("", _("انتخاب کنید"))] + [(t.code, t.title) for t in inquiries.types()]
    return {
        "inquiries": inquiries.for_request(found),
        "inquiry_labels": inquiries.STATE_LABELS,
        "inquiry_took": inquiries.time_taken,
        "inquiry_answer": inquiries.answer_rows,
        "inquiry_simulated": bus.is_simulator(),
        "retry_form": RetryInquiryForm(),
        "add_inquiry_form": add_form,
    }


@bp.post("/requests/<code>/inquiries/retry")
@role_required(*AGENCY_STAFF)
def retry_inquiry(code):
    """An officer asks a failed inquiry again (a fresh count of tries)."""
    found = request_for(current_user, code)
    form = RetryInquiryForm()
    if not form.validate_on_submit():
        abort(400)
    inquiry = next((i for i in inquiries.for_request(found) if str(i.id) == form.inquiry.data), None)
    if inquiry is None:
        abort(404)
    if inquiries.retry(inquiry, current_user):
        db.session.commit()
        flash(_("استعلام دوباره در نوبت قرار گرفت."))
    else:
        flash(_("این استعلام ناموفق نیست و دوباره فرستاده نشد."), "error")
    return redirect(url_for(".request_page", code=found.tracking_code))


@bp.post("/requests/<code>/inquiries")
@role_required(*AGENCY_STAFF)
def add_inquiry(code):
    """An officer adds an inquiry to another agency for this request."""
    found = request_for(current_user, code)
    form = AddInquiryForm()
    chosen = next((t for t in inquiries.types() if t.code == form.inquiry_type.data), None)
    if not form.validate_on_submit() or chosen is None:
        if chosen is None and not form.inquiry_type.errors:
            form.inquiry_type.errors = [_("استعلامی را از فهرست انتخاب کنید.")]
        g.add_inquiry_form = form
        return _render(found, DeskActionForm(), status=400)
    inquiries.add(found, chosen, current_user)
    db.session.commit()
    flash(_("استعلام «%(title)s» فرستاده شد.", title=chosen.title))
    return redirect(url_for(".request_page", code=found.tracking_code))


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


# --- assignment ------------------------------------------------------------------------------------------------


def _reassign_form(found, form=None):
    form = form or ReassignForm(version=found.version, officer=found.assignee.public_id if found.assignee else "")
    officers = db.session.execute(assignable_officers(current_user)).scalars().all()
    form.officer.choices = [(o.public_id, o.full_name or o.username or o.public_id) for o in officers]
    return form


def _seen_version(value):
    return int(value) if value and str(value).isdigit() else None


@bp.post("/requests/<code>/claim")
@role_required(*AGENCY_STAFF)
def claim(code):
    """«برداشتن»: the officer takes the request for themself."""
    found = request_for(current_user, code)
    form = ClaimForm()
    if not form.validate_on_submit():
        flash(_("صفحه را دوباره باز کنید و دوباره بزنید."), "error")
        return _render(found, DeskActionForm(), status=400, claim_form=form)
    try:
        workflow.assign(found, current_user, current_user, seen_version=_seen_version(form.version.data))
        db.session.commit()
    except workflow.ChangedError as error:
        db.session.rollback()
        flash(error.message, "error")
        return _render(request_for(current_user, code), DeskActionForm(), status=409)
    except workflow.WorkflowError as error:
        db.session.rollback()
        flash(error.message, "error")
        return _render(found, DeskActionForm(), status=400)
    flash(_("این درخواست به شما سپرده شد."))
    return redirect(url_for(".request_page", code=found.tracking_code))


@bp.post("/requests/<code>/reassign")
@role_required(*AGENCY_STAFF)
def reassign(code):
    """The agency manager gives the request to another officer of the agency."""
    found = request_for(current_user, code)
    if not can_reassign(current_user):
        abort(403)
    form = _reassign_form(found, ReassignForm())
    if not form.validate_on_submit():
        return _render(found, DeskActionForm(), status=400, reassign_form=form)
    officer = assignable_officer_for(current_user, form.officer.data or "")
    if officer is None:
        form.officer.errors = [_("فقط می‌توان به کارشناسان فعال همین دستگاه ارجاع داد.")]
        return _render(found, DeskActionForm(), status=400, reassign_form=form)
    try:
        workflow.assign(found, officer, current_user, seen_version=_seen_version(form.version.data))
        db.session.commit()
    except workflow.ChangedError as error:
        db.session.rollback()
        found = request_for(current_user, code)
        form = _reassign_form(found)
        form.officer.errors = [error.message]
        return _render(found, DeskActionForm(), status=409, reassign_form=form)
    except workflow.WorkflowError as error:
        db.session.rollback()
        form.officer.errors = [error.message]
        return _render(found, DeskActionForm(), status=400, reassign_form=form)
    flash(_("درخواست به %(name)s ارجاع شد.", name=officer.full_name or officer.username))
    return redirect(url_for(".request_page", code=found.tracking_code))
