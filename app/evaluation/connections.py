"""Agencies' connection status over time (issue 14): set_connection_status() is the one way a status changes (it
records who, when, from and to, and audits it); the status of every agency at any past moment is read back from that
history, and an agency is late when its deadline to connect has passed and it is not connected ("redirect" only links
out, so it is not connected)."""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.administration import audit
from app.core.errors import RuleError
from app.core.persian import to_tehran
from app.extensions import db
from app.models import Agency, AgencyConnectionChange, User, utcnow

STATUSES = Agency.CONNECTION_STATUSES


class ConnectionRuleError(RuleError):
    """A connection status or deadline the rules do not allow."""


def _change(
    agency: Agency, from_status: str | None, to_status: str, by: User | None, note: str, at: datetime | None
) -> AgencyConnectionChange:
    change = AgencyConnectionChange(
        agency=agency,  # by the relationship: an agency the importer has not flushed yet has no id
        from_status=from_status,
        to_status=to_status,
        changed_by_id=by.id if by is not None else None,
        changed_at=at or utcnow(),
        note=(note or "").strip()[:1000],
    )
    db.session.add(change)
    return change


def set_connection_status(
    agency: Agency,
    status: str,
    by: User | None,
    note: str = "",
    at: datetime | None = None,
    *,
    refresh: bool = True,
) -> AgencyConnectionChange | None:
    """Change an agency's status, recording the change and an audit row in the caller's transaction; None when the
    status is already that (nothing is recorded). `at` is for history loaded after the fact (the demo); the
    importer, which writes the rows it has just checked without flushing, passes refresh=False."""
    if status not in STATUSES:
        raise ConnectionRuleError(_("وضعیت اتصال را انتخاب کنید."), "connection_status")
    if refresh:
        audit.lock()
        db.session.refresh(agency)
    before = agency.connection_status
    if before == status:
        return None
    agency.connection_status = status
    change = _change(agency, before, status, by, note, at)
    audit.record(
        by,
        "agency.connection",
        "agency",
        agency.code,
        {"connection_status": before},
        {"connection_status": status, **({"note": change.note} if change.note else {})},
    )
    return change


def record_initial_status(
    agency: Agency, by: User | None = None, note: str = "", at: datetime | None = None
) -> AgencyConnectionChange | None:
    """The state an agency is first recorded in (created by an administrator or the importer, or when history
    began for an agency that had none): a row with no from_status. Nothing when the agency has history already."""
    if (
        agency.id is not None
        and db.session.execute(
            select(AgencyConnectionChange.id).where(AgencyConnectionChange.agency_id == agency.id).limit(1)
        ).first()
    ):
        return None
    return _change(agency, None, agency.connection_status or "not_connected", by, note, at)


def set_deadline(agency: Agency, deadline: date | None, by: User | None) -> bool:
    """Set (or clear) the last day to connect; audited; False when it was that already."""
    audit.lock()
    db.session.refresh(agency)
    before = agency.connection_deadline
    if before == deadline:
        return False
    agency.connection_deadline = deadline
    audit.record(
        by,
        "agency.connection_deadline",
        "agency",
        agency.code,
        {"connection_deadline": before.isoformat() if before else None},
        {"connection_deadline": deadline.isoformat() if deadline else None},
    )
    return True


def days_late(status: str, deadline: date | None, day: date) -> int:
    """Whole days past the deadline on `day` (a Tehran date) for an agency not connected; 0 when not late."""
    if status == "connected" or deadline is None:
        return 0
    return max(0, (day - deadline).days)


def statuses_at(session: Session, as_of: datetime) -> dict[int, str]:
    """Every agency's status at a moment (naive UTC), read from the history: the last change before it; for an
    agency whose first change comes later, the status that change started from; an agency first recorded after
    the moment is left out (it was not known then); an agency with no history at all has its current status."""
    current = dict(session.execute(select(Agency.id, Agency.connection_status)).tuples().all())
    changes = session.execute(
        select(
            AgencyConnectionChange.agency_id,
            AgencyConnectionChange.from_status,
            AgencyConnectionChange.to_status,
            AgencyConnectionChange.changed_at,
        ).order_by(AgencyConnectionChange.agency_id, AgencyConnectionChange.changed_at, AgencyConnectionChange.id)
    ).all()
    found: dict[int, str | None] = {}
    for agency_id, from_status, to_status, changed_at in changes:
        if changed_at < as_of:
            found[agency_id] = to_status
        elif agency_id not in found:
            found[agency_id] = from_status  # None: first recorded after the moment
    result = {}
    for agency_id, status in current.items():
        if agency_id not in found:
            result[agency_id] = status
        elif (known := found[agency_id]) is not None:
            result[agency_id] = known
    return result


def connection_figures(session: Session, as_of: datetime) -> dict[int, tuple[str, int]]:
    """For the scores: each agency's (status, days late) at a moment (naive UTC), status read from the history and
    lateness from its deadline on that moment's Tehran date."""
    day = to_tehran(as_of).date()
    deadlines = dict(session.execute(select(Agency.id, Agency.connection_deadline)).tuples().all())
    return {
        agency_id: (status, days_late(status, deadlines.get(agency_id), day))
        for agency_id, status in statuses_at(session, as_of).items()
    }


def history(agency: Agency) -> list[AgencyConnectionChange]:
    """An agency's changes, newest first, with who made them."""
    return list(
        db.session.execute(
            select(AgencyConnectionChange)
            .where(AgencyConnectionChange.agency_id == agency.id)
            .order_by(AgencyConnectionChange.changed_at.desc(), AgencyConnectionChange.id.desc())
        ).scalars()
    )
