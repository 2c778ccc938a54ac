"""Agency scores out of 100: points are weight × min(ratio / target, 1), the 30 % target caps the fully-electronic
points, an indicator without data earns 0, a stored snapshot never changes, and the ranking is by score."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.evaluation import scores
from app.extensions import db
from app.jobs import tasks
from app.models import (
    Agency,
    AuditEvent,
    Inquiry,
    InquiryType,
    Job,
    Link,
    LinkReference,
    Role,
    ScoreLine,
    ScoreSnapshot,
    ServiceInquiry,
    utcnow,
)
from tests import factories as f

IN_PERSON = {"stage_delivery": "in_person"}


def _services(owner, electronic, others):
    made = [f.service(owner) for _ in range(electronic)]
    made += [f.service(owner, **IN_PERSON) for _ in range(others)]
    return made


def _line(snapshot, agency, key):
    return db.session.execute(
        select(ScoreLine).filter_by(snapshot_id=snapshot.id, agency_id=agency.id, indicator=key)
    ).scalar_one()


def _total(snapshot, agency):
    return next(total for total, found in scores.ranking(snapshot) if found.id == agency.id)


def test_weights_sum_to_100_and_every_indicator_has_a_weight(ctx):
    scores.load_providers()
    assert sum(scores.WEIGHTS.values()) == 100
    assert set(scores.INDICATORS) <= set(scores.WEIGHTS)
    assert set(scores.WEIGHTS) <= set(scores.INDICATORS) | set(scores.EXPECTED)
    assert {indicator.axis for indicator in scores.INDICATORS.values()} <= set(scores.AXES)
    assert {
        "fully_electronic",
        "card_completeness",
        "link_health",
        "connection",
        "decided_in_time",
        "measured_vs_declared",
        "inquiries_on_time",
        "once_only",
    } <= set(scores.INDICATORS)


def test_one_more_fully_electronic_service_adds_the_documented_points(ctx):
    owner = f.agency()
    services = _services(owner, electronic=1, others=9)
    before = scores.store()
    # 1 of 10 against the 30 % target: 15 × (0.1 / 0.3) = 5.00 points.
    assert _line(before, owner, "fully_electronic").points == pytest.approx(5.0)
    revision = services[-1].current_revision
    revision.stage_delivery = "electronic"
    db.session.flush()
    after = scores.store()
    # 2 of 10: 15 × (0.2 / 0.3) = 10.00; the total moves by exactly the 5.00 points of that line.
    line = _line(after, owner, "fully_electronic")
    assert (line.numerator, line.denominator, line.points) == (2, 10, pytest.approx(10.0))
    assert _total(after, owner).score - _total(before, owner).score == pytest.approx(5.0)


def test_an_in_person_visit_means_not_fully_electronic(ctx):
    owner = f.agency()
    f.service(owner, in_person_visits=1)
    f.service(owner)
    assert scores.fully_electronic(db.session(), utcnow())[owner.id] == scores.Figure(1, 2, 0.30)


def test_the_30_percent_target_caps_the_points(ctx):
    at_target, above = f.agency(), f.agency()
    _services(at_target, electronic=3, others=7)
    _services(above, electronic=8, others=2)
    snapshot = scores.store()
    assert _line(snapshot, at_target, "fully_electronic").points == pytest.approx(15.0)
    assert _line(snapshot, above, "fully_electronic").points == pytest.approx(15.0)


def test_no_data_earns_no_points(ctx):
    owner = f.agency()
    f.service(owner)
    snapshot = scores.store()
    line = _line(snapshot, owner, "decided_in_time")  # no request decided in the last 90 days
    assert (line.denominator, line.points, line.weight) == (0, 0, 15)
    assert scores.is_no_data(line) and scores.lost(line) == 15


def test_decided_in_time_and_measured_against_declared(ctx, app):
    app.config["PROCESSING_TIMES_MIN_SAMPLE"] = 4
    try:
        owner = f.agency()
        quick, slow = f.service(owner, duration_days=5), f.service(owner, duration_days=5)
        applicant, now = f.citizen(), utcnow()
        for days in (1, 2, 3, 9):  # median (nearest rank: the 2nd) 2 days: within the declared 5
            submitted = now - timedelta(days=days + 1)
            row = f.decided(quick, applicant, submitted, submitted + timedelta(days=days))
            row.due_at = submitted + timedelta(days=5)
        for days in (6, 7, 8, 2):  # median 6 days: over the declared 5
            submitted = now - timedelta(days=days + 1)
            row = f.decided(slow, applicant, submitted, submitted + timedelta(days=days))
            row.due_at = submitted + timedelta(days=5)
        old = f.decided(quick, applicant, now - timedelta(days=200), now - timedelta(days=199))  # outside 90 days
        old.due_at = old.submitted_at + timedelta(days=5)
        db.session.flush()
        session = db.session()
        assert scores.decided_in_time(session, now)[owner.id] == scores.Figure(4, 8)
        assert scores.measured_vs_declared(session, now)[owner.id] == scores.Figure(1, 2)
        # As of a moment before any of them was decided, there is nothing to count.
        assert owner.id not in scores.decided_in_time(session, now - timedelta(days=30))
    finally:
        app.config["PROCESSING_TIMES_MIN_SAMPLE"] = 20


def test_card_completeness_counts_the_documented_fields(ctx):
    owner = f.agency()
    f.service(owner, summary="شرح", audience="همه", documents=["شناسنامه"], duration_days=3)
    figure = scores.card_completeness(db.session(), utcnow())[owner.id]
    # summary, audience, documents and the time are filled; conditions, procedure and channels are not.
    assert (figure.numerator, figure.denominator) == (4, len(scores.CARD_FIELDS))


def test_link_health_and_connection(ctx):
    owner = f.agency()
    owner.connection_status = "redirect"
    for index, state in enumerate(("ok", "broken", "caution", "pending")):
        link = Link(url=f"https://example.ir/{index}", host="example.ir", state=state)
        db.session.add(link)
        db.session.flush()
        db.session.add(LinkReference(link_id=link.id, agency_id=owner.id))
    db.session.flush()
    session = db.session()
    assert scores.link_health(session, utcnow())[owner.id] == scores.Figure(2, 3)  # never checked: not counted
    assert scores.connection(session, utcnow())[owner.id].ratio == 0.5


def test_ranking_order_ties_and_province_filter(ctx):
    tehran, isfahan = f.province("23"), f.province("10")
    best, tied_a, tied_b = f.agency("9101"), f.agency("9102"), f.agency("9103")
    best.province_id, tied_a.province_id, tied_b.province_id = tehran.id, isfahan.id, tehran.id
    _services(best, electronic=3, others=0)
    _services(tied_a, electronic=0, others=1)
    _services(tied_b, electronic=0, others=1)
    snapshot = scores.store()
    ranked = [(total.rank, agency.code) for total, agency in scores.ranking(snapshot)]
    assert ranked == [(1, "9101"), (2, "9102"), (2, "9103")]
    in_tehran = [agency.code for _total, agency in scores.ranking(snapshot, tehran.id)]
    assert in_tehran == ["9101", "9103"]


def test_a_stored_snapshot_never_changes(ctx):
    owner = f.agency()
    services = _services(owner, electronic=0, others=2)
    first = scores.store()
    shown = [(total.score, total.rank) for total, _agency in scores.ranking(first)]
    services[0].current_revision.stage_delivery = "electronic"
    db.session.flush()
    second = scores.store()
    assert [(total.score, total.rank) for total, _agency in scores.ranking(first)] == shown
    assert _total(second, owner).score > shown[0][0]
    assert scores.latest().id == second.id


def test_snapshot_found_by_number_or_day(ctx):
    f.agency()
    snapshot = scores.store(as_of=utcnow().replace(year=2026, month=11, day=21, hour=23))
    assert scores.find_snapshot(str(snapshot.id)).id == snapshot.id
    assert scores.find_snapshot("2026-11-21").id == snapshot.id
    assert scores.find_snapshot("1405/08/30").id == snapshot.id  # the same day, Jalali
    assert scores.find_snapshot("1405/08/29") is None
    assert scores.find_snapshot("not a date") is None
    assert scores.find_snapshot("9" * 30) is None


def test_on_demand_snapshot_is_audited_and_the_nightly_job_runs_once_a_night(ctx):
    admin = f.staff(Role.NATIONAL_ADMIN)
    f.agency()
    snapshot = scores.store("on_demand", actor=admin)
    event = db.session.execute(select(AuditEvent).filter_by(action="scores.compute")).scalar_one()
    assert (event.actor_id, event.object_ref) == (admin.id, str(snapshot.id))

    class Job:
        ref = utcnow().date().isoformat()

    scores.run_snapshot(Job())
    scores.run_snapshot(Job())  # a retry of the same night stores nothing more
    nightly = db.session.execute(select(ScoreSnapshot).filter_by(kind="nightly")).scalars().all()
    assert len(nightly) == 1 and nightly[0].agencies == db.session.query(Agency).count()


def test_weekly_history_keeps_one_score_per_week(ctx):
    # Weeks run Saturday to Friday: a week's Saturday and Friday snapshots are one score, the Friday's; the next two
    # weeks have one each. The days count from a Saturday three weeks back, so this holds on any day it runs.
    owner = f.agency()
    now = utcnow()
    saturday = now - timedelta(days=(now.weekday() - 5) % 7 + 21)
    for days in (0, 6, 7, 15):
        scores.store(as_of=saturday + timedelta(days=days))
    history = scores.weekly_history(owner.id)
    assert [day for day, _score, _rank in history] == [(saturday + timedelta(days=d)).date() for d in (6, 7, 15)]


def test_the_nightly_task_stores_one_snapshot_a_night(ctx):
    f.service(f.agency())
    db.session.commit()
    assert tasks.nightly_scores.call_local() is True
    assert tasks.nightly_scores.call_local() is False  # a second scheduler the same night does nothing
    db.session.rollback()
    assert db.session.query(Job).filter_by(kind=scores.JOB_KIND, state="done").count() == 1
    assert [snapshot.kind for snapshot in scores.snapshots()] == ["nightly"]


def test_a_late_agency_loses_all_the_connection_points(ctx):
    on_time, late = f.agency(), f.agency()
    on_time.connection_status = late.connection_status = "redirect"
    late.connection_deadline = (utcnow() - timedelta(days=10)).date()
    on_time.connection_deadline = (utcnow() + timedelta(days=10)).date()
    db.session.flush()
    snapshot = scores.store()
    assert _line(snapshot, on_time, "connection").points == pytest.approx(5.0)  # redirect: 10 × 0.5
    assert _line(snapshot, late, "connection").points == 0


def test_inquiries_on_time_count_for_the_answering_agency_and_once_only_for_the_card(ctx):
    provider, asker = f.agency(), f.agency()
    kind = InquiryType(code="bench-id", agency_id=provider.id, title="استعلام هویت", replaces=["کارت ملی"])
    db.session.add(kind)
    db.session.flush()
    replacing = f.service(asker, documents=["کارت ملی", "عکس"])
    f.service(asker, documents=["عکس"])
    not_replacing = f.service(asker, documents=["عکس"])
    db.session.add_all(
        [
            ServiceInquiry(service_id=replacing.id, inquiry_type_id=kind.id),
            ServiceInquiry(service_id=not_replacing.id, inquiry_type_id=kind.id),  # names no document of its card
        ]
    )
    now, applicant = utcnow(), f.citizen()
    request = f.decided(replacing, applicant, now - timedelta(days=3), now - timedelta(days=2))
    for answered in (timedelta(minutes=-5), timedelta(minutes=-1), timedelta(hours=2), None):  # two on time
        due = now - timedelta(days=1)
        db.session.add(
            Inquiry(
                request_id=request.id,
                inquiry_type_id=kind.id,
                state="answered" if answered is not None else "running",
                due_at=due,
                answered_at=due + answered if answered is not None else None,
            )
        )
    db.session.flush()
    session = db.session()
    assert scores.inquiries_on_time(session, now) == {provider.id: scores.Figure(2, 4)}
    assert scores.once_only(session, now)[asker.id] == scores.Figure(1, 3)
