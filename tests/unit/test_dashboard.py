"""The dashboard's figures on small hand-made data: services and the fully electronic share per scope, agencies by
connection status, requests this month and per week by channel, the median processing time, the ten largest
agencies; the snapshot is stored, read back, and written again by the nightly job."""

from datetime import timedelta

import pytest

from app.evaluation import dashboard
from app.extensions import db
from app.jobs import tasks
from app.models import DashboardSnapshot, Job, utcnow
from tests import factories as f

TEHRAN, ALBORZ = "23", "30"  # province codes (reference data)
IN_PERSON = {"stage_request": "in_person"}


def build(now=None):
    """Two agencies and ten services, three of them fully electronic:
    - «ملی» (national, connected): six services offered everywhere, two fully electronic; three online requests
      filed a minute ago; three decided 1, 2 and 5 days after their submission 40 days ago; one counter request
      a minute ago at an office in Alborz.
    - «استانی» (Tehran's, not connected): four services offered only in Tehran, one fully electronic; one counter
      request a minute ago at an office in Tehran, still open.
    """
    now = now or utcnow()
    national = f.agency(code="801", name="سازمان ملی")
    local = f.agency(code="802", name="اداره‌کل استانی")
    local.level, local.province, local.connection_status = "provincial", f.province(TEHRAN), "not_connected"
    national_services = [f.service(national, **({} if i < 2 else IN_PERSON)) for i in range(6)]
    local_services = [f.service(local, **({} if i < 1 else IN_PERSON)) for i in range(4)]
    for row in local_services:
        row.offered_everywhere = False
        row.provinces = [f.province(TEHRAN)]
    person = f.citizen()
    recent = now - timedelta(minutes=1)
    for _ in range(3):
        f.decided(national_services[0], person, recent, None, status="submitted")
    old = now - timedelta(days=40)
    for days in (1, 2, 5):
        f.decided(national_services[1], person, old, old + timedelta(days=days))
    at_counter = f.decided(national_services[2], person, recent, None, status="submitted")
    at_counter.channel, at_counter.office_id = "counter", f.office(ALBORZ).id
    local_counter = f.decided(local_services[0], person, recent, None, status="submitted")
    local_counter.channel, local_counter.office_id = "counter", f.office(TEHRAN).id
    db.session.commit()


@pytest.fixture
def figures(ctx, app, monkeypatch):
    monkeypatch.setitem(app.config, "PROCESSING_TIMES_MIN_SAMPLE", 3)
    build()
    return dashboard.compute()


def test_national_tiles_count_everything(figures):
    national = figures["national"]
    assert (national["services"], national["electronic"]) == (10, 3)
    assert dashboard.share(national["electronic"], national["services"]) == 30.0
    assert (national["agencies"], national["connected"]) == (2, 1)
    assert national["requests_month"] == 5  # the three decided were filed 40 days ago, before this month
    assert national["decided"] == 3 and national["median_days"] == 2


def test_a_province_counts_what_is_offered_there_and_its_own_agencies(figures):
    tehran, alborz = figures[TEHRAN], figures[ALBORZ]
    # Tehran: the six offered everywhere and its own four; Alborz: the six offered everywhere only.
    assert (tehran["services"], tehran["electronic"]) == (10, 3)
    assert (alborz["services"], alborz["electronic"]) == (6, 2)
    # National agencies count only nationally.
    assert (tehran["agencies"], tehran["connected"]) == (1, 0) and alborz["agencies"] == 0
    assert tehran["connection"] == {"connected": 0, "redirect": 0, "not_connected": 1}
    # The local agency's request in Tehran; the national agency's counter request where its office is.
    assert tehran["requests_month"] == 1 and alborz["requests_month"] == 1
    assert tehran["median_days"] is None and tehran["decided"] == 0


def test_weeks_count_this_week_by_channel(figures):
    weeks = figures["national"]["weeks"]
    assert len(weeks) == 12
    assert (weeks[-1]["online"], weeks[-1]["counter"]) == (3, 2)
    assert sum(week["online"] + week["counter"] for week in weeks) == 8
    assert [week["counter"] for week in figures[TEHRAN]["weeks"]][-1] == 1


def test_the_largest_agencies_with_their_electronic_share(figures):
    largest = figures["national"]["largest"]
    assert [(row["code"], row["services"], row["electronic"]) for row in largest] == [("801", 6, 2), ("802", 4, 1)]
    assert [row["code"] for row in figures[TEHRAN]["largest"]] == ["802"]
    table = dashboard.agencies_table(figures["national"], ["a", "b", "c", "d"])
    assert [row[3] for row in table.rows] == [33.3, 25.0]


def test_weeks_start_on_saturday_and_the_month_on_its_first_jalali_day():
    from datetime import date

    starts = dashboard.week_starts(date(2026, 12, 2))  # a Wednesday
    assert starts[-1] == date(2026, 11, 28) and starts[0] == date(2026, 9, 12)
    assert {start.weekday() for start in starts} == {5}
    assert dashboard.month_start(date(2026, 12, 2)) == date(2026, 11, 22)  # 1 Azar 1405


def test_the_first_need_stores_every_scope_and_later_reads_do_not_recompute(ctx, app, monkeypatch):
    build()
    found = dashboard.snapshot("national")
    assert found.figures["services"] == 10
    assert db.session.query(DashboardSnapshot).count() == 32  # national and the 31 provinces
    f.service(f.agency(code="803"))
    db.session.commit()
    assert dashboard.snapshot("national").figures["services"] == 10  # the stored snapshot, until the next run


def test_the_nightly_task_recomputes_once_per_day(ctx, app):
    build()
    dashboard.snapshot("national")
    f.service(f.agency(code="803"))
    db.session.commit()
    assert tasks.nightly_dashboard.call_local() is True
    assert tasks.nightly_dashboard.call_local() is False  # a second scheduler the same day does nothing
    db.session.rollback()
    assert db.session.query(Job).filter_by(kind=dashboard.JOB_KIND, state="done").count() == 1
    assert dashboard.snapshot("national").figures["services"] == 11


def test_the_refresh_command_computes_now(app, runner):
    with app.app_context():
        build()
    result = runner.invoke(args=["dashboard", "refresh"])
    assert result.exit_code == 0 and "computed for 32 scopes" in result.output
    with app.app_context():
        assert db.session.query(DashboardSnapshot).filter_by(scope="national").one().figures["services"] == 10
