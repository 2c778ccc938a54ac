"""Honest processing times: from submission to decision, over the requests decided in the last 90 days, as the
median and the 90th percentile in whole days rounded up, hidden below the minimum sample, in one query."""

from datetime import timedelta

import pytest
from sqlalchemy import event

from app.evaluation import processing_times as pt
from app.extensions import db
from app.models import Role, utcnow
from app.requests import workflow
from tests import factories as f

DAY = timedelta(days=1)
# Ten decisions, in days after submission (sorted): the nearest-rank median is the 5th (2.1 days: "within 3
# days"), the 90th percentile the 9th (8 days). A mean (3.91) would be neither.
KNOWN = [0.5, 1, 1.5, 2, 2.1, 3, 4, 5, 8, 12]


@pytest.fixture
def minimum(app):
    def set_to(n):
        app.config["PROCESSING_TIMES_MIN_SAMPLE"] = n

    yield set_to
    app.config["PROCESSING_TIMES_MIN_SAMPLE"] = 20


def _decide(target, applicant, days, decided_ago=DAY, status="approved"):
    decided_at = utcnow() - decided_ago
    return f.decided(target, applicant, decided_at - timedelta(days=days), decided_at, status=status)


def test_median_and_90th_percentile_of_a_known_set(ctx, minimum):
    minimum(10)
    target, applicant = f.service(duration_days=5), f.citizen()
    for index, days in enumerate(reversed(KNOWN)):  # order of filing does not matter
        _decide(target, applicant, days, status="rejected" if index % 3 else "approved")
    assert pt.measured_time(target.id) == pt.MeasuredTime(median_days=3, p90_days=8, requests=10)


def test_only_requests_decided_in_the_last_90_days_count(ctx, minimum):
    minimum(10)
    target, applicant = f.service(), f.citizen()
    for days in KNOWN:
        _decide(target, applicant, days)
    # Decided 91 days ago: outside the window, however slow it was.
    _decide(target, applicant, 60, decided_ago=91 * DAY)
    # Submitted long before the window, decided inside it: counted, with its whole wait (100 days).
    _decide(target, applicant, 100, decided_ago=89 * DAY)
    measured = pt.measured_time(target.id)
    assert measured.requests == 11
    # Sorted: 0.5 1 1.5 2 2.1 3 4 5 8 12 100 -> 6th is 3 days, 10th (ceil 9.9) is 12 days.
    assert (measured.median_days, measured.p90_days) == (3, 12)


def test_the_window_edge_is_exactly_90_days(ctx, minimum):
    minimum(1)
    target, applicant = f.service(), f.citizen()
    now = utcnow()
    f.decided(target, applicant, now - 95 * DAY, now - 90 * DAY)  # 90 days ago to the second: out
    second = timedelta(seconds=1)
    f.decided(target, applicant, now - 92 * DAY + second, now - 90 * DAY + second)  # a second inside: 2 days
    f.decided(target, applicant, now - DAY, now + timedelta(hours=1))  # after `now` (a past now asked): out
    assert pt.measured_time(target.id, now=now) == pt.MeasuredTime(median_days=2, p90_days=2, requests=1)


def test_the_clock_stops_at_the_decision_not_at_delivery(ctx, minimum):
    """The declared time promises the decision (the SLA due date is submission + duration_days); delivery after it
    (a card posted, a document collected) is not counted."""
    minimum(1)
    target, applicant = f.service(), f.citizen()
    row = _decide(target, applicant, 2, decided_ago=20 * DAY, status="delivered")
    row.delivered_at = row.decided_at + 10 * DAY
    assert pt.measured_time(target.id).median_days == 2


def test_only_decided_requests_of_this_service_count(ctx, minimum):
    minimum(10)
    target, other, applicant = f.service(), f.service(), f.citizen()
    for days in KNOWN:
        _decide(target, applicant, days)
    # Still open (however long they have waited), withdrawn, never submitted, and another card's decisions.
    f.decided(target, applicant, utcnow() - 40 * DAY, None, status="in_review")
    f.decided(target, applicant, utcnow() - 50 * DAY, None, status="needs_info")
    f.decided(target, applicant, utcnow() - 30 * DAY, None, status="withdrawn")
    f.decided(target, applicant, None, None, status="draft")
    for _ in range(5):
        _decide(other, applicant, 30)
    assert pt.measured_time(target.id) == pt.MeasuredTime(median_days=3, p90_days=8, requests=10)


def test_hidden_below_the_minimum_sample_of_20_by_default(ctx):
    target, applicant = f.service(), f.citizen()
    for _ in range(19):
        _decide(target, applicant, 1.5)
    assert pt.measured_time(target.id) is None
    _decide(target, applicant, 1.5)
    assert pt.measured_time(target.id) == pt.MeasuredTime(median_days=2, p90_days=2, requests=20)


def test_a_service_without_decisions_has_no_figure(ctx, minimum):
    minimum(1)
    assert pt.measured_time(f.service().id) is None


@pytest.mark.parametrize(
    ("elapsed", "days"),
    [
        (timedelta(0), 1),  # decided at once: "within 1 day", never "within 0 days"
        (timedelta(hours=3), 1),
        (DAY, 1),
        (DAY + timedelta(seconds=1), 2),
        (timedelta(days=2.1), 3),  # the brief's example
        (timedelta(days=3), 3),
    ],
)
def test_whole_days_round_up(elapsed, days):
    assert pt.whole_days(elapsed.total_seconds()) == days


def test_the_wait_for_the_citizen_is_not_subtracted(ctx, minimum, monkeypatch):
    """Through the real state machine: filed, asked for a document on day 1, answered on day 7, approved on day 8.
    The SLA clock stood still for 6 days; the card says 8, what the citizen waited."""
    minimum(1)
    target = f.service(duration_days=5)
    officer = f.staff(Role.AGENCY_OFFICER, agency_id=target.agency_id)
    applicant = f.citizen()
    start = utcnow() - 10 * DAY
    clock = {"now": start}
    monkeypatch.setattr(workflow, "utcnow", lambda: clock["now"])
    found = f.filed(target, applicant)
    for day, who, action in [
        (0, officer, "take"),
        (1, officer, "ask_info"),
        (7, applicant, "answer"),
        (8, officer, "take"),
        (8, officer, "approve"),
    ]:
        clock["now"] = start + day * DAY
        workflow.advance(found, action, who, message="تصویر سند" if action in ("ask_info", "answer") else "")
    db.session.flush()
    assert found.submitted_at == start and found.decided_at == start + 8 * DAY
    assert found.due_at == start + (5 + 6) * DAY  # the agency's clock: 6 paused days moved its due date
    assert pt.measured_time(target.id).median_days == 8


def test_one_query_per_card(ctx, app, minimum):
    minimum(10)
    target, applicant = f.service(), f.citizen()
    for days in KNOWN * 3:
        _decide(target, applicant, days)
    db.session.flush()
    statements = []

    def count(*args):
        statements.append(args[2])

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        pt.measured_time(target.id)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(statements) == 1, statements
