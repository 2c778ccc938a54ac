"""The SLA clock of a request, honestly kept: it stops while the request waits for the citizen (needs_info), the
due date moves on by the time it stood still, and lateness counts started days. Also the daily summary of overdue
requests each agency manager receives (an outbox job, scheduled every morning by app/jobs/tasks.py).
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import BindParameter, ColumnElement, and_, bindparam, func, select

from app.adapters import sms
from app.core.persian import local_digits
from app.extensions import db
from app.jobs import outbox
from app.models import Agency, Job, Request, Role, User, utcnow

DAY = 86400
PAUSED_NOTE = _l("ساعت مهلت متوقف است: در انتظار پاسخ متقاضی")
SUMMARY_KIND = "desk.overdue_summary"


def days_late(due_at: datetime | None, now: datetime) -> int:
    """Whole days late, counting a started day as a day: 1 second to 24 hours after the due moment is 1 day, a
    request due 3 days and a few hours ago is 4 days late; at or before the due moment 0. The one rule."""
    if due_at is None or now <= due_at:
        return 0
    return math.ceil((now - due_at).total_seconds() / DAY)


def days_remaining(due_at: datetime, now: datetime) -> int:
    """Whole days left before the due moment, a started day counting as a day (a 5-day service filed a minute
    ago has 5 days left); 0 at the due moment itself."""
    return math.ceil(max((due_at - now).total_seconds(), 0) / DAY)


def clock_now(request: Request, now: datetime | None = None) -> datetime:
    """The moment the request's clock shows: now, or the moment it stopped while it waits for the citizen."""
    return request.clock_paused_at or now or utcnow()


def is_paused(request: Request) -> bool:
    return request.clock_paused_at is not None and request.status == "needs_info"


def pause(request: Request, now: datetime) -> None:
    """The request starts waiting for the citizen: the clock stops (once; a second ask keeps the first moment)."""
    if request.clock_paused_at is None:
        request.clock_paused_at = now


def resume(request: Request, now: datetime) -> None:
    """The citizen answered (or the request left needs_info): the due date moves on by the time the clock stood."""
    if request.clock_paused_at is None:
        return
    if request.due_at is not None:
        request.due_at = request.due_at + max(now - request.clock_paused_at, timedelta(0))
    request.clock_paused_at = None


def overdue(now: datetime) -> ColumnElement[bool]:
    """Open, with a running clock, and past the due moment: the SQL of the desk's «دیرکرد» view."""
    # The statuses as literals in the SQL: the planners then use the partial index ix_request_desk_overdue.
    statuses: BindParameter[list[str]] = bindparam(
        "overdue_statuses", list(Request.OPEN_STATUSES), expanding=True, literal_execute=True
    )
    return and_(
        Request.status.in_(statuses),
        Request.clock_paused_at.is_(None),
        Request.due_at.is_not(None),
        Request.due_at < now,
    )


# --- the daily summary to agency managers --------------------------------------------------------------------

SUMMARY = _l(
    "پنجره، %(agency)s: %(count)s درخواست باز از مهلت گذشته است؛ بیشترین دیرکرد %(days)s روز. کارتابل، «دیرکرد»."
)


def overdue_counts(now: datetime) -> dict[int, tuple[int, datetime]]:
    """agency id → (overdue requests, the earliest due date among them)."""
    rows = db.session.execute(
        select(Request.agency_id, func.count(), func.min(Request.due_at))
        .where(overdue(now))
        .group_by(Request.agency_id)
    ).all()
    return {agency_id: (count, earliest) for agency_id, count, earliest in rows}


def schedule_summary(day: str) -> Job:
    """The day's summary as one outbox job (the caller commits): the worker sends it, retrying as the outbox does."""
    return outbox.schedule(SUMMARY_KIND, day)


@outbox.handler(SUMMARY_KIND, label=_l("خلاصهٔ روزانهٔ دیرکرد برای مدیران دستگاه"))
def send_summary(job: Job) -> None:
    """One SMS to each active agency manager with a mobile, for each agency with overdue requests. The messages are
    written in the job's own transaction, so a retry after a lost commit does not send them twice."""
    now = utcnow()
    counts = overdue_counts(now)
    if not counts:
        return
    managers = db.session.execute(
        select(User, Agency)
        .join(Agency, Agency.id == User.agency_id)
        .where(
            User.role == Role.AGENCY_MANAGER,
            User.is_active_account.is_(True),
            User.mobile.is_not(None),
            User.agency_id.in_(list(counts)),
        )
        .order_by(User.id)
    ).all()
    for manager, agency in managers:
        count, earliest = counts[agency.id]
        text = local_digits(str(SUMMARY) % {"agency": agency.name, "count": count, "days": days_late(earliest, now)})
        sms.send(manager.mobile, text, purpose="status")
