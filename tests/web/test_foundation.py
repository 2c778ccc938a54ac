"""The Foundation's pages and guarantees, driven through the test client."""

import base64
import gzip
import hashlib
import re

import pytest
from flask import abort

from app import create_app
from app.extensions import db
from tests import factories as f
from tests.web.helpers import sign_in_citizen

HOME_HTML_BUDGET = 14 * 1024


def test_home_is_persian_right_to_left_with_search_and_skip_link(client, app, seeded):
    from app.extensions import db
    from app.models import Service

    response = client.get("/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<html lang="fa" dir="rtl">' in html
    assert 'href="#main"' in html and 'id="main"' in html
    assert re.search(r'<form[^>]+action="/search"[^>]+method="get"', html)
    assert "خدمات پرمراجعه" in html
    with app.app_context():  # the demo catalogue's busiest service, whatever the data file says it is
        busiest = db.session.execute(db.select(Service.title).order_by(Service.yearly_volume.desc())).scalars().first()
    assert busiest in html


def test_home_html_fits_the_first_round_trip(client, seeded):
    html = client.get("/").get_data()
    assert len(gzip.compress(html, compresslevel=6)) <= HOME_HTML_BUDGET


def test_responses_are_compressed(client, seeded):
    response = client.get("/", headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert "<html" in gzip.decompress(response.get_data()).decode()


def test_search_box_finds_a_service_without_javascript(client, seeded):
    html = client.get("/search", query_string={"q": "گذرنامه"}).get_data(as_text=True)
    assert 'href="/services/10030001"' in html


# NUL is refused before any view with a Persian 400 (tests/web/test_bad_input.py); the rest is a normal search.
@pytest.mark.parametrize("query", ["", "\u202e\u0007", "ب" * 5000, "%%%___"])
def test_strange_search_input_gets_a_normal_page(client, query):
    assert client.get("/search", query_string={"q": query}).status_code == 200


def test_healthz_reports_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    # No worker has beaten in the test database: reported, but the web process itself is healthy.
    assert response.get_json() == {"status": "ok", "database": "ok", "worker": "stale"}


def test_healthz_is_503_when_database_is_unreachable(tmp_path):
    broken = create_app(
        {"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/missing/dir/db.sqlite3"}
    )
    response = broken.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] != "ok"


def test_language_switch_sets_english_and_back(client):
    response = client.get("/language/en", query_string={"next": "/search?q=x"})
    assert response.status_code == 302 and response.headers["Location"] == "/search?q=x"
    html = client.get("/").get_data(as_text=True)
    assert '<html lang="en" dir="ltr">' in html
    client.get("/language/fa", query_string={"next": "/"})
    assert '<html lang="fa" dir="rtl">' in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "javascript:alert(1)"])
def test_language_switch_never_redirects_off_site(client, target):
    response = client.get("/language/en", query_string={"next": target})
    assert response.headers["Location"] == "/"


def test_security_headers(client):
    headers = client.get("/").headers
    csp = headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "http" not in csp  # no other host is allowed anywhere
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"]


def test_session_cookie_flags(app):
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_static_files_have_hashed_immutable_urls(client):
    html = client.get("/").get_data(as_text=True)
    script = re.search(r'src="(/static/js/htmx-2\.0\.11\.min\.[0-9a-f]{10}\.js)"', html).group(1)
    response = client.get(script, headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.headers["Content-Encoding"] == "gzip"
    style = re.search(r"<style>(.*?)</style>", html, re.S).group(1)
    fonts = re.findall(r"url\((/static/fonts/[^)]+\.woff2)\)", style)
    assert len(fonts) == 2 and all(client.get(url).status_code == 200 for url in fonts)
    for url in fonts:
        assert client.get(url).headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert client.get("/static/js/htmx-2.0.11.min.js").status_code == 404  # only hashed names are served


def test_site_stylesheet_is_inlined_and_allowed_by_its_hash_only(client):
    """The first paint needs no second round trip; the policy allows exactly this style text, nothing inline else."""
    response = client.get("/")
    html = response.get_data(as_text=True)
    assert 'rel="stylesheet"' not in html
    style = re.search(r"<style>(.*?)</style>", html, re.S).group(1)
    assert ".skip-link" in style and "@font-face" in style
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    csp = response.headers["Content-Security-Policy"]
    assert f"style-src 'self' 'sha256-{digest}';" in csp
    assert "unsafe-inline" not in csp


def test_font_swaps_and_falls_back_to_system_fonts(client):
    html = client.get("/").get_data(as_text=True)
    css = re.search(r"<style>(.*?)</style>", html, re.S).group(1)
    assert css.count("font-display: swap") == 2
    assert re.search(r'--font: "Vazirmatn",[^;]*sans-serif', css)


# Error pages: a small app of its own, so the test routes exist before its first request.
@pytest.fixture
def error_client(database_url):
    application = create_app(
        {"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": database_url, "PROPAGATE_EXCEPTIONS": False}
    )

    @application.route("/_test/abort/<int:code>")
    def _abort(code):
        abort(code)

    @application.route("/_test/crash")
    def _crash():
        raise RuntimeError("boom")

    @application.route("/_test/form", methods=["POST"])
    def _form():
        return "accepted"

    return application.test_client()


@pytest.mark.parametrize(
    "code,title",
    [
        (400, "درخواست نامعتبر"),
        (403, "دسترسی ممکن نیست"),
        (404, "صفحه پیدا نشد"),
        (405, "این کار مجاز نیست"),
        (429, "درخواست‌ها بیش از حد مجاز"),
        (500, "خطای سامانه"),
    ],
)
def test_error_pages_are_persian_and_in_the_layout(error_client, code, title):
    response = error_client.get(f"/_test/abort/{code}")
    html = response.get_data(as_text=True)
    assert response.status_code == code
    assert title in html
    assert 'dir="rtl"' in html and 'class="site-header"' in html


def test_unknown_page_is_persian_404(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404 and "صفحه پیدا نشد" in response.get_data(as_text=True)


def test_a_signed_in_person_on_a_404_page_is_still_shown_as_signed_in(client, app):
    with app.app_context():
        person = f.citizen(name="نرگس امینی")
        db.session.commit()
        code, mobile = person.national_code, person.mobile
    sign_in_citizen(client, app, code, mobile)
    html = client.get("/no-such-page").get_data(as_text=True)
    assert "نرگس امینی" in html and "خروج" in html
    assert 'href="/account/sign-in"' not in html


def test_wrong_method_is_persian_405(client):
    response = client.post("/healthz")
    assert response.status_code == 405 and "این کار مجاز نیست" in response.get_data(as_text=True)


def test_unhandled_error_is_persian_500_page(error_client):
    response = error_client.get("/_test/crash")
    assert response.status_code == 500
    assert "خطای سامانه" in response.get_data(as_text=True)


def test_post_without_csrf_token_is_rejected(error_client):
    response = error_client.post("/_test/form", data={"x": "1"})
    assert response.status_code == 400
    assert "صفحه را دوباره باز کنید" in response.get_data(as_text=True)


def test_seed_demo_is_idempotent_and_creates_every_role(runner, app):
    from app.extensions import db
    from app.models import Role, Service, User

    assert "new rows" in runner.invoke(args=["seed-demo"]).output
    with app.app_context():
        counts = (db.session.query(Service).count(), db.session.query(User).count())
        assert {u.role for u in db.session.query(User)} == set(Role.ALL)
    assert "already present" in runner.invoke(args=["seed-demo"]).output
    with app.app_context():
        assert (db.session.query(Service).count(), db.session.query(User).count()) == counts


def test_service_card_shows_what_a_person_needs(client, seeded):
    html = client.get("/services/10030001").get_data(as_text=True)
    assert "پلیس مهاجرت و گذرنامه" in html
    assert "۲۰٬۰۰۰٬۰۰۰ ریال" in html  # the government fee, Persian digits and separators
    assert "عکس ۴×۶ با زمینهٔ سفید" in html  # a required document


def test_unknown_service_code_is_404(client, seeded):
    assert client.get("/services/99999999").status_code == 404
