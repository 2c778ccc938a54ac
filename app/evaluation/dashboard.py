"""The public dashboard's figures, nationally and per province, computed into stored snapshots (DashboardSnapshot) by a
nightly job and on first need, so that a page view reads one row.

What each figure means (the page's "how this is computed" section says the same in Persian):
- Scope. A province's figures count what belongs to it: a service is in a province when it is offered there (offered
  everywhere, or listed for that province: service_province); an agency is the province's when its province is that
  province (national agencies count only nationally); a request is the province's when its agency is the province's,
  or, for a national agency's request filed at a counter office, when the office is in the province. The national
  figures count everything.
- Services published: active services with a published card (the catalogue's own rule).
- Agencies connected: agencies whose connection status is "connected", of all agencies.
- Fully electronic: published services whose card has all four stages electronic and no in-person visit
  (Service.fully_electronic, kept from the current card), as a share of the services published, against the legal
  target of 30 %.
- Requests this month: requests submitted since the first day of the current Jalali month (Tehran time).
- Median processing time: over the requests decided in the last 90 days, from submission to decision, in whole days
  rounded up, by the nearest-rank method (app/evaluation/processing_times.py: the cards' own measure); not shown
  under PROCESSING_TIMES_MIN_SAMPLE decided requests.
- Requests per week: the current week (from Saturday) and the eleven before it, by channel: at a counter office, or
  online (the site itself and agencies' systems through the API).
- Fully electronic by agency: the ten agencies with the most published services (ties by code).
- Agencies by connection status.

Scale: a handful of grouped queries for every scope at once (services, services per province, agencies, services
per agency, requests by place and channel with one sum per period, decision times of the window); Python then
splits them by province. The only rows read one by one are the window's decided requests, for their median.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import jdatetime
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, select

from app.catalogue import version as catalogue_version
from app.core.db import upsert
from app.core.persian import jalali_date, persian_sort_key, tehran_day_start, to_tehran
from app.evaluation.processing_times import DEFAULT_MIN_SAMPLE, WINDOW_DAYS, nearest_rank, whole_days
from app.extensions import db
from app.jobs import outbox
from app.models import Agency, DashboardSnapshot, Office, Province, Request, Service, service_province, utcnow

NATIONAL = DashboardSnapshot.NATIONAL
TARGET_PERCENT = 30
WEEKS = 12
LARGEST = 10
CHARTS = ("weeks", "agencies", "connection")
CONNECTION_ORDER = ("connected", "redirect", "not_connected")
JOB_KIND = "dashboard_snapshots"


def _empty() -> dict[str, Any]:
    return {
        "services": 0,
        "electronic": 0,
        "agencies": 0,
        "connected": 0,
        "connection": dict.fromkeys(CONNECTION_ORDER, 0),
        "requests_month": 0,
        "median_days": None,
        "decided": 0,
        "weeks": [],
        "largest": [],
    }


def week_starts(today: date) -> list[date]:
    """The Saturdays (the Persian week's first day) of the current week and the WEEKS - 1 before it, oldest first."""
    current = today - timedelta(days=(today.weekday() - 5) % 7)
    return [current - timedelta(weeks=WEEKS - 1 - index) for index in range(WEEKS)]


def month_start(today: date) -> date:
    """The first day of today's Jalali month, as a Gregorian date."""
    return jdatetime.date.fromgregorian(date=today).replace(day=1).togregorian()


def compute(now: datetime | None = None) -> dict[str, dict[str, Any]]:
    """Every scope's figures: {"national": {...}, "<province code>": {...}} for all 31 provinces."""
    now = now or utcnow()
    today = to_tehran(now).date()
    provinces = db.session.execute(select(Province.id, Province.code)).all()
    code_of: dict[int, str] = {province_id: code for province_id, code in provinces}  # noqa: C416
    figures = {NATIONAL: _empty(), **{code: _empty() for _, code in provinces}}

    def scope_of(province_id: int | None) -> dict[str, Any] | None:
        return figures[code_of[province_id]] if province_id in code_of else None

    published = and_(Service.is_active, Service.current_revision_id.is_not(None))
    electronic = func.sum(case((Service.fully_electronic, 1), else_=0))
    everywhere = func.sum(case((Service.offered_everywhere, 1), else_=0))
    everywhere_electronic = func.sum(case((and_(Service.offered_everywhere, Service.fully_electronic), 1), else_=0))

    # Services: all of them, and those offered everywhere (in every province's count).
    total, total_electronic, all_over, all_over_electronic = db.session.execute(
        select(func.count(), electronic, everywhere, everywhere_electronic).where(published)
    ).one()
    figures[NATIONAL].update(services=int(total), electronic=int(total_electronic or 0))
    for _, code in provinces:
        figures[code].update(services=int(all_over or 0), electronic=int(all_over_electronic or 0))
    listed = db.session.execute(
        select(service_province.c.province_id, func.count(), electronic)
        .join(Service, Service.id == service_province.c.service_id)
        .where(published, Service.offered_everywhere.is_(False))
        .group_by(service_province.c.province_id)
    ).all()
    for province_id, count, count_electronic in listed:
        if (scope := scope_of(province_id)) is not None:
            scope["services"] += int(count)
            scope["electronic"] += int(count_electronic or 0)

    # Agencies by connection status.
    for province_id, status, count in db.session.execute(
        select(Agency.province_id, Agency.connection_status, func.count()).group_by(
            Agency.province_id, Agency.connection_status
        )
    ).all():
        for scope in filter(None, (figures[NATIONAL], scope_of(province_id))):
            scope["connection"][status] = scope["connection"].get(status, 0) + int(count)

    # Fully electronic by agency: the largest agencies of each scope.
    agencies = {
        row.id: row
        for row in db.session.execute(select(Agency.id, Agency.code, Agency.name, Agency.name_en, Agency.province_id))
    }
    per_agency = db.session.execute(
        select(Service.agency_id, func.count(), electronic).where(published).group_by(Service.agency_id)
    ).all()
    candidates: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for agency_id, count, count_electronic in per_agency:
        agency = agencies[agency_id]
        entry = {
            "code": agency.code,
            "name": agency.name,
            "name_en": agency.name_en,
            "services": int(count),
            "electronic": int(count_electronic or 0),
        }
        candidates[NATIONAL].append(entry)
        if agency.province_id in code_of:
            candidates[code_of[agency.province_id]].append(entry)
    for key, entries in candidates.items():
        figures[key]["largest"] = sorted(entries, key=lambda entry: (-entry["services"], entry["code"]))[:LARGEST]

    # Requests: this month and per week, by channel, in one pass.
    weeks = week_starts(today)
    bounds = [(tehran_day_start(start), tehran_day_start(start + timedelta(weeks=1))) for start in weeks]
    month_from = tehran_day_start(month_start(today))
    place = func.coalesce(Agency.province_id, Office.province_id)

    def in_period(start: datetime, end: datetime | None = None) -> Any:
        condition = (
            Request.submitted_at >= start
            if end is None
            else and_(Request.submitted_at >= start, Request.submitted_at < end)
        )
        return func.sum(case((condition, 1), else_=0))

    periods = [in_period(month_from)] + [in_period(start, end) for start, end in bounds]
    rows = db.session.execute(
        select(place, Request.channel, *periods)
        .select_from(Request)
        .join(Agency, Agency.id == Request.agency_id)
        .outerjoin(Office, Office.id == Request.office_id)
        .where(Request.submitted_at >= min(month_from, bounds[0][0]), Request.submitted_at <= now)
        .group_by(place, Request.channel)
    ).all()
    counts: dict[str, list[dict[str, int]]] = {key: [defaultdict(int) for _ in weeks] for key in figures}
    for province_id, channel, month, *per_week in rows:
        kind = "counter" if channel == "counter" else "online"
        for key in filter(None, (NATIONAL, code_of.get(province_id))):
            figures[key]["requests_month"] += int(month or 0)
            for index, count in enumerate(per_week):
                counts[key][index][kind] += int(count or 0)
    for key, scope in figures.items():
        scope["weeks"] = [
            {
                "start": start.isoformat(),
                "online": counts[key][index]["online"],
                "counter": counts[key][index]["counter"],
            }
            for index, start in enumerate(weeks)
        ]

    # Median processing time over the decisions of the window.
    durations: dict[str, list[float]] = defaultdict(list)
    for province_id, submitted, decided in db.session.execute(
        select(place, Request.submitted_at, Request.decided_at)
        .select_from(Request)
        .join(Agency, Agency.id == Request.agency_id)
        .outerjoin(Office, Office.id == Request.office_id)
        .where(
            Request.submitted_at.is_not(None),
            Request.decided_at > now - timedelta(days=WINDOW_DAYS),
            Request.decided_at <= now,
        )
    ):
        seconds = max((decided - submitted).total_seconds(), 0.0)
        for key in filter(None, (NATIONAL, code_of.get(province_id))):
            durations[key].append(seconds)
    minimum = max(int(current_app.config.get("PROCESSING_TIMES_MIN_SAMPLE", DEFAULT_MIN_SAMPLE)), 1)
    for key, values in durations.items():
        values.sort()
        figures[key]["decided"] = len(values)
        if len(values) >= minimum:
            figures[key]["median_days"] = whole_days(nearest_rank(values, 0.5))

    for scope in figures.values():
        scope["agencies"] = sum(scope["connection"].values())
        scope["connected"] = scope["connection"]["connected"]
        scope["month"] = month_start(today).isoformat()
    return figures


def store(now: datetime | None = None) -> int:
    """Compute every scope and keep it, in the caller's transaction; cached public pages are left behind (the page
    cache is keyed by the catalogue version), so the next visitor reads the new figures."""
    now = now or utcnow()
    figures = compute(now)
    for scope, values in figures.items():
        db.session.execute(
            upsert(
                DashboardSnapshot.__table__,
                ["scope"],
                values={"scope": scope, "computed_at": now, "figures": values},
                set_={"computed_at": now, "figures": values},
            )
        )
    catalogue_version.bump()
    return len(figures)


@outbox.handler(JOB_KIND, label=_l("داشبورد عمومی"))
def run_snapshots(job: Any) -> None:
    """The nightly job (app/jobs/tasks.py schedules it): every scope computed again."""
    store()


def snapshot(scope: str) -> DashboardSnapshot | None:
    """The stored figures of a scope; the first need of any computes them all (and commits)."""
    found = db.session.execute(select(DashboardSnapshot).filter_by(scope=scope)).scalar_one_or_none()
    if found is None and db.session.execute(select(DashboardSnapshot.id).limit(1)).first() is None:
        store()
        db.session.commit()
        found = db.session.execute(select(DashboardSnapshot).filter_by(scope=scope)).scalar_one_or_none()
    return found


def provinces() -> list[Province]:
    rows = db.session.execute(select(Province)).scalars().all()
    return sorted(rows, key=lambda province: persian_sort_key(province.name))


def province_by_code(code: str) -> Province | None:
    return db.session.execute(select(Province).filter_by(code=code)).scalar_one_or_none()


# --- the tables under the charts (and their CSV/XLSX files: the same rows) -------------------------------------


@dataclass(frozen=True)
class Table:
    headers: list[str]
    rows: list[list[Any]]


def share(part: int, whole: int) -> float:
    """A percentage with one decimal (0 of nothing is 0)."""
    return round(100 * part / whole, 1) if whole else 0.0


def weeks_table(figures: dict[str, Any], headers: Sequence[str]) -> Table:
    rows = []
    for week in figures["weeks"]:
        start = date.fromisoformat(week["start"])
        rows.append(
            [jalali_date(start, persian=False), week["online"], week["counter"], week["online"] + week["counter"]]
        )
    return Table(list(headers), rows)


def agencies_table(figures: dict[str, Any], headers: Sequence[str], english: bool = False) -> Table:
    rows = [
        [
            (entry["name_en"] or entry["name"]) if english else entry["name"],
            entry["services"],
            entry["electronic"],
            share(entry["electronic"], entry["services"]),
        ]
        for entry in figures["largest"]
    ]
    return Table(list(headers), rows)


def connection_table(figures: dict[str, Any], headers: Sequence[str], labels: dict[str, Any]) -> Table:
    return Table(
        list(headers), [[str(labels[status]), figures["connection"].get(status, 0)] for status in CONNECTION_ORDER]
    )


def month_label(figures: dict[str, Any]) -> str:
    """The Jalali year/month the month's figure counts, Latin digits (the page localises them)."""
    start = jdatetime.date.fromgregorian(date=date.fromisoformat(figures["month"]))
    return f"{start.year:04d}/{start.month:02d}"
