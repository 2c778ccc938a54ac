"""The weekly connection report's pages and files and the administrators' connection page, through the test
client: the archive and a week's page (Persian digits, Jalali dates, accessible tables, 404 for unknown or malformed
weeks), CSV and XLSX holding the page's numbers, and status/deadline changes scoped to the administrator's agencies
with Persian errors by the field."""

import csv
import io
import re
from datetime import date, datetime, timedelta

import pytest
from openpyxl import load_workbook

from app.evaluation import connections, weekly
from app.extensions import db
from app.models import Agency, AgencyConnectionChange, Role
from tests import factories as f
from tests.web.helpers import sign_in_staff

TEHRAN, TABRIZ = "23", "03"
W37_START = datetime(2026, 11, 27, 20, 30)  # Saturday 7 Azar 1405, 00:00 in Tehran
MID_W37 = datetime(2026, 12, 1, 9, 0)  # Tuesday 10 Azar 1405
AFTER_W38 = datetime(2026, 12, 13, 9, 0)


@pytest.fixture
def world(app):
    """«راهور» late since 20 Nov 2026 (1405/08/29), «ثبت» connects on Tuesday of 1405-W37, «بیمه» connected; the
    stored reports of 1405-W37 and W38. Tehran's provincial agency 7023 and Tabriz's 7003, and their admins."""
    with app.app_context():
        recorded = W37_START - timedelta(days=30)
        specs = [
            ("7001", "پلیس راهور", "not_connected", date(2026, 11, 20), None),
            ("7002", "سازمان ثبت", "not_connected", date(2026, 12, 1), None),
            ("7004", "سازمان بیمه", "connected", None, None),
            ("7023", "ادارهٔ کل تهران", "connected", None, TEHRAN),
            ("7003", "ادارهٔ کل تبریز", "connected", None, TABRIZ),
        ]
        for code, name, status, deadline, province in specs:
            agency = f.agency(code=code, name=name)
            agency.connection_status, agency.connection_deadline = status, deadline
            if province:
                agency.level, agency.province = "provincial", f.province(province)
            connections.record_initial_status(agency, at=recorded)
        db.session.flush()
        registry = db.session.execute(db.select(Agency).filter_by(code="7002")).scalar_one()
        connections.set_connection_status(registry, "connected", None, at=MID_W37)
        weekly.generate(weekly.parse_key("1405-W37"), now=AFTER_W38)
        weekly.generate(weekly.parse_key("1405-W38"), now=AFTER_W38)
        f.staff(Role.NATIONAL_ADMIN, username="admin")
        f.staff(Role.PROVINCIAL_ADMIN, username="tehran-admin", province=f.province(TEHRAN))
        db.session.commit()


def _html(response):
    return response.get_data(as_text=True)


def _table(html, table_id):
    """The rows of one table on the page as lists of cell texts (tags stripped)."""
    body = re.search(rf'<table[^>]*id="table-{table_id}".*?</table>', html, re.S).group(0)
    rows = re.findall(r"<tr>(.*?)</tr>", body, re.S)
    return [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        for row in rows
    ]


def test_the_archive_lists_the_weeks_newest_first_with_a_link_to_the_latest(client, world):
    html = _html(client.get("/reports/weekly"))
    assert 'href="/reports/weekly/1405-W38"' in html
    assert html.index("هفتهٔ ۳۸ سال ۱۴۰۵") < html.index("هفتهٔ ۳۷ سال ۱۴۰۵")
    assert "تازه‌ترین گزارش: هفتهٔ ۳۸ سال ۱۴۰۵" in html
    assert "۱۴۰۵/۰۹/۰۷" in html and "۱۴۰۵/۰۹/۱۳" in html  # W37: Saturday 7 Azar to Friday 13 Azar


def test_a_weeks_page_shows_the_late_and_the_newly_connected_in_persian(client, world):
    response = client.get("/reports/weekly/1405-W37")
    html = _html(response)
    assert response.status_code == 200
    assert "از شنبه ۱۴۰۵/۰۹/۰۷ تا جمعه ۱۴۰۵/۰۹/۱۳" in html
    late = _table(html, "late")
    assert late[1:] == [["پلیس راهور", "ملی", "هنوز متصل نشده", "۱۴۰۵/۰۸/۲۹", "۱۵"]]  # 20 Nov to 5 Dec
    assert _table(html, "connected")[1:] == [["سازمان ثبت", "ملی", "۱۴۰۵/۰۹/۱۰"]]
    counts = _table(html, "counts")
    assert counts[1] == ["متصل به پنجره", "۴", "۳", "۱"]  # this week, the week before, the change
    assert counts[4][1:] == ["۱", "۱", "۰"]  # late
    assert '<th scope="col">' in html and '<th scope="row">' in html and "<caption>" in html
    assert "<script" not in html.split("<main", 1)[-1].split("</main>", 1)[0]


def test_the_next_week_no_longer_lists_an_agency_that_connected_the_week_before(client, world):
    html = _html(client.get("/reports/weekly/1405-W38"))
    assert "در این هفته دستگاهی متصل نشد." in html
    assert _table(html, "late")[1][-1] == "۲۲"


@pytest.mark.parametrize("key", ["1405-W36", "1405-W99", "1404-W53", "abc", "1405-W37x", "1405-W037"])
def test_an_unknown_or_malformed_week_is_not_found(client, world, key):
    assert client.get(f"/reports/weekly/{key}").status_code == 404
    assert client.get(f"/reports/weekly/{key}.csv").status_code == 404
    assert client.get(f"/reports/weekly/{key}/late.xlsx").status_code == 404


def test_the_csv_and_xlsx_hold_the_numbers_the_page_shows(client, world):
    html = _html(client.get("/reports/weekly/1405-W37"))
    assert _table(html, "late")[1][-1] == "۱۵"
    late_csv = list(csv.reader(io.StringIO(client.get("/reports/weekly/1405-W37/late.csv").get_data(as_text=True))))
    assert late_csv[0][0].lstrip("\ufeff") == "دستگاه"
    assert late_csv[1] == ["پلیس راهور", "ملی", "هنوز متصل نشده", "1405/08/29", "15"]
    counts = load_workbook(io.BytesIO(client.get("/reports/weekly/1405-W37/counts.xlsx").data)).active
    rows = [list(row) for row in counts.iter_rows(values_only=True)]
    assert rows[1] == ["متصل به پنجره", 4, 3, 1]
    assert rows[4][1:] == [1, 1, 0]
    whole = load_workbook(io.BytesIO(client.get("/reports/weekly/1405-W37.xlsx").data)).active
    cells = [list(row) for row in whole.iter_rows(values_only=True)]
    assert ["پلیس راهور", "ملی", "هنوز متصل نشده", "1405/08/29", 15] in cells
    assert ["سازمان ثبت", "ملی", "1405/09/10", None, None] in cells  # the sheet is as wide as its widest table
    whole_csv = client.get("/reports/weekly/1405-W37.csv").get_data(as_text=True)
    assert "سازمان ثبت,ملی,1405/09/10" in whole_csv


def test_the_footer_links_the_weekly_report(client, world):
    assert 'href="/reports/weekly"' in _html(client.get("/reports/weekly/1405-W37"))


def test_an_administrator_changes_status_and_deadline_and_the_change_is_recorded(client, app, world):
    sign_in_staff(client, "admin")
    page = _html(client.get("/admin/connections"))
    assert "پلیس راهور" in page
    response = client.post(
        "/admin/connections/7001",
        data={"connection_status": "redirect", "connection_deadline": "۱۴۰۵/۱۲/۲۹", "note": "ارجاع برقرار شد"},
    )
    assert response.status_code == 302
    with app.app_context():
        agency = db.session.execute(db.select(Agency).filter_by(code="7001")).scalar_one()
        assert (agency.connection_status, agency.connection_deadline) == ("redirect", date(2027, 3, 20))
        change = db.session.execute(
            db.select(AgencyConnectionChange).filter_by(agency_id=agency.id, to_status="redirect")
        ).scalar_one()
        assert (change.from_status, change.changed_by.username, change.note) == (
            "not_connected",
            "admin",
            "ارجاع برقرار شد",
        )
    history = _html(client.get("/admin/connections/7001"))
    assert "ارجاع برقرار شد" in history and "کارمند آزمایشی" in history


def test_a_bad_deadline_is_refused_with_a_persian_message_by_the_field(client, app, world):
    sign_in_staff(client, "admin")
    response = client.post(
        "/admin/connections/7001", data={"connection_status": "connected", "connection_deadline": "1405/13/40"}
    )
    html = _html(response)
    assert response.status_code == 400
    assert "تاریخ را به شکل ۱۴۰۵/۰۹/۰۴ وارد کنید." in html or "این تاریخ در تقویم وجود ندارد." in html
    assert 'value="1405/13/40"' in html  # what was typed is kept
    with app.app_context():
        assert db.session.execute(db.select(Agency.connection_status).filter_by(code="7001")).scalar_one() == (
            "not_connected"
        )


def test_a_provincial_administrator_changes_only_their_provinces_agencies(client, app, world):
    sign_in_staff(client, "tehran-admin")
    assert client.get("/admin/connections/7003").status_code == 404  # Tabriz's agency
    assert client.post("/admin/connections/7003", data={"connection_status": "not_connected"}).status_code == 404
    assert client.get("/admin/connections/7001").status_code == 404  # a national agency
    listing = _html(client.get("/admin/connections"))
    assert "ادارهٔ کل تهران" in listing and "ادارهٔ کل تبریز" not in listing
    assert client.post("/admin/connections/7023", data={"connection_status": "redirect"}).status_code == 302
    with app.app_context():
        statuses = dict(db.session.execute(db.select(Agency.code, Agency.connection_status)).tuples().all())
        assert (statuses["7003"], statuses["7023"]) == ("connected", "redirect")


def test_an_administrator_generates_the_week_under_way(client, app):
    with app.app_context():
        f.agency(code="7001", name="پلیس راهور")
        f.staff(Role.NATIONAL_ADMIN, username="admin")
        db.session.commit()
    sign_in_staff(client, "admin")
    response = client.post("/admin/connections/weekly")
    key = weekly.week_at(datetime.utcnow()).key
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/reports/weekly/{key}")
    html = _html(client.get(f"/reports/weekly/{key}"))
    assert "هفته هنوز تمام نشده است" in html


def test_the_demo_has_an_archive_of_weeks_with_late_and_newly_connected_agencies(client, app, seeded):
    from app.demo import connections as demo_connections

    with app.app_context():
        reports = weekly.archive()
        assert len(reports) == 9  # the last eight weeks and the week under way
        assert all(report.complete for report in reports[1:])
        assert sum(len(report.figures["connected"]) for report in reports) >= 10
        assert reports[0].figures["counts"]["late"] >= 10 and reports[0].figures["late"][0]["days_late"] > 0
        assert reports[0].figures["counts"]["connected"] > reports[-1].figures["counts"]["connected"]
        assert demo_connections.load() == 0  # a second seed adds nothing
    html = _html(client.get("/reports/weekly"))
    assert html.count('href="/reports/weekly/1') >= 10  # the latest link and nine rows


def test_editing_an_agency_changes_its_status_through_the_recorded_path(client, app, world):
    sign_in_staff(client, "admin")
    response = client.post(
        "/admin/agencies/7001",
        data={"name": "پلیس راهور", "name_en": "", "connection_status": "connected", "website_url": ""},
    )
    assert response.status_code == 302
    with app.app_context():
        agency = db.session.execute(db.select(Agency).filter_by(code="7001")).scalar_one()
        change = db.session.execute(
            db.select(AgencyConnectionChange).filter_by(agency_id=agency.id, to_status="connected")
        ).scalar_one()
        assert (change.from_status, change.changed_by.username) == ("not_connected", "admin")
