"""The score pages read stored snapshots: the method page lists every indicator with its weight, /ranking ranks all
agencies (by province too) and its CSV and XLSX hold the page's rows, a past snapshot is shown again unchanged, the
agency page shows its score, rank, breakdown and weekly history, and administrators compute a snapshot on demand."""

import csv
import io
import re
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from app.core.persian import fold_digits
from app.evaluation import scores
from app.extensions import db
from app.models import Agency, AuditEvent, Role, ScoreSnapshot, utcnow
from tests import factories as f
from tests.web.helpers import sign_in_staff


def _cells(html, table_id):
    table = re.search(rf'<table[^>]*id="{table_id}".*?</table>', html, re.S).group(0)
    body = table.split("<tbody>")[1]
    rows = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S):
        cells = [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        rows.append([fold_digits(cell).replace("٫", ".").replace("٬", ",") for cell in cells])
    return rows


@pytest.fixture
def scored(app):
    """Three agencies: one fully electronic in Tehran, one half in Isfahan, one with nothing electronic in Tehran."""
    with app.app_context():
        tehran, isfahan = f.province("23"), f.province("10")
        first, second, third = f.agency("9201", "سازمان نخست"), f.agency("9202", "سازمان دوم"), f.agency("9203")
        first.province_id, second.province_id, third.province_id = tehran.id, isfahan.id, tehran.id
        for _ in range(3):
            f.service(first)
        f.service(second)
        f.service(second, stage_request="in_person")
        f.service(third, stage_request="in_person")
        snapshot = scores.store(as_of=utcnow() - timedelta(hours=1))
        db.session.commit()
        return snapshot.id


def test_method_page_lists_every_indicator_with_its_weight(app, client):
    html = client.get("/evaluation/method").get_data(as_text=True)
    with app.app_context():
        scores.load_providers()
        for key, weight in scores.WEIGHTS.items():
            row = re.search(rf'<tr id="indicator-{key}">(.*?)</tr>', html, re.S)
            assert row, key
            assert fold_digits(re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)[-1]) == str(weight)
            assert str(scores.title_of(key)) in row.group(1)
    assert 'id="no-data"' in html and 'id="target"' in html and "۳۰٪" in html
    for label in scores.CARD_FIELDS.values():
        assert str(label) in html


def test_ranking_ranks_all_agencies_and_filters_by_province(client, scored):
    html = client.get("/ranking").get_data(as_text=True)
    rows = _cells(html, "ranking")
    assert [row[1] for row in rows[:2]] == ["سازمان نخست", "سازمان دوم"]
    assert [row[0] for row in rows] == sorted(row[0] for row in rows)
    in_tehran = _cells(client.get("/ranking?province=23").get_data(as_text=True), "ranking")
    assert {row[1] for row in in_tehran} == {"سازمان نخست", "سازمان آزمایشی"}


def test_the_site_search_box_on_the_ranking_stays_empty(client, scored):
    html = client.get("/ranking?province=23").get_data(as_text=True)
    assert re.search(r'id="site-q"[^>]*value=""', html)


def test_unknown_province_or_snapshot_says_so_next_to_the_field(client, scored):
    answer = client.get("/ranking?province=99&snapshot=1390-13-40")
    assert answer.status_code == 400
    html = answer.get_data(as_text=True)
    assert 'id="r-province-error"' in html and 'id="r-snapshot-error"' in html


def test_csv_and_xlsx_hold_the_rows_of_the_page(client, scored):
    page = _cells(client.get("/ranking?province=23").get_data(as_text=True), "ranking")
    text = client.get("/ranking.csv?province=23").get_data(as_text=True).lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(text)))[1:]
    book = load_workbook(io.BytesIO(client.get("/ranking.xlsx?province=23").data))
    sheet = [list(row) for row in book.active.iter_rows(min_row=2, values_only=True)]
    assert len(rows) == len(sheet) == len(page)
    for shown, from_csv, from_xlsx in zip(page, rows, sheet, strict=True):
        assert shown[0] == from_csv[0] == str(from_xlsx[0])  # rank
        assert shown[1] == from_csv[1] == from_xlsx[1]  # agency
        assert float(shown[2]) == float(from_csv[3]) == from_xlsx[3]  # score
        assert [float(cell) for cell in shown[3:]] == [float(c) for c in from_csv[4:]] == list(from_xlsx[4:])


def test_a_past_ranking_is_shown_again_unchanged(app, client, scored):
    before = _cells(client.get(f"/ranking?snapshot={scored}").get_data(as_text=True), "ranking")
    with app.app_context():
        newcomer = f.agency("9204", "سازمان تازه")
        for _ in range(3):
            f.service(newcomer)
        scores.store()
        db.session.commit()
    latest = _cells(client.get("/ranking").get_data(as_text=True), "ranking")
    assert latest != before
    assert _cells(client.get(f"/ranking?snapshot={scored}").get_data(as_text=True), "ranking") == before


def test_agency_page_shows_score_rank_breakdown_and_history(app, client, scored):
    with app.app_context():
        first = db.session.execute(db.select(ScoreSnapshot).filter_by(id=scored)).scalar_one()
        scores.store(as_of=first.as_of - timedelta(days=7))
        scores.store(as_of=first.as_of - timedelta(days=14))
        db.session.commit()
        card = scores.agency_card(db.session.execute(db.select(Agency).filter_by(code="9202")).scalar_one().id)
    html = client.get("/agencies/9202").get_data(as_text=True)
    assert 'id="score"' in html and "از ۱۰۰" in html and "رتبهٔ" in html
    rows = _cells(html, "score-breakdown")
    assert len(rows) == len(scores.WEIGHTS)
    electronic = next(row for row in rows if row[0] == str(scores.title_of("fully_electronic")))
    # 1 of 2 services fully electronic (50 %, above the 30 % target): all 15 points, none lost.
    assert electronic[1].startswith("1 از 2") and electronic[2] == "15.00 از 15.00" and electronic[3] == "0.00"
    assert "/evaluation/method#indicator-fully_electronic" in html
    assert "/evaluation/method#no-data" in html
    assert html.count('<svg class="sparkline"') == 1
    assert len(card.history) == 3 and len(_cells(html, "score-history-table")) == 3


def test_a_new_snapshot_shows_at_once_on_the_cached_pages(app, client, scored):
    assert "سازمان تازه" not in client.get("/ranking").get_data(as_text=True)
    with app.app_context():
        f.service(f.agency("9205", "سازمان تازه"))
        scores.store()
        db.session.commit()
    assert "سازمان تازه" in client.get("/ranking").get_data(as_text=True)


def test_administrator_computes_scores_on_demand(app, client, scored):
    with app.app_context():
        f.staff(Role.NATIONAL_ADMIN, username="scoreadmin")
        f.staff(Role.PROVINCIAL_ADMIN, username="provadmin", province_id=f.province("23").id)
        db.session.commit()
    sign_in_staff(client, "provadmin")
    assert client.get("/admin/scores").status_code in (403, 404)
    assert client.post("/admin/scores").status_code in (403, 404)
    other = app.test_client()
    sign_in_staff(other, "scoreadmin")
    assert other.get("/admin/scores").status_code == 200
    answer = other.post("/admin/scores", follow_redirects=True)
    assert answer.status_code == 200 and "محاسبه شد" in answer.get_data(as_text=True)
    with app.app_context():
        latest = scores.latest()
        assert latest.kind == "on_demand" and latest.id != scored
        event = db.session.execute(db.select(AuditEvent).filter_by(action="scores.compute")).scalar_one()
        assert event.object_ref == str(latest.id)


def test_compute_now_refuses_a_post_without_its_csrf_token(app, monkeypatch):
    with app.app_context():
        f.staff(Role.NATIONAL_ADMIN, username="csrfadmin")
        f.agency()
        db.session.commit()
    client = app.test_client()
    sign_in_staff(client, "csrfadmin")
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    assert client.post("/admin/scores").status_code == 400
    with app.app_context():
        assert scores.latest() is None
