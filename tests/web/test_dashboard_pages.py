"""/dashboard through the test client: the tiles show hand-computed numbers, the province filter changes them, an
unknown province falls back to the national view with a message, the tables' CSV and XLSX hold the page's numbers,
the page fits the byte budget, and the footer leads there."""

import csv
import gzip
import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import update

from app.evaluation import dashboard
from app.extensions import db
from app.models import Agency
from tests import factories as f
from tests.unit.test_dashboard import ALBORZ, TEHRAN, build

HTML_BUDGET = 14 * 1024  # DESIGN.md §5: a public page's HTML fits the first round trip, compressed


@pytest.fixture
def data(app, monkeypatch):
    monkeypatch.setitem(app.config, "PROCESSING_TIMES_MIN_SAMPLE", 3)
    with app.app_context():
        build()


def page(client, url="/dashboard"):
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def tiles(html):
    block = re.search(r'<ul class="stages".*?</ul>', html, re.S).group(0)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", block)).strip()


def table(html, key):
    """The rows of a table on the page, as the cells' text."""
    body = re.search(rf'<table class="data(?: stacked)?" id="table-{key}">.*?<tbody>(.*?)</tbody>', html, re.S).group(1)
    return [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def test_national_tiles_show_the_hand_computed_figures(client, data):
    text = tiles(page(client))
    assert "خدمات منتشرشده ۱۰" in text
    assert "دستگاه‌های متصل ۱ از ۲" in text
    assert "کاملاً الکترونیکی ۳۰٪ هدف ۳۰٪" in text  # 3 of 10
    assert re.search(r"درخواست‌های \S+ [۰-۹]{4} ۵", text)  # this Jalali month, by name
    assert "میانهٔ زمان رسیدگی ۲ روز" in text


def test_the_province_filter_changes_the_tiles(client, data):
    text = tiles(page(client, f"/dashboard?province={ALBORZ}"))
    assert "خدمات منتشرشده ۶" in text and "دستگاه‌های متصل ۰ از ۰" in text
    assert "کاملاً الکترونیکی ۳۳٫۳٪" in text  # 2 of 6
    assert "میانهٔ زمان رسیدگی — درخواست‌های کافی نیست" in text  # no decided request counted in Alborz
    html = page(client, f"/dashboard?province={TEHRAN}")
    assert "دستگاه‌های متصل ۰ از ۱" in tiles(html)
    assert f'<option value="{TEHRAN}" selected' in html and "<h1>داشبورد عمومی پنجره: تهران</h1>" in html


def test_persian_digits_in_the_address_are_understood(client, data):
    assert "خدمات منتشرشده ۶" in tiles(page(client, "/dashboard?province=۳۰"))


@pytest.mark.parametrize("code", ["99", "<script>", "x" * 500])
def test_an_unknown_province_shows_the_national_view_with_a_message(client, data, code):
    html = page(client, f"/dashboard?province={code}")
    assert "این استان را نمی‌شناسیم؛ آمار کشوری نشان داده می‌شود." in html
    assert "خدمات منتشرشده ۱۰" in tiles(html) and "<script>" not in html.split("<main", 1)[1]


def test_each_chart_is_an_svg_with_its_table_and_downloads(client, data):
    html = page(client)
    for key in ("weeks", "agencies", "connection"):
        assert re.search(rf'<svg [^>]*id="chart-{key}"[^>]*role="img"', html)
        assert f'href="/dashboard/{key}.csv"' in html and f'href="/dashboard/{key}.xlsx"' in html
    assert table(html, "agencies") == [["سازمان ملی", "۶", "۲", "۳۳٫۳٪"], ["اداره‌کل استانی", "۴", "۱", "۲۵٪"]]
    assert table(html, "connection") == [
        ["متصل به پنجره", "۱"],
        ["فقط ارجاع به سامانهٔ دستگاه", "۰"],
        ["هنوز متصل نشده", "۱"],
    ]
    weeks = table(html, "weeks")
    assert len(weeks) == 12 and weeks[-1][1:] == ["۳", "۲", "۵"]
    assert re.fullmatch(r"[۰-۹]{4}/[۰-۹]{2}/[۰-۹]{2}", weeks[-1][0])
    assert 'href="#method-electronic"' in html and 'id="method-electronic"' in html


def test_the_xlsx_holds_the_numbers_of_the_page_table(client, data):
    response = client.get(f"/dashboard/agencies.xlsx?province={TEHRAN}")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows == [["دستگاه", "خدمات", "کاملاً الکترونیکی", "سهم (درصد)"], ["اداره‌کل استانی", 4, 1, 25]]
    shown = table(page(client, f"/dashboard?province={TEHRAN}"), "agencies")
    assert shown == [["اداره‌کل استانی", "۴", "۱", "۲۵٪"]]
    weeks = load_workbook(io.BytesIO(client.get("/dashboard/weeks.xlsx").get_data())).active
    last = list(weeks.iter_rows(values_only=True))[-1]
    assert last[1:] == (3, 2, 5)


def test_the_csv_holds_the_same_rows(client, data):
    response = client.get("/dashboard/connection.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows == [
        ["وضعیت اتصال", "دستگاه‌ها"],
        ["متصل به پنجره", "1"],
        ["فقط ارجاع به سامانهٔ دستگاه", "0"],
        ["هنوز متصل نشده", "1"],
    ]


@pytest.mark.parametrize("url", ["/dashboard/nothing.csv", "/dashboard/weeks.pdf", "/dashboard/weeks.csv?province=99"])
def test_unknown_downloads_answer_404(client, data, url):
    assert client.get(url).status_code == 404


def test_the_english_page_has_latin_digits(client, data):
    client.set_cookie("lang", "en")
    html = page(client)
    svg = re.search(r'<svg [^>]*id="chart-agencies".*?</svg>', html, re.S).group(0)
    assert "33.3%" in svg and not re.search("[۰-۹]", svg)


def test_the_dashboard_fits_the_byte_budget_with_many_agencies(client, app, data):
    with app.app_context():
        for n in range(12):
            f.service(f.agency(code=f"7{n:02d}", name="سازمان ملی ثبت اسناد و املاک کشور و امور مالکیت " + str(n)))
        db.session.commit()
    body = client.get(f"/dashboard?province={TEHRAN}").get_data()
    assert len(gzip.compress(body, compresslevel=6)) <= HTML_BUDGET
    assert len(gzip.compress(client.get("/dashboard").get_data(), compresslevel=6)) <= HTML_BUDGET


def test_a_cached_page_shows_the_new_snapshot_once_written(client, app, data):
    assert "دستگاه‌های متصل ۱ از ۲" in tiles(page(client))
    with app.app_context():
        # Bulk SQL, which leaves the catalogue version alone: only the snapshot's own write can refresh the page.
        db.session.execute(update(Agency).values(connection_status="connected"))
        db.session.commit()
    assert "دستگاه‌های متصل ۱ از ۲" in tiles(page(client))  # the stored snapshot (and the cached page)
    with app.app_context():
        dashboard.store()
        db.session.commit()
    assert "دستگاه‌های متصل ۲ از ۲" in tiles(page(client))


def test_every_page_links_to_the_dashboard(client, data):
    assert 'href="/dashboard"' in page(client, "/")


def test_the_dashboard_of_an_empty_catalogue_says_so(client):
    html = page(client)
    assert "خدمات منتشرشده ۰" in tiles(html) and "کاملاً الکترونیکی ۰٪" in tiles(html)
    assert table(html, "agencies") == [["هنوز داده‌ای نیست."]]
    assert len(table(html, "weeks")) == 12
