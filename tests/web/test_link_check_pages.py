"""What people see of the link checks: the card says when its link was last checked and, once broken, says so and
points to the counter offices; the desk lists its own agency's broken links only; administrators see all (a
provincial one their province's agencies'); `flask links check AGENCY` checks one agency's links now."""

import pytest

from app.evaluation import links
from app.extensions import db
from app.models import LinkCheck, Role
from tests import factories as f
from tests.web.helpers import sign_in_staff

TEHRAN, TABRIZ = "23", "03"
BROKEN_NOTE = "این پیوند در بررسی‌های اخیر کار نکرد"


def _fail(url, times):
    link = links.link_for_url(url)
    for _ in range(times):
        links.record(link, links.Probe("failure", 404, url, "HTTP 404"))
    db.session.commit()


@pytest.fixture
def world(app):
    with app.app_context():
        police = f.agency(code="7002", name="پلیس راهور")
        other = f.agency(code="7003", name="سازمان دیگر")
        other.website_url = "https://other.example.ir/"
        tabriz = f.agency(code="7004", name="ادارهٔ کل استان آذربایجان شرقی")
        tabriz.level, tabriz.province = "provincial", f.province(TABRIZ)
        f.service(police, code="70020001", title="نقل‌وانتقال خودرو", online_url="https://police.example.ir/transfer")
        f.service(police, code="70020002", title="تعویض پلاک", online_url="https://police.example.ir/plate")
        f.service(tabriz, code="70040001", title="خدمت استانی", online_url="https://tabriz.example.ir/apply")
        f.staff(Role.AGENCY_OFFICER, username="officer", agency=police)
        f.staff(Role.AGENCY_OFFICER, username="other-officer", agency=other)
        f.staff(Role.NATIONAL_ADMIN, username="admin")
        f.staff(Role.PROVINCIAL_ADMIN, username="tehran-admin", province=f.province(TEHRAN))
        f.staff(Role.PROVINCIAL_ADMIN, username="tabriz-admin", province=f.province(TABRIZ))
        links.sync()
        db.session.commit()
        _fail("https://police.example.ir/transfer", 2)
        _fail("https://other.example.ir/", 2)
        _fail("https://tabriz.example.ir/apply", 2)
        _fail("https://police.example.ir/plate", 1)  # one failure: caution, not broken


def test_a_card_whose_link_broke_says_so_and_points_to_the_counter_offices(app, client, world):
    html = client.get("/services/70020001").get_data(as_text=True)
    assert BROKEN_NOTE in html
    assert "این پیوند آخرین بار در" in html
    assert 'href="/offices' in html.split(BROKEN_NOTE)[1].split("</div>")[0]


def test_a_card_with_one_failed_check_is_not_called_broken(app, client, world):
    html = client.get("/services/70020002").get_data(as_text=True)
    assert BROKEN_NOTE not in html
    assert "این پیوند آخرین بار در" in html


def test_the_broken_note_on_a_card_offered_at_counters_links_to_its_offices_section(app, client, world):
    with app.app_context():
        f.outsourcing(links.link_for_url("https://police.example.ir/transfer").references[0].service)
        db.session.commit()
    html = client.get("/services/70020001").get_data(as_text=True)
    assert 'href="#counters"' in html.split(BROKEN_NOTE)[1].split("</div>")[0]
    assert 'id="counters"' in html


def test_a_card_that_recovers_loses_the_note(app, client, world):
    assert BROKEN_NOTE in client.get("/services/70020001").get_data(as_text=True)
    with app.app_context():
        link = links.link_for_url("https://police.example.ir/transfer")
        links.record(link, links.Probe("ok", 200, link.url))
        db.session.commit()
    assert BROKEN_NOTE not in client.get("/services/70020001").get_data(as_text=True)


def test_the_desk_lists_its_own_agencys_broken_and_doubtful_links_only(app, client, world):
    sign_in_staff(client, "officer")
    html = client.get("/desk/links").get_data(as_text=True)
    assert "https://police.example.ir/transfer" in html and "https://police.example.ir/plate" in html
    assert html.index("https://police.example.ir/transfer") < html.index("https://police.example.ir/plate")
    assert "other.example.ir" not in html and "tabriz.example.ir" not in html
    assert "HTTP 404" in html
    # The history of the broken one: its two failing checks, newest first.
    history = html.split('<tr class="link-broken">')[1].split("</tr>")[0]
    assert "https://police.example.ir/transfer" in history
    assert history.count("HTTP 404") == 3  # the newest check's result, then both checks in the history
    assert history.index("خراب") < history.index("نیازمند بررسی")


def test_another_agencys_officer_sees_none_of_this_agencys_links(app, client, world):
    sign_in_staff(client, "other-officer")
    html = client.get("/desk/links").get_data(as_text=True)
    assert "https://other.example.ir/" in html
    assert "police.example.ir" not in html


def test_the_desk_inbox_links_to_the_broken_links_page(app, client, world):
    sign_in_staff(client, "officer")
    assert 'href="/desk/links"' in client.get("/desk/").get_data(as_text=True)


def test_the_national_administrator_sees_every_agencys_broken_links(app, client, world):
    sign_in_staff(client, "admin")
    html = client.get("/admin/links").get_data(as_text=True)
    for url in ("https://police.example.ir/transfer", "https://other.example.ir/", "https://tabriz.example.ir/apply"):
        assert url in html
    assert "سازمان دیگر" in html


def test_a_provincial_administrator_sees_their_provinces_agencies_links_only(app, client, world):
    sign_in_staff(client, "tabriz-admin")
    html = client.get("/admin/links").get_data(as_text=True)
    assert "https://tabriz.example.ir/apply" in html
    assert "police.example.ir" not in html and "other.example.ir" not in html
    client.post("/staff/sign-out")
    sign_in_staff(client, "tehran-admin")
    html = client.get("/admin/links").get_data(as_text=True)
    assert "example.ir" not in html


def test_the_command_checks_one_agencys_links_now(app, runner, httpserver, monkeypatch):
    monkeypatch.setitem(app.config, "LINK_CHECK_BACKEND", "http")
    with app.app_context():
        owner = f.agency(code="7010")
        owner.website_url = httpserver.url_for("/")
        f.service(owner, online_url=httpserver.url_for("/gone"))
        f.service(online_url="https://elsewhere.example.ir/")  # another agency's: not checked
        db.session.commit()
    httpserver.expect_request("/").respond_with_data("")
    httpserver.expect_request("/gone").respond_with_data("", status=404)
    result = runner.invoke(args=["links", "check", "7010"])
    assert result.exit_code == 0, result.output
    assert "checked 2 links of 7010: 0 broken" in result.output
    assert "HTTP 404" in result.output
    result = runner.invoke(args=["links", "check", "7010"])
    assert "checked 2 links of 7010: 1 broken" in result.output
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(LinkCheck)) == 4
        assert links.link_for_url("https://elsewhere.example.ir/") is None  # not synced, not checked


def test_the_command_names_an_unknown_agency(app, runner):
    result = runner.invoke(args=["links", "check", "0000"])
    assert result.exit_code == 2
    assert "no agency with code 0000" in result.output


def test_the_link_pages_with_broken_links_are_valid_html(app, world, tmp_path):
    """The crawl of test_html_validity reaches these pages over the demo data, where no link has been checked;
    here they hold broken links, their history and the card's note."""
    from tests.web.test_html_validity import vnu_errors

    pages = {
        "card": ("/services/70020001", None),
        "desk": ("/desk/links", "officer"),
        "admin": ("/admin/links", "admin"),
    }
    for name, (url, account) in pages.items():
        client = app.test_client()
        if account:
            sign_in_staff(client, account)
        response = client.get(url)
        assert response.status_code == 200
        (tmp_path / f"{name}.html").write_text(response.get_data(as_text=True), encoding="utf-8")
    assert vnu_errors(tmp_path) == []
