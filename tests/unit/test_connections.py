"""Connection status and the weekly report (issue 14): the Jalali week key on known dates, every status change
recorded (who, when, from, to) and audited, lateness in days, the weekly report's lists and its counts against the
week before, stored reports that never change, and the weekly task."""

from datetime import date, datetime, timedelta

import pytest

from app.administration import audit
from app.evaluation import connections, weekly
from app.extensions import db
from app.jobs import tasks
from app.models import AgencyConnectionChange, AuditEvent, Job, Role, WeeklyReport
from tests import factories as f

# 1405-W37 is Saturday 7 Azar 1405 (28 November 2026) to Friday 13 Azar (4 December 2026); in UTC its period is
# [27 Nov 20:30, 4 Dec 20:30) (Tehran is UTC+03:30).
W37_START = datetime(2026, 11, 27, 20, 30)
W37_END = datetime(2026, 12, 4, 20, 30)
MID_W37 = datetime(2026, 12, 1, 9, 0)  # Tuesday 10 Azar
AFTER_W38 = datetime(2026, 12, 13, 9, 0)  # both weeks over


@pytest.mark.parametrize(
    ("day", "key", "saturday"),
    [
        (date(2026, 12, 2), "1405-W37", date(2026, 11, 28)),  # Wednesday 12 Azar 1405
        (date(2026, 11, 28), "1405-W37", date(2026, 11, 28)),  # its Saturday
        (date(2026, 12, 4), "1405-W37", date(2026, 11, 28)),  # its Friday
        (date(2026, 12, 5), "1405-W38", date(2026, 12, 5)),
        (date(2026, 3, 21), "1405-W01", date(2026, 3, 21)),  # 1 Farvardin 1405 is a Saturday
        (date(2026, 3, 20), "1404-W52", date(2026, 3, 14)),  # 29 Esfand 1404, a Friday
        (date(2025, 3, 21), "1403-W52", date(2025, 3, 15)),  # 1 Farvardin 1404 is a Friday: last week of 1403
        (date(2025, 3, 22), "1404-W01", date(2025, 3, 22)),  # 2 Farvardin 1404, the first Saturday of 1404
        (date(2027, 3, 20), "1405-W53", date(2027, 3, 20)),  # 29 Esfand 1405, a Saturday
    ],
)
def test_the_week_key_of_known_dates(day, key, saturday):
    week = weekly.week_of(day)
    assert (week.key, week.first_day) == (key, saturday)
    assert weekly.parse_key(key) == week


def test_a_week_runs_from_saturday_midnight_in_tehran():
    week = weekly.parse_key("1405-W37")
    assert (week.start, week.end) == (W37_START, W37_END)
    assert weekly.week_at(datetime(2026, 11, 27, 20, 29)).key == "1405-W36"  # Friday 23:59 in Tehran
    assert weekly.week_at(W37_START).key == "1405-W37"


@pytest.mark.parametrize("key", ["1405-W00", "1405-W54", "1404-W53", "1405W37", "1405-w37", "W37", "", "1405-W3"])
def test_malformed_or_missing_week_keys_name_no_week(key):
    assert weekly.parse_key(key) is None


def _agency(code, name, status="not_connected", deadline=None, recorded=W37_START - timedelta(days=30)):
    agency = f.agency(code=code, name=name)
    agency.connection_status, agency.connection_deadline = status, deadline
    connections.record_initial_status(agency, at=recorded)
    db.session.flush()
    return agency


def test_a_status_change_is_recorded_with_who_when_from_and_to_and_audited(ctx):
    admin = f.staff(Role.NATIONAL_ADMIN, username="admin")
    agency = _agency("7001", "سازمان نمونه")
    change = connections.set_connection_status(agency, "redirect", admin, "  پیوند به سامانهٔ دستگاه  ", at=MID_W37)
    db.session.commit()
    rows = db.session.execute(db.select(AgencyConnectionChange).order_by(AgencyConnectionChange.id)).scalars().all()
    assert [(r.from_status, r.to_status) for r in rows] == [(None, "not_connected"), ("not_connected", "redirect")]
    assert (change.changed_by_id, change.changed_at, change.note) == (admin.id, MID_W37, "پیوند به سامانهٔ دستگاه")
    assert agency.connection_status == "redirect"
    event = db.session.execute(db.select(AuditEvent).filter_by(action="agency.connection")).scalar_one()
    assert (event.actor_id, event.object_ref) == (admin.id, "7001")
    assert (event.before, event.after) == (
        {"connection_status": "not_connected"},
        {"connection_status": "redirect", "note": "پیوند به سامانهٔ دستگاه"},
    )
    assert audit.verify().ok


def test_setting_the_same_status_again_records_nothing(ctx):
    agency = _agency("7001", "سازمان نمونه", status="connected")
    assert connections.set_connection_status(agency, "connected", None) is None
    assert db.session.query(AgencyConnectionChange).count() == 1


def test_an_unknown_status_is_refused(ctx):
    agency = _agency("7001", "سازمان نمونه")
    with pytest.raises(connections.ConnectionRuleError):
        connections.set_connection_status(agency, "linked", None)


def test_late_means_past_the_deadline_and_not_connected():
    day = date(2026, 12, 5)
    assert connections.days_late("not_connected", date(2026, 11, 20), day) == 15
    assert connections.days_late("redirect", date(2026, 11, 20), day) == 15  # linking out is not connected
    assert connections.days_late("connected", date(2026, 11, 20), day) == 0
    assert connections.days_late("not_connected", date(2026, 12, 5), day) == 0  # the last day itself is not late
    assert connections.days_late("not_connected", None, day) == 0


def test_connection_figures_read_the_status_at_a_past_moment_from_the_history(ctx):
    early = _agency("7001", "سازمان زودرس", deadline=date(2026, 11, 20))
    connections.set_connection_status(early, "connected", None, at=MID_W37)
    late_comer = _agency("7002", "سازمان تازه", recorded=AFTER_W38)  # first recorded after both moments
    untracked = f.agency(code="7003", name="بی‌تاریخچه")  # no history at all: its current status
    db.session.commit()
    before = connections.connection_figures(db.session(), W37_START)
    after = connections.connection_figures(db.session(), W37_END)
    assert before[early.id] == ("not_connected", 8)  # Saturday 7 Azar in Tehran, 8 days past 20 Nov
    assert after[early.id] == ("connected", 0)
    assert late_comer.id not in before and late_comer.id not in after
    assert before[untracked.id] == ("connected", 0)


def _world():
    """Four agencies as history runs through 1405-W37 and W38:
    - «الف» not connected since long before, deadline 20 Nov 2026: late;
    - «ب» redirect only, deadline 30 Nov 2026 (inside W37): late by the end of W37;
    - «ج» not connected with deadline 1 Dec 2026, connects on Tuesday of W37: connected this week, never late;
    - «د» connected all along, no deadline.
    """
    a = _agency("7001", "الف", deadline=date(2026, 11, 20))
    b = _agency("7002", "ب", status="redirect", deadline=date(2026, 11, 30))
    c = _agency("7003", "ج", deadline=date(2026, 12, 1))
    d = _agency("7004", "د", status="connected")
    connections.set_connection_status(c, "connected", None, at=MID_W37)
    db.session.commit()
    return a, b, c, d


def test_the_weekly_report_lists_the_late_with_their_days_and_the_newly_connected(ctx):
    _world()
    report = weekly.generate(weekly.parse_key("1405-W37"), now=AFTER_W38)
    db.session.commit()
    figures = report.figures
    # The week ends at Saturday 14 Azar (5 Dec) 00:00 in Tehran: 15 days past 20 Nov, 5 past 30 Nov.
    assert [(r["name"], r["status"], r["days_late"]) for r in figures["late"]] == [
        ("الف", "not_connected", 15),
        ("ب", "redirect", 5),
    ]
    assert [(r["name"], r["connected_at"]) for r in figures["connected"]] == [("ج", MID_W37.isoformat())]
    assert figures["counts"] == {"connected": 2, "redirect": 1, "not_connected": 1, "late": 2}
    # At the start of the week «ج» was not connected yet, and only «الف» was past its deadline.
    assert figures["previous"] == {"connected": 1, "redirect": 1, "not_connected": 2, "late": 1}


def test_an_agency_connected_in_one_week_is_not_in_the_next_weeks_list(ctx):
    _world()
    weekly.generate(weekly.parse_key("1405-W37"), now=AFTER_W38)
    w38 = weekly.generate(weekly.parse_key("1405-W38"), now=AFTER_W38)
    db.session.commit()
    assert w38.figures["connected"] == []
    assert w38.figures["previous"] == {"connected": 2, "redirect": 1, "not_connected": 1, "late": 2}
    assert [(r["name"], r["days_late"]) for r in w38.figures["late"]] == [("الف", 22), ("ب", 12)]


def test_a_stored_week_never_changes_but_the_week_under_way_is_written_again(ctx):
    a, *_ = _world()
    w37 = weekly.parse_key("1405-W37")
    current = weekly.generate(w37, now=MID_W37 + timedelta(hours=1))
    db.session.commit()
    assert not current.complete and current.figures["counts"]["connected"] == 2
    connections.set_connection_status(a, "connected", None, at=MID_W37 + timedelta(hours=2))
    db.session.commit()
    again = weekly.generate(w37, now=MID_W37 + timedelta(hours=3))  # still the week under way: written again
    db.session.commit()
    assert again.figures["counts"]["connected"] == 3
    final = weekly.generate(w37, now=AFTER_W38)
    db.session.commit()
    assert final is not None and final.complete
    stored = dict(final.figures)
    connections.set_connection_status(a, "not_connected", None, at=AFTER_W38)
    db.session.commit()
    assert weekly.generate(w37, now=AFTER_W38 + timedelta(days=1)) is None  # a finished week is a no-op
    assert weekly.report("1405-W37").figures == stored
    assert db.session.query(WeeklyReport).count() == 1
    assert weekly.generate(weekly.parse_key("1405-W52"), now=AFTER_W38) is None  # not begun: no report


def test_the_weekly_task_stores_the_last_finished_week_once(ctx):
    _world()
    assert tasks.weekly_connection_report.call_local() is True
    assert tasks.weekly_connection_report.call_local() is False  # a second scheduler the same week does nothing
    db.session.rollback()
    key = weekly.last_complete_week().key
    assert db.session.query(Job).filter_by(kind=weekly.JOB_KIND, ref=key, state="done").count() == 1
    assert weekly.report(key).complete


def test_the_importer_records_a_new_agencys_first_state_and_each_change(ctx):
    from app.catalogue.transfer import Source, import_catalogue

    import_catalogue(
        Source.from_data({"agencies": [{"code": "9301", "name": "سازمان وارداتی", "connection_status": "redirect"}]})
    )
    db.session.commit()
    import_catalogue(Source.from_data({"agencies": [{"code": "9301", "connection_status": "connected"}]}))
    db.session.commit()
    import_catalogue(Source.from_data({"agencies": [{"code": "9301", "connection_status": "connected"}]}))  # no change
    db.session.commit()
    rows = db.session.execute(db.select(AgencyConnectionChange).order_by(AgencyConnectionChange.id)).scalars().all()
    assert [(r.from_status, r.to_status, r.changed_by_id) for r in rows] == [
        (None, "redirect", None),
        ("redirect", "connected", None),
    ]
    assert rows[0].agency.connection_status == "connected"
    assert db.session.query(AuditEvent).filter_by(action="agency.connection", object_ref="9301").count() == 1
