"""The one state machine for requests: transitions are data; every change is a RequestEvent.

Desk, account, counter and API ask check() whether an action is allowed and call advance() to take it; only
filing.file_request submits a draft (through record_submission). None changes Request.status itself.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask
from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm.exc import StaleDataError

from app.adapters import sms
from app.administration import audit
from app.core.errors import RuleError
from app.core.persian import local_digits
from app.extensions import db
from app.models import Attachment, Request, RequestEvent, Role, User, utcnow
from app.requests import sla

CITIZEN, OFFICER, SYSTEM, CLERK = "citizen", "officer", "system", "clerk"

STATUS_LABELS = {
    "draft": _l("پیش‌نویس"),
    "submitted": _l("ثبت شده"),
    "in_review": _l("در حال بررسی"),
    "needs_info": _l("نیاز به اطلاعات بیشتر"),
    "resubmitted": _l("تکمیل شده، در انتظار بررسی"),
    "approved": _l("تأیید شده"),
    "rejected": _l("رد شده"),
    "delivered": _l("تحویل شده"),
    "withdrawn": _l("انصراف داده شده"),
}
OPEN_STATES = Request.OPEN_STATUSES
DECIDED_STATES = ("approved", "rejected", "delivered", "withdrawn")


@dataclass(frozen=True)
class Transition:
    action: str
    sources: tuple
    target: str | None  # None: the state does not change (a message)
    actors: tuple
    label: object
    needs_message: bool = False
    notify: object = None  # SMS text to the applicant, formatted with the tracking code


TRANSITIONS = (
    Transition("submit", ("draft",), "submitted", (CITIZEN, CLERK, SYSTEM), _l("ثبت درخواست")),
    Transition("take", ("submitted", "resubmitted"), "in_review", (OFFICER,), _l("شروع بررسی")),
    Transition(
        "ask_info",
        ("in_review",),
        "needs_info",
        (OFFICER,),
        _l("درخواست اطلاعات یا مدرک"),
        needs_message=True,
        notify=_l("پنجره: برای درخواست %(code)s اطلاعات یا مدرکی لازم است. به صفحهٔ درخواست سر بزنید."),
    ),
    Transition("answer", ("needs_info",), "resubmitted", (CITIZEN,), _l("پاسخ و ارسال دوباره"), needs_message=True),
    Transition(
        "approve", ("in_review",), "approved", (OFFICER,), _l("تأیید"), notify=_l("پنجره: درخواست %(code)s تأیید شد.")
    ),
    Transition(
        "reject",
        ("in_review",),
        "rejected",
        (OFFICER,),
        _l("رد درخواست"),
        needs_message=True,
        notify=_l("پنجره: درخواست %(code)s رد شد. دلیل را در صفحهٔ درخواست ببینید."),
    ),
    Transition(
        "deliver",
        ("approved",),
        "delivered",
        (OFFICER,),
        _l("تحویل نتیجه"),
        notify=_l("پنجره: نتیجهٔ درخواست %(code)s آماده است."),
    ),
    Transition("withdraw", OPEN_STATES, "withdrawn", (CITIZEN,), _l("انصراف از درخواست")),
    Transition("message", OPEN_STATES + ("approved",), None, (CITIZEN, OFFICER), _l("پیام"), needs_message=True),
)
BY_ACTION = {t.action: t for t in TRANSITIONS}


class WorkflowError(RuleError):
    """A transition the state machine refuses."""


class ChangedError(WorkflowError):
    """Someone else changed the request between the page being read and the action being taken."""


CHANGED = _l("این درخواست همین حالا تغییر کرد؛ صفحه را دوباره باز کنید.")


def actor_kind(user: User | None) -> str | None:
    """How a user acts on a request; None when they have no part in it."""
    if user is None:
        return SYSTEM
    if user.role == Role.CITIZEN:
        return CITIZEN
    if user.role in (Role.AGENCY_OFFICER, Role.AGENCY_MANAGER):
        return OFFICER
    if user.role in (Role.CLERK, Role.OFFICE_MANAGER):
        return CLERK
    return None


def allowed_actions(request: Request, user: User | None) -> list[Transition]:
    kind = actor_kind(user)
    return [t for t in TRANSITIONS if request.status in t.sources and kind in t.actors and t.action != "submit"]


def status_label(status: str) -> str:
    """The Persian name of a status; an unknown one (a row written outside the state machine) as it is."""
    label = STATUS_LABELS.get(status)
    return str(label) if label is not None else str(status)


def days_left(request: Request, now: datetime | None = None) -> int | None:
    """The SLA clock: whole days until the card's declared duration runs out (due_at, set at submission); negative
    when late, None without a duration or once the request is decided."""
    if request.due_at is None or request.status not in OPEN_STATES:
        return None
    # A day begun counts as a day (app/requests/sla.py): a 5-day service filed a minute ago has 5 days left, not 4;
    # a minute late is a day late. While the request waits for the citizen the clock shows the moment it stopped.
    moment = sla.clock_now(request, now)
    late = sla.days_late(request.due_at, moment)
    return -late if late else sla.days_remaining(request.due_at, moment)


def check(
    request: Request,
    action: str,
    user: User | None,
    message: str = "",
    attachments: Sequence[object] = (),
    result_note: str | None = None,
) -> str | None:
    """Whether `user` may take `action` on `request` now: None, or the Persian reason why not.

    The one place that says so: advance() refuses what it refuses, and the desk, the account pages and the API
    ask it before they confirm or take an action. `attachments` counts only whether there is one."""
    transition = BY_ACTION.get(action)
    if transition is None:
        return _("این کار شناخته نیست.")
    if action == "submit":
        # Submitting validates the answers and allocates the tracking code: only file_request does that.
        return _("پیش‌نویس فقط با فرستادن فرم درخواست ثبت می‌شود.")
    if actor_kind(user) not in transition.actors:
        return _("شما نمی‌توانید این کار را روی این درخواست انجام دهید.")
    if request.status not in transition.sources:
        return _("این کار در وضعیت «%(status)s» ممکن نیست.", status=status_label(request.status))
    if transition.needs_message and not (message or "").strip():
        return _("متن پیام یا دلیل را بنویسید.")
    if action == "deliver" and not (attachments or (result_note or "").strip()):
        return _("برای تحویل، سند نتیجه را پیوست کنید یا شیوهٔ دریافت را بنویسید.")
    return None


def advance(
    request: Request,
    action: str,
    user: User | None,
    message: str = "",
    attachments: Sequence[Attachment] = (),
    result_note: str | None = None,
) -> RequestEvent:
    """Apply one action, or raise WorkflowError and change nothing. The caller commits.

    The request's row is written (and its version checked) here, before any SMS is queued: when another action
    on the same request got there first, this raises ChangedError with the session rolled back."""
    error = check(request, action, user, message, attachments, result_note)
    if error is not None:
        raise WorkflowError(error)
    event = _apply(request, BY_ACTION[action], user, message, attachments, result_note)
    try:
        db.session.flush()
    except StaleDataError:
        db.session.rollback()
        raise ChangedError(str(CHANGED)) from None
    _notify(request, BY_ACTION[action])
    return event


def record_submission(request: Request, user: User | None, attachments: Sequence[Attachment] = ()) -> RequestEvent:
    """The submit event of a request that file_request has validated and given its tracking code; nothing else
    calls this. Nothing is flushed: file_request commits, and a clash surfaces there."""
    if request.status != "draft" or not request.tracking_code:
        raise WorkflowError(_("این پیش‌نویس قبلاً فرستاده شده است."))
    return _apply(request, BY_ACTION["submit"], user, "", attachments, None)


def _apply(request, transition, user, message, attachments, result_note):
    kind = actor_kind(user)
    message = (message or "").strip()
    source = request.status
    now = utcnow()
    # Written even when the state does not change (a message), so every action versions the row and two
    # actions at once cannot both pass on what they read.
    request.updated_at = now
    if transition.target is not None:
        request.status = transition.target
        if transition.target == "submitted":
            request.submitted_at = now
            days = request.revision.duration_days if request.revision else 0
            request.due_at = now + timedelta(days=days) if days else None
        if transition.target in ("approved", "rejected"):
            request.decided_at = now
        if transition.target == "delivered":
            request.delivered_at = now
            request.result_note = (result_note or "").strip()
        # The SLA clock stands still while the request waits for the citizen (app/requests/sla.py).
        if transition.target == "needs_info":
            sla.pause(request, now)
        elif source == "needs_info":
            sla.resume(request, now)
    # The officer's first action on a request nobody holds assigns it to them.
    if kind == OFFICER and user is not None and request.assignee_id is None and transition.action != "submit":
        request.assignee = user
    event = RequestEvent(
        request=request,
        action=transition.action,
        from_status=source,
        to_status=transition.target or source,
        actor=user,
        actor_kind=_event_actor(kind, request),
        message=message or (result_note or "").strip(),
        created_at=now,
    )
    db.session.add(event)
    for attachment in attachments:
        attachment.request = request
        attachment.event = event
        db.session.add(attachment)
    return event


def _notify(request, transition):
    if transition.notify is not None and request.applicant.mobile:
        text = local_digits(str(transition.notify) % {"code": request.tracking_code})
        sms.send(request.applicant.mobile, text, purpose="status")


def _event_actor(kind, request):
    """Who acted, as the citizen sees it: the agency or the office, never an officer's name."""
    return {OFFICER: "agency", CLERK: "office", CITIZEN: "citizen"}.get(kind, "system")


def next_step_for_citizen(request: Request) -> LazyString | str:
    """The one thing the applicant should do next, shown in 'my requests'."""
    return {
        "draft": _l("درخواست را کامل کنید و بفرستید."),
        "needs_info": _l("اطلاعات یا مدرک خواسته‌شده را بفرستید."),
        "approved": _l("منتظر تحویل نتیجه باشید."),
        "delivered": _l("نتیجه را دریافت کنید."),
    }.get(request.status, _l("کاری لازم نیست؛ منتظر بررسی دستگاه باشید.") if request.status in OPEN_STATES else "")


def event_title(event: RequestEvent, labels: Mapping[str, object] = STATUS_LABELS) -> str:
    transition = BY_ACTION.get(event.action)
    return str(transition.label) if transition else event.action


def event_actor(event: RequestEvent, request: Request) -> str:
    """The agency or the office that acted, the applicant, or the system — never an officer's name."""
    if event.actor_kind == "agency":
        return request.agency.name
    if event.actor_kind == "office":
        return request.office.name if request.office else _("دفتر پیشخوان")
    if event.actor_kind == "citizen":
        return _("متقاضی")
    return _("سامانه")


def register_template_helpers(app: Flask) -> None:
    from app.core.identifiers import shown_tracking_code

    app.add_template_filter(shown_tracking_code, "tracking_code")
    app.jinja_env.globals.update(event_title=event_title, event_actor=event_actor, status_labels=STATUS_LABELS)


# --- assignment (the desk): the officer a request is assigned to; the citizen only ever sees the agency ----------


class AssignmentError(WorkflowError):
    """An assignment the rules refuse."""


def assign(request: Request, officer: User, by: User, seen_version: int | None = None) -> None:
    """Assign `request` to `officer`: an officer takes an unassigned request for themself (by is officer), the agency
    manager gives it to any active officer of the same agency. Written to the audit log; the caller commits.

    `seen_version` is the request's version on the page the choice was made on: when someone changed the request
    since, or another manager reassigns it at the same moment, this raises ChangedError and changes nothing."""
    if seen_version is not None and seen_version != request.version:
        raise ChangedError(str(CHANGED))
    if request.status not in Request.DESK_STATUSES:
        raise AssignmentError(_("درخواست بسته شده را نمی‌توان ارجاع داد."))
    if officer.role not in (Role.AGENCY_OFFICER, Role.AGENCY_MANAGER) or not officer.is_active_account:
        raise AssignmentError(_("این حساب کارشناس فعال دستگاه نیست."))
    if officer.agency_id != request.agency_id or by.agency_id != request.agency_id:
        raise AssignmentError(_("فقط می‌توان به کارشناسان همین دستگاه ارجاع داد."))
    if by.id != officer.id and by.role != Role.AGENCY_MANAGER:
        raise AssignmentError(_("فقط مدیر دستگاه درخواست را به کارشناس دیگری ارجاع می‌دهد."))
    if by.id == officer.id and request.assignee_id not in (None, officer.id) and by.role != Role.AGENCY_MANAGER:
        raise AssignmentError(_("این درخواست به کارشناس دیگری سپرده شده است."))
    if request.assignee_id == officer.id:
        return
    before = {"assignee": request.assignee.public_id if request.assignee else ""}
    request.assignee = officer
    request.updated_at = utcnow()  # versions the row: two reassignments at once cannot both win
    try:
        db.session.flush()
    except StaleDataError:
        db.session.rollback()
        raise ChangedError(str(CHANGED)) from None
    audit.record(by, "request.assign", "request", request.tracking_code, before, {"assignee": officer.public_id})
