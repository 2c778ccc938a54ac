"""Agency scores out of 100 under a published method (issue 14).

The registry below is the contract between the indicator modules: each indicator is a function that returns, for
every agency it has data on, a Figure (numerator / denominator, and the ratio that earns full points). Points are
weight × min(ratio / target, 1). Weights live in WEIGHTS so the method page and the formula are one table.
"""

from __future__ import annotations

import importlib
import math
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, distinct, func, insert, select
from sqlalchemy.orm import Session

from app.extensions import db
from app.jobs import outbox
from app.models import (
    Agency,
    Inquiry,
    InquiryType,
    Link,
    LinkReference,
    Request,
    ScoreLine,
    ScoreSnapshot,
    ScoreTotal,
    Service,
    ServiceInquiry,
    ServiceRevision,
    utcnow,
)

# The four axes of the national evaluation round.
AXES = {
    "user_centred": _l("کاربرمحور"),
    "transparent": _l("شفاف"),
    "integrated": _l("یکپارچه و هوشمند"),
    "participatory": _l("مشارکتی"),
}


@dataclass(frozen=True)
class Figure:
    """One agency's data for one indicator: e.g. 12 of 40 services fully electronic, against a 30 % target."""

    numerator: float
    denominator: float
    target: float = 1.0

    @property
    def ratio(self) -> float | None:
        return None if not self.denominator else self.numerator / self.denominator


Compute = Callable[[Session, datetime], dict[int, Figure]]


@dataclass(frozen=True)
class Indicator:
    key: str
    axis: str
    title: object  # lazy string
    data: object  # lazy string: which of the system's data it reads
    compute: Compute


INDICATORS: dict[str, Indicator] = {}


def indicator(key: str, *, axis: str, title: object, data: object) -> Callable[[Compute], Compute]:
    """Register an indicator; its weight is WEIGHTS[key]."""

    def register(compute: Compute) -> Compute:
        assert axis in AXES, axis
        INDICATORS[key] = Indicator(key=key, axis=axis, title=title, data=data, compute=compute)
        return compute

    return register


# ---------------------------------------------------------------------------------------------------------------------
# The method: weights (summing to 100) and targets. A change to either is a new METHOD_VERSION; every snapshot keeps
# the weight and target each of its lines was scored against, so an old snapshot reads the same after a change.

METHOD_VERSION = "1"

WEIGHTS: dict[str, float] = {
    # user-centred (25)
    "decided_in_time": 15,
    "measured_vs_declared": 10,
    # transparent (20)
    "card_completeness": 10,
    "link_health": 10,
    # integrated and smart (35)
    "fully_electronic": 15,
    "connection": 10,
    "inquiries_on_time": 5,
    "once_only": 5,
    # participatory (20): registered by app/evaluation/feedback.py
    "satisfaction": 10,
    "complaints_in_time": 10,
}

# The legal target: 30 % of an agency's services fully electronic earns the full points.
FULLY_ELECTRONIC_TARGET = 0.30
WINDOW_DAYS = 90  # requests decided / inquiries due in the last 90 days before as_of
DAY_SECONDS = 24 * 3600

# The card fields that count towards completeness: what a citizen needs to know before going anywhere.
CARD_FIELDS: dict[str, object] = {
    "summary": _l("شرح خدمت"),
    "audience": _l("گیرندگان خدمت"),
    "conditions": _l("شرایط"),
    "documents": _l("مدارک لازم"),
    "procedure": _l("مراحل انجام"),
    "channels": _l("روش‌های دریافت خدمت"),
    "duration_days": _l("زمان انجام"),
}

# Modules that register indicators of their own (imported before a computation; absent ones are skipped).
PROVIDERS = ("app.evaluation.feedback",)
# The axis and title of the indicators those modules register, for the method page and the breakdown while a module
# is absent (each is then "no data" for every agency).
EXPECTED: dict[str, tuple[str, object]] = {
    "satisfaction": ("participatory", _l("رضایت شهروندان")),
    "complaints_in_time": ("participatory", _l("پاسخ به موقع به شکایت‌ها")),
}


def axis_of(key: str) -> str:
    return INDICATORS[key].axis if key in INDICATORS else EXPECTED[key][0]


def title_of(key: str) -> object:
    return INDICATORS[key].title if key in INDICATORS else EXPECTED.get(key, ("", key))[1]


def load_providers() -> None:
    for name in PROVIDERS:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as error:
            if error.name != name:
                raise


def method() -> list[tuple[str, object, list[tuple[Indicator | None, str, float]]]]:
    """The method page's table: each axis with its indicators (None while an indicator's module is absent)."""
    load_providers()
    axes: dict[str, list[tuple[Indicator | None, str, float]]] = {axis: [] for axis in AXES}
    for key, weight in WEIGHTS.items():
        axes[axis_of(key)].append((INDICATORS.get(key), key, weight))
    return [(axis, AXES[axis], rows) for axis, rows in axes.items()]


def points(weight: float, figure: Figure | None) -> float:
    """weight × min(ratio / target, 1); no data (no figure, or a denominator of 0) earns 0 points."""
    ratio = None if figure is None else figure.ratio
    if ratio is None:
        return 0.0
    target = figure.target if figure is not None and figure.target > 0 else 1.0
    return round(weight * min(ratio / target, 1.0), 2)


# ---------------------------------------------------------------------------------------------------------------------
# The indicators. Each reads the data as of `as_of` where the data carry a time (requests, inquiries); the catalogue
# (cards and their current approved revision), link states and connection status are read as they stand when the
# snapshot is computed, and the snapshot keeps the numbers.


def _seconds_between(session: Session, later: Any, earlier: Any) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", later - earlier)
    return (func.julianday(later) - func.julianday(earlier)) * DAY_SECONDS


def _published(query: Any) -> Any:
    return query.where(Service.is_active.is_(True), Service.current_revision_id.is_not(None))


@indicator(
    "fully_electronic",
    axis="integrated",
    title=_l("خدمات کاملاً الکترونیکی"),
    data=_l(
        "خدمات منتشرشدهٔ دستگاه که هر چهار مرحله‌شان (اطلاع‌رسانی، درخواست، پردازش، تحویل) الکترونیکی است و "
        "هیچ مراجعهٔ حضوری ندارند، بر پایهٔ نسخهٔ تأییدشدهٔ کنونی شناسنامه؛ هدف قانونی ۳۰٪ خدمات است."
    ),
)
def fully_electronic(session: Session, as_of: datetime) -> dict[int, Figure]:
    electronic = and_(
        *(getattr(ServiceRevision, "stage_" + stage) == "electronic" for stage in ServiceRevision.STAGES),
        ServiceRevision.in_person_visits == 0,
    )
    rows = session.execute(
        _published(
            select(Service.agency_id, func.count(), func.sum(case((electronic, 1), else_=0)))
            .join(ServiceRevision, ServiceRevision.id == Service.current_revision_id)
            .group_by(Service.agency_id)
        )
    ).all()
    return {agency: Figure(int(done or 0), int(total), FULLY_ELECTRONIC_TARGET) for agency, total, done in rows}


@indicator(
    "card_completeness",
    axis="transparent",
    title=_l("کامل بودن شناسنامهٔ خدمات"),
    data=_l("سهم بخش‌های لازمِ پرشده در شناسنامهٔ خدمات منتشرشدهٔ دستگاه (فهرست بخش‌ها در همین صفحه)."),
)
def card_completeness(session: Session, as_of: datetime) -> dict[int, Figure]:
    columns = [getattr(ServiceRevision, name) for name in CARD_FIELDS]
    rows = session.execute(
        _published(
            select(Service.agency_id, *columns).join(ServiceRevision, ServiceRevision.id == Service.current_revision_id)
        )
    ).all()
    filled: dict[int, int] = defaultdict(int)
    total: dict[int, int] = defaultdict(int)
    for agency, *values in rows:
        total[agency] += len(values)
        filled[agency] += sum(1 for value in values if (value > 0 if isinstance(value, int) else bool(value)))
    return {agency: Figure(filled[agency], total[agency]) for agency in total}


@indicator(
    "link_health",
    axis="transparent",
    title=_l("سلامت پیوندها"),
    data=_l(
        "سهم پیوندهای شناسنامه‌ها و وبگاه دستگاه که در بررسی روزانه «خراب» نیستند، از پیوندهایی که دست‌کم "
        "یک بار بررسی شده‌اند."
    ),
)
def link_health(session: Session, as_of: datetime) -> dict[int, Figure]:
    rows = session.execute(
        select(
            LinkReference.agency_id,
            func.count(distinct(Link.id)),
            func.count(distinct(case((Link.state != "broken", Link.id)))),
        )
        .join(Link, Link.id == LinkReference.link_id)
        .where(Link.state != "pending")
        .group_by(LinkReference.agency_id)
    ).all()
    return {agency: Figure(int(working), int(total)) for agency, total, working in rows}


CONNECTION_VALUES = {"connected": 1.0, "redirect": 0.5, "not_connected": 0.0}


@indicator(
    "connection",
    axis="integrated",
    title=_l("اتصال به پنجره"),
    data=_l(
        "وضعیت اتصال دستگاه در لحظهٔ محاسبه (از تاریخچهٔ وضعیت): متصل ۱، فقط ارجاع ۰٫۵، متصل‌نشده ۰؛ دستگاهی که "
        "از مهلت اتصالش گذشته و متصل نشده («دیرکرد») ۰."
    ),
)
def connection(session: Session, as_of: datetime) -> dict[int, Figure]:
    """Status as it was at as_of (the connection history) and lateness against the deadline on that day, from
    app/evaluation/connections.py (the weekly report reads the same): late, whatever the status, is 0."""
    from app.evaluation.connections import connection_figures

    return {
        agency: Figure(0.0 if late else CONNECTION_VALUES.get(status, 0.0), 1)
        for agency, (status, late) in connection_figures(session, as_of).items()
    }


@indicator(
    "decided_in_time",
    axis="user_centred",
    title=_l("رسیدگی در زمان اعلام‌شده"),
    data=_l(
        "از درخواست‌هایی که در ۹۰ روز گذشته دربارهٔ آن‌ها تصمیم گرفته شده (پذیرش یا رد)، سهم آن‌ها که تا "
        "موعد اعلام‌شده (زمان انجامِ شناسنامه، با توقف ساعت هنگام انتظار برای شهروند) تصمیم گرفته شدند."
    ),
)
def decided_in_time(session: Session, as_of: datetime) -> dict[int, Figure]:
    in_time = and_(Request.due_at.is_not(None), Request.decided_at <= Request.due_at)
    rows = session.execute(
        select(Request.agency_id, func.count(), func.sum(case((in_time, 1), else_=0)))
        .where(
            Request.decided_at.is_not(None),
            Request.decided_at > as_of - timedelta(days=WINDOW_DAYS),
            Request.decided_at <= as_of,
        )
        .group_by(Request.agency_id)
    ).all()
    return {agency: Figure(int(done or 0), int(total)) for agency, total, done in rows}


@indicator(
    "measured_vs_declared",
    axis="user_centred",
    title=_l("زمان واقعی در برابر زمان اعلام‌شده"),
    data=_l(
        "سهم خدماتی که میانهٔ زمان واقعی رسیدگی‌شان (از ثبت تا تصمیم، ۹۰ روز گذشته) از زمان اعلام‌شده در "
        "شناسنامه بیشتر نیست؛ فقط خدماتی که به اندازهٔ کمینهٔ نمونه درخواست دارند شمرده می‌شوند."
    ),
)
def measured_vs_declared(session: Session, as_of: datetime) -> dict[int, Figure]:
    # The nearest-rank median of n durations is within D days exactly when at least ceil(n/2) of them are: one
    # grouped count per service instead of sorting every duration (the card's figure, app/evaluation/
    # processing_times.py, rounds up to whole days, which gives the same answer for a whole number D >= 1).
    declared = ServiceRevision.duration_days * DAY_SECONDS
    within = _seconds_between(session, Request.decided_at, Request.submitted_at) <= declared
    rows = session.execute(
        _published(
            select(Service.agency_id, func.count(Request.id), func.sum(case((within, 1), else_=0)))
            .join(ServiceRevision, ServiceRevision.id == Service.current_revision_id)
            .join(Request, Request.service_id == Service.id)
            .where(
                ServiceRevision.duration_days > 0,
                Request.submitted_at.is_not(None),
                Request.decided_at.is_not(None),
                Request.decided_at > as_of - timedelta(days=WINDOW_DAYS),
                Request.decided_at <= as_of,
            )
            .group_by(Service.agency_id, Service.id)
        )
    ).all()
    minimum = _min_sample()
    services: dict[int, int] = defaultdict(int)
    honest: dict[int, int] = defaultdict(int)
    for agency, count, within_count in rows:
        if count < minimum:
            continue
        services[agency] += 1
        honest[agency] += int((within_count or 0) >= math.ceil(count / 2))
    return {agency: Figure(honest[agency], services[agency]) for agency in services}


def _min_sample() -> int:
    try:
        return max(int(current_app.config.get("PROCESSING_TIMES_MIN_SAMPLE", 20)), 1)
    except RuntimeError:  # outside an application (the benchmark builds one, so this is only a fallback)
        return 20


@indicator(
    "inquiries_on_time",
    axis="integrated",
    title=_l("پاسخ به موقع به استعلام‌ها"),
    data=_l(
        "از استعلام‌هایی که موعد پاسخشان در ۹۰ روز گذشته بوده، سهم آن‌ها که دستگاه پاسخ‌دهنده تا موعد پاسخ "
        "داده است (به حساب دستگاهی که استعلام از آن می‌شود)."
    ),
)
def inquiries_on_time(session: Session, as_of: datetime) -> dict[int, Figure]:
    on_time = and_(Inquiry.answered_at.is_not(None), Inquiry.answered_at <= Inquiry.due_at)
    rows = session.execute(
        select(InquiryType.agency_id, func.count(), func.sum(case((on_time, 1), else_=0)))
        .join(InquiryType, InquiryType.id == Inquiry.inquiry_type_id)
        .where(
            Inquiry.due_at.is_not(None),
            Inquiry.due_at > as_of - timedelta(days=WINDOW_DAYS),
            Inquiry.due_at <= as_of,
        )
        .group_by(InquiryType.agency_id)
    ).all()
    return {agency: Figure(int(done or 0), int(total)) for agency, total, done in rows}


@indicator(
    "once_only",
    axis="integrated",
    title=_l("یک‌بار پرسیدن"),
    data=_l(
        "سهم خدمات منتشرشدهٔ دستگاه که شناسنامه‌شان دست‌کم یک استعلام جایگزین مدرک اعلام می‌کند (شهروند آن "
        "مدرک را نمی‌آورد)."
    ),
)
def once_only(session: Session, as_of: datetime) -> dict[int, Figure]:
    totals: dict[int, int] = {
        agency: int(count)
        for agency, count in session.execute(
            _published(select(Service.agency_id, func.count()).group_by(Service.agency_id))
        ).all()
    }
    # The card's documents an inquiry replaces, by the rule the card itself shows (app/inquiries replaced_documents:
    # the type's document texts or the declaration's own indexes or texts), for every card in one query.
    rows = session.execute(
        _published(
            select(
                Service.agency_id, Service.id, ServiceRevision.documents, ServiceInquiry.replaces, InquiryType.replaces
            )
            .join(ServiceRevision, ServiceRevision.id == Service.current_revision_id)
            .join(ServiceInquiry, ServiceInquiry.service_id == Service.id)
            .join(InquiryType, InquiryType.id == ServiceInquiry.inquiry_type_id)
        )
    ).all()
    replacing: dict[int, set[int]] = defaultdict(set)
    for agency, service, documents, own, typed in rows:
        named = [*(typed or []), *(own or [])]
        texts = {entry.strip() for entry in named if isinstance(entry, str)}
        indexes = {entry for entry in named if isinstance(entry, int) and not isinstance(entry, bool)}
        if any(
            index in indexes or (isinstance(text, str) and text.strip() in texts)
            for index, text in enumerate(documents or [])
        ):
            replacing[agency].add(service)
    return {agency: Figure(len(replacing[agency]), int(total)) for agency, total in totals.items()}


# ---------------------------------------------------------------------------------------------------------------------
# Computing and storing a snapshot.


@dataclass
class AgencyScore:
    agency_id: int
    province_id: int | None
    lines: dict[str, tuple[Figure | None, float]]  # key -> (figure, points)
    axes: dict[str, float]
    score: float = 0.0
    rank: int = 0


def compute(session: Session, as_of: datetime) -> list[AgencyScore]:
    """Every agency's score as of `as_of`, ranked (equal scores share a rank: 1, 2, 2, 4)."""
    load_providers()
    figures = {key: INDICATORS[key].compute(session, as_of) for key in WEIGHTS if key in INDICATORS}
    agencies = session.execute(select(Agency.id, Agency.province_id, Agency.code).order_by(Agency.code)).all()
    scores = []
    for agency_id, province_id, _code in agencies:
        lines: dict[str, tuple[Figure | None, float]] = {}
        axes = dict.fromkeys(AXES, 0.0)
        for key, weight in WEIGHTS.items():
            figure = figures.get(key, {}).get(agency_id)
            earned = points(weight, figure)
            lines[key] = (figure, earned)
            axes[axis_of(key)] += earned
        axes = {axis: round(value, 2) for axis, value in axes.items()}
        score = round(sum(earned for _figure, earned in lines.values()), 2)
        scores.append(AgencyScore(agency_id, province_id, lines, axes, score))
    scores.sort(key=lambda s: -s.score)  # stable: equal scores keep the agencies' code order
    for index, item in enumerate(scores):
        same = index and scores[index - 1].score == item.score
        item.rank = scores[index - 1].rank if same else index + 1
    return scores


def store(kind: str = "nightly", as_of: datetime | None = None, *, actor: Any = None) -> ScoreSnapshot:
    """Compute and write a snapshot in the caller's transaction (bulk inserts), and leave cached public pages behind
    so the new scores show at once. An on-demand snapshot is audited."""
    from app.administration import audit
    from app.catalogue import version as catalogue_version

    started = time.monotonic()
    as_of = as_of or utcnow()
    session = db.session
    scores = compute(session(), as_of)
    snapshot = ScoreSnapshot(
        computed_at=utcnow(), as_of=as_of, kind=kind, method_version=METHOD_VERSION, agencies=len(scores)
    )
    session.add(snapshot)
    session.flush()
    if scores:
        session.execute(
            insert(ScoreTotal),
            [
                {
                    "snapshot_id": snapshot.id,
                    "agency_id": item.agency_id,
                    "province_id": item.province_id,
                    "score": item.score,
                    "rank": item.rank,
                    **item.axes,
                }
                for item in scores
            ],
        )
    lines = [
        {
            "snapshot_id": snapshot.id,
            "agency_id": item.agency_id,
            "indicator": key,
            "numerator": figure.numerator if figure else 0.0,
            "denominator": figure.denominator if figure else 0.0,
            "target": figure.target if figure else _target(key),
            "weight": WEIGHTS[key],
            "points": earned,
        }
        for item in scores
        for key, (figure, earned) in item.lines.items()
    ]
    if lines:
        session.execute(insert(ScoreLine), lines)
    snapshot.seconds = round(time.monotonic() - started, 3)
    if kind == "on_demand":
        audit.record(actor, "scores.compute", "score_snapshot", str(snapshot.id), after={"as_of": as_of.isoformat()})
    catalogue_version.bump()
    return snapshot


def _target(key: str) -> float:
    return FULLY_ELECTRONIC_TARGET if key == "fully_electronic" else 1.0


JOB_KIND = "score_snapshot"


@outbox.handler(JOB_KIND, label=_l("امتیاز دستگاه‌ها"))
def run_snapshot(job: Any) -> None:
    """The nightly job (app/jobs/tasks.py schedules it once a night); the day in its ref makes a retry harmless: a
    snapshot already stored for that night is not computed again."""
    day = str(job.ref)
    if day:
        start = datetime.fromisoformat(day)
        found = db.session.execute(
            select(ScoreSnapshot.id).where(
                ScoreSnapshot.kind == "nightly",
                ScoreSnapshot.computed_at >= start,
                ScoreSnapshot.computed_at < start + timedelta(days=1),
            )
        ).first()
        if found is not None:
            return
    store("nightly")


# ---------------------------------------------------------------------------------------------------------------------
# Reading snapshots (pages): nothing is recomputed on a page view.


def latest() -> ScoreSnapshot | None:
    """The snapshot of the latest moment (a past week's snapshot computed later does not replace today's)."""
    return db.session.execute(
        select(ScoreSnapshot).order_by(ScoreSnapshot.as_of.desc(), ScoreSnapshot.id.desc()).limit(1)
    ).scalar_one_or_none()


def find_snapshot(text: str) -> ScoreSnapshot | None:
    """A snapshot by its number, or the last one computed as of a day (ISO 2026-12-01 or Jalali 1405/09/10)."""
    from app.core.persian import fold_digits, parse_jalali_date

    text = fold_digits(text or "").strip()[:20]
    if text.isdigit():
        return db.session.get(ScoreSnapshot, int(text)) if len(text) <= 9 else None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        try:
            day = parse_jalali_date(text)
        except ValueError:
            return None
        if day.year < 1900:
            return None
    start = datetime(day.year, day.month, day.day)
    return db.session.execute(
        select(ScoreSnapshot)
        .where(ScoreSnapshot.as_of >= start, ScoreSnapshot.as_of < start + timedelta(days=1))
        .order_by(ScoreSnapshot.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def snapshots(limit: int = 60) -> list[ScoreSnapshot]:
    query = select(ScoreSnapshot).order_by(ScoreSnapshot.as_of.desc(), ScoreSnapshot.id.desc()).limit(limit)
    return list(db.session.execute(query).scalars())


def ranking(snapshot: ScoreSnapshot, province_id: int | None = None) -> list[tuple[ScoreTotal, Agency]]:
    """One indexed query: the snapshot's totals by rank (within one province when asked), with their agencies."""
    query = (
        select(ScoreTotal, Agency)
        .join(Agency, Agency.id == ScoreTotal.agency_id)
        .where(ScoreTotal.snapshot_id == snapshot.id)
        .order_by(ScoreTotal.rank, Agency.code)
    )
    if province_id is not None:
        query = query.where(ScoreTotal.province_id == province_id)
    return [(total, agency) for total, agency in db.session.execute(query).all()]


@dataclass
class AgencyCard:
    snapshot: ScoreSnapshot
    total: ScoreTotal
    lines: list[ScoreLine]
    history: list[tuple[date, float, int]]  # (week's last day shown, score, rank)


def agency_card(agency_id: int) -> AgencyCard | None:
    """The agency page's score: the latest snapshot's total and lines, and one score per week before it."""
    load_providers()  # so every line's indicator has its title
    snapshot = latest()
    if snapshot is None:
        return None
    total = db.session.execute(
        select(ScoreTotal).where(ScoreTotal.snapshot_id == snapshot.id, ScoreTotal.agency_id == agency_id)
    ).scalar_one_or_none()
    if total is None:
        return None
    order = {key: index for index, key in enumerate(WEIGHTS)}
    lines = sorted(
        db.session.execute(
            select(ScoreLine).where(ScoreLine.snapshot_id == snapshot.id, ScoreLine.agency_id == agency_id)
        ).scalars(),
        key=lambda line: order.get(line.indicator, len(order)),
    )
    return AgencyCard(snapshot, total, lines, weekly_history(agency_id))


def weekly_history(agency_id: int, weeks: int = 12) -> list[tuple[date, float, int]]:
    """One score per week (the week's last snapshot; weeks run Saturday to Friday, as in Iran), oldest first."""
    rows = db.session.execute(
        select(ScoreSnapshot.as_of, ScoreTotal.score, ScoreTotal.rank)
        .join(ScoreSnapshot, ScoreSnapshot.id == ScoreTotal.snapshot_id)
        .where(ScoreTotal.agency_id == agency_id)
        .order_by(ScoreSnapshot.as_of, ScoreSnapshot.id)
    ).all()
    by_week: dict[date, tuple[date, float, int]] = {}
    for as_of, score, rank in rows:
        day = as_of.date()
        saturday = day - timedelta(days=(day.weekday() - 5) % 7)
        by_week[saturday] = (day, score, rank)
    return [by_week[week] for week in sorted(by_week)][-weeks:]


def lost(line: ScoreLine) -> float:
    return round(line.weight - line.points, 2)


def is_no_data(line: ScoreLine) -> bool:
    return not line.denominator
