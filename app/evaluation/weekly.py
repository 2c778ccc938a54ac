"""The Jalali week (issue 14): Saturday is the first day of the Iranian week, and a week's key is
"<Jalali year>-W<number>", where week N of year Y is the Nth week whose Saturday falls in Y (so "1405-W01" starts on
the first Saturday of Farvardin 1405, and the days of Farvardin before it close the last week of the year before).
Periods are [start, end) as the naive UTC the database stores, from Saturday 00:00 in Tehran."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import jdatetime
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.core.persian import persian_sort_key, tehran_day_start, to_tehran
from app.extensions import db
from app.jobs import outbox
from app.models import Agency, AgencyConnectionChange, Province, WeeklyReport, utcnow

KEY = re.compile(r"(\d{4})-W(\d{2})")


@dataclass(frozen=True)
class Week:
    year: int  # Jalali
    number: int
    first_day: date  # the Saturday (Gregorian)

    @property
    def key(self) -> str:
        return f"{self.year:04d}-W{self.number:02d}"

    @property
    def last_day(self) -> date:
        return self.first_day + timedelta(days=6)

    @property
    def start(self) -> datetime:
        return tehran_day_start(self.first_day)

    @property
    def end(self) -> datetime:
        return tehran_day_start(self.first_day + timedelta(days=7))

    def previous(self) -> Week:
        return week_of(self.first_day - timedelta(days=7))

    def next(self) -> Week:
        return week_of(self.first_day + timedelta(days=7))


def _first_saturday(jalali_year: int) -> date:
    new_year = jdatetime.date(jalali_year, 1, 1)
    return new_year.togregorian() + timedelta(days=(7 - new_year.weekday()) % 7)  # jdatetime: Saturday is 0


def week_of(day: date) -> Week:
    """The week holding a (Gregorian, Tehran) day."""
    saturday = day - timedelta(days=jdatetime.date.fromgregorian(date=day).weekday())
    year = jdatetime.date.fromgregorian(date=saturday).year
    return Week(year, (saturday - _first_saturday(year)).days // 7 + 1, saturday)


def week_at(moment: datetime) -> Week:
    """The week holding a stored moment (naive UTC)."""
    return week_of(to_tehran(moment).date())


def parse_key(text: str) -> Week | None:
    """The week a key names; None for anything malformed or a week number the year does not have."""
    match = KEY.fullmatch(text or "")
    if match is None:
        return None
    year, number = int(match.group(1)), int(match.group(2))
    if not 1 <= year <= 3177 or number < 1:
        return None
    try:
        saturday = _first_saturday(year) + timedelta(days=7 * (number - 1))
    except ValueError:
        return None
    found = week_of(saturday)
    return found if found.key == f"{year:04d}-W{number:02d}" else None


# --- the weekly connection report ------------------------------------------------------------------------------

JOB_KIND = "weekly_connection_report"
COUNTED = ("connected", "redirect", "not_connected", "late")


def _counts(statuses: dict[int, str], late: dict[int, int]) -> dict[str, int]:
    counts = dict.fromkeys(COUNTED, 0)
    for agency_id, status in statuses.items():
        counts[status] += 1
        if late.get(agency_id, 0) > 0:
            counts["late"] += 1
    return counts


def figures_for(week: Week, as_of: datetime) -> dict[str, Any]:
    """The report's figures: counts at `as_of` (the week's end, or now for the week under way) against the week
    before's end, the agencies that connected during the week and the agencies late at `as_of`."""
    from app.evaluation.connections import connection_figures

    session = db.session()
    now = connection_figures(session, as_of)
    before = connection_figures(session, week.start)
    agencies = {
        row.id: row
        for row in session.execute(
            select(
                Agency.id, Agency.code, Agency.name, Agency.connection_deadline, Province.name.label("province")
            ).outerjoin(Province, Province.id == Agency.province_id)
        ).all()
    }
    connected: dict[int, datetime] = {}
    for agency_id, changed_at in session.execute(
        select(AgencyConnectionChange.agency_id, AgencyConnectionChange.changed_at)
        .where(
            AgencyConnectionChange.to_status == "connected",
            AgencyConnectionChange.from_status.is_not(None),
            AgencyConnectionChange.changed_at >= week.start,
            AgencyConnectionChange.changed_at < min(as_of, week.end),
        )
        .order_by(AgencyConnectionChange.changed_at)
    ).all():
        connected[agency_id] = changed_at  # the last time it connected in the week

    def entry(agency_id: int) -> dict[str, Any]:
        row = agencies[agency_id]
        status, late = now.get(agency_id, ("not_connected", 0))
        return {
            "code": row.code,
            "name": row.name,
            "province": row.province or "",
            "status": status,
            "deadline": row.connection_deadline.isoformat() if row.connection_deadline else None,
            "days_late": late,
            "connected_at": connected[agency_id].isoformat() if agency_id in connected else None,
        }

    def by_name(item: dict[str, Any]) -> list[int]:
        return persian_sort_key(item["name"])

    connected_rows = sorted((entry(a) for a in connected if a in agencies), key=by_name)
    late_rows = sorted(
        (entry(a) for a, (_status, late) in now.items() if late > 0 and a in agencies),
        key=lambda item: (-item["days_late"], by_name(item)),
    )
    return {
        "as_of": as_of.isoformat(),
        "agencies": len(now),
        "counts": _counts({a: s for a, (s, _l) in now.items()}, {a: late for a, (_s, late) in now.items()}),
        "previous": _counts({a: s for a, (s, _l) in before.items()}, {a: late for a, (_s, late) in before.items()}),
        "connected": connected_rows,
        "late": late_rows,
    }


def report(key: str) -> WeeklyReport | None:
    return db.session.execute(select(WeeklyReport).filter_by(week_key=key)).scalar_one_or_none()


def generate(week: Week, now: datetime | None = None) -> WeeklyReport | None:
    """Store the report of a week in the caller's transaction. A week already stored after its end never changes
    (None: nothing done); the week under way (or a stored report generated before its week ended) is written again
    as of now. A week that has not begun yet has no report (None)."""
    now = now or utcnow()
    if week.start > now:
        return None
    found = report(week.key)
    if found is not None and found.complete:
        return None
    as_of = min(now, week.end)
    figures = figures_for(week, as_of)
    if found is None:
        found = WeeklyReport(week_key=week.key, period_start=week.start, period_end=week.end)
        db.session.add(found)
    found.generated_at, found.figures = now, figures
    db.session.flush()
    return found


def last_complete_week(now: datetime | None = None) -> Week:
    return week_at(now or utcnow()).previous()


def archive() -> list[WeeklyReport]:
    """Every stored report, newest week first."""
    return list(db.session.execute(select(WeeklyReport).order_by(WeeklyReport.period_start.desc())).scalars())


@outbox.handler(JOB_KIND, label=_l("گزارش هفتگی اتصال دستگاه‌ها"))
def run_report(job: Any) -> None:
    """The weekly job (app/jobs/tasks.py schedules it with the week's key): that week's report, once."""
    week = parse_key(job.ref)
    if week is not None:
        generate(week)
