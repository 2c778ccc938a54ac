"""Demo history for the connection status and the weekly report (issue 14): a deadline for each demo agency, nine
weeks of status changes that end in the catalogue's statuses (most agencies connected over the weeks, some only
linking out, some still not connected and late), and the stored weekly reports of the last eight weeks and of the
week under way, so /reports/weekly has an archive on a fresh bin/serve. Idempotent: nothing when any status change
other than an agency's first record exists already."""

from datetime import timedelta

from sqlalchemy import select, update

from app.core.persian import to_tehran
from app.evaluation import connections, weekly
from app.extensions import db
from app.models import Agency, AgencyConnectionChange, utcnow

WEEKS = 8
NOTE = "تاریخچهٔ نمایشی"


def load() -> int:
    """Write the history and the reports; returns the rows created (0 when the history is there already)."""
    if db.session.execute(
        select(AgencyConnectionChange.id).where(AgencyConnectionChange.from_status.is_not(None)).limit(1)
    ).first():
        return 0
    now = utcnow()
    today = to_tehran(now).date()
    began = now - timedelta(weeks=WEEKS + 1)
    agencies = db.session.execute(select(Agency).order_by(Agency.code)).scalars().all()
    for agency in agencies:
        connections.record_initial_status(agency, at=began)
    db.session.flush()
    # History begins nine weeks ago: every agency's first record moves there, in the state it started from.
    db.session.execute(
        update(AgencyConnectionChange)
        .where(AgencyConnectionChange.from_status.is_(None))
        .values(changed_at=began)
        .execution_options(synchronize_session=False)
    )
    created = 0
    for index, agency in enumerate(agencies):
        final = agency.connection_status
        first = db.session.execute(
            select(AgencyConnectionChange).where(AgencyConnectionChange.agency_id == agency.id)
        ).scalar_one()
        if final == "connected" and index % 3 == 0:
            agency.connection_deadline = today - timedelta(days=90 + index % 20)  # connected in time, long ago
            continue
        if final == "not_connected":
            # Two in three past their deadline (late), the rest with time left.
            days = 5 + (index * 7) % 50
            agency.connection_deadline = today - timedelta(days=days) if index % 3 else today + timedelta(days=days)
            continue
        # Started not connected, then linked out or connected on a day of the last eight weeks.
        offset = timedelta(days=(index * 5) % (WEEKS * 7), hours=9 + index % 6)
        moment = began + timedelta(weeks=1) + offset
        if final == "connected":
            agency.connection_deadline = to_tehran(began).date() + timedelta(days=21 + (index * 3) % 40)
        else:
            agency.connection_deadline = today - timedelta(days=10 + index % 30)  # linking out is still late
        first.to_status = agency.connection_status = "not_connected"
        db.session.flush()  # set_connection_status reads the agency afresh
        connections.set_connection_status(agency, final, None, NOTE, at=min(moment, now - timedelta(hours=1)))
        created += 1
    db.session.flush()
    week = weekly.week_at(now)
    for back in range(WEEKS, -1, -1):
        if weekly.generate(week if back == 0 else weekly.week_of(week.first_day - timedelta(weeks=back))):
            created += 1
    return created
