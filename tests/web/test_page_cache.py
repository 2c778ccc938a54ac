"""The page cache for anonymous visitors serves nothing personal (a signed-in page, a flash, a CSRF token) and never
a page from before a change: a published revision or an import shows at once; the English and Persian pages and
two provinces' pages are kept apart."""

import re

from flask import Flask, render_template_string
from flask_babel import Babel
from flask_wtf import CSRFProtect
from sqlalchemy import text

from app.catalogue.queries import publish_revision
from app.catalogue.transfer import Source, import_catalogue
from app.core import page_cache
from app.extensions import db
from app.models import InquiryType, Province, ServiceInquiry, ServiceRevision
from tests import factories as f
from tests.web.helpers import sign_in_citizen


def _card(app, title="صدور پروانهٔ کسب خانگی"):
    with app.app_context():
        service = f.service(title=title)
        db.session.commit()
        return service.code


def _retitle_behind_the_cache(app, code, title):
    """A change the ORM never sees, so the version stays: only a cache can still show the old title afterwards."""
    with app.app_context():
        db.session.execute(
            text(
                "UPDATE service_revision SET title = :title WHERE id = "
                "(SELECT current_revision_id FROM service WHERE code = :code)"
            ),
            {"title": title, "code": code},
        )
        db.session.commit()


def test_a_card_is_served_from_the_cache_until_a_revision_is_published(app, client):
    code = _card(app)
    assert "صدور پروانهٔ کسب خانگی" in client.get(f"/services/{code}").get_data(as_text=True)
    _retitle_behind_the_cache(app, code, "عنوانی که هنوز دیده نمی‌شود")
    kept = client.get(f"/services/{code}")
    assert kept.status_code == 200
    assert "صدور پروانهٔ کسب خانگی" in kept.get_data(as_text=True)

    with app.app_context():
        service = db.session.execute(db.select(ServiceRevision)).scalars().first().service
        revision = ServiceRevision(
            service=service, number=2, status="approved", title="صدور پروانهٔ کسب خانگی (ویرایش دوم)"
        )
        db.session.add(revision)
        db.session.flush()
        publish_revision(service, revision, [], [], [])
        db.session.commit()
    assert "صدور پروانهٔ کسب خانگی (ویرایش دوم)" in client.get(f"/services/{code}").get_data(as_text=True)


def test_an_inquiry_added_to_a_card_shows_at_once_on_the_cached_card(app, client):
    # The card tells the citizen which documents an inquiry to another agency replaces: a new inquiry of the card
    # is a new catalogue version, so a kept card never asks for a paper nobody needs to bring any more.
    with app.app_context():
        service = f.service(documents=["کارت ملی", "عکس ۳×۴"])
        kind = InquiryType(
            code="identity",
            agency=f.agency(name="سازمان ثبت احوال کشور"),
            title="استعلام هویت",
            answer_fields=[{"name": "alive", "label": "در قید حیات"}],
            replaces=["کارت ملی"],
            legal_basis="",
        )
        db.session.add(kind)
        db.session.commit()
        code, service_id, kind_id = service.code, service.id, kind.id
    before = client.get(f"/services/{code}").get_data(as_text=True)
    assert "<li>کارت ملی</li>" in before and "لازم نیست «کارت ملی»" not in before
    with app.app_context():
        db.session.add(ServiceInquiry(service_id=service_id, inquiry_type_id=kind_id, position=0, replaces=[]))
        db.session.commit()
    after = client.get(f"/services/{code}").get_data(as_text=True)
    assert "لازم نیست «کارت ملی» را بیاورید" in after and "<li>کارت ملی</li>" not in after


def test_an_import_shows_at_once_on_the_agencies_page(app, client):
    with app.app_context():
        f.agency(code="9001", name="سازمان نخست")
        db.session.commit()
    assert "سازمان نخست" in client.get("/agencies").get_data(as_text=True)
    with app.app_context():
        import_catalogue(
            Source.from_data(
                {"agencies": [{"code": "9002", "name": "سازمان تازه‌وارد", "connection_status": "connected"}]}
            )
        )
        db.session.commit()
    page = client.get("/agencies").get_data(as_text=True)
    assert "سازمان تازه‌وارد" in page and "سازمان نخست" in page


def test_a_cached_page_is_compressed_and_says_what_it_varies_on(app, client):
    code = _card(app)
    client.get(f"/services/{code}")
    response = client.get(f"/services/{code}", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert response.headers["Content-Encoding"] == "br"
    assert {"accept-encoding", "cookie"} <= {v.strip().lower() for v in response.headers["Vary"].split(",")}
    plain = client.get(f"/services/{code}", headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers
    assert "صدور پروانهٔ کسب خانگی" in plain.get_data(as_text=True)


def test_a_signed_in_page_is_never_kept_for_an_anonymous_visitor(app, client):
    code = _card(app)
    sign_in_citizen(client, app, f.national_code(7001), "09121110001")
    mine = client.get(f"/services/{code}").get_data(as_text=True)
    assert "خروج" in mine  # the sign-out button of the signed-in header

    anonymous = app.test_client().get(f"/services/{code}")
    assert "خروج" not in anonymous.get_data(as_text=True)
    assert "ورود" in anonymous.get_data(as_text=True)
    # ...and the anonymous page now kept is not what the signed-in visitor gets.
    assert "خروج" in client.get(f"/services/{code}").get_data(as_text=True)


def test_a_signed_in_page_says_no_store(app, client):
    code = _card(app)
    app.test_client().get(f"/services/{code}")  # kept for anonymous visitors
    sign_in_citizen(client, app, f.national_code(7002), "09121110002")
    assert client.get(f"/services/{code}").headers["Cache-Control"] == "no-store"


def test_a_flash_is_shown_once_and_never_replayed(app, client):
    code = _card(app)
    app.test_client().get(f"/services/{code}")  # the page is kept for anonymous visitors
    with client.session_transaction() as session:
        session["_flashes"] = [("message", "پیامی فقط برای این بازدیدکننده")]
    assert "پیامی فقط برای این بازدیدکننده" in client.get(f"/services/{code}").get_data(as_text=True)
    assert "پیامی فقط برای این بازدیدکننده" not in client.get(f"/services/{code}").get_data(as_text=True)
    assert "پیامی فقط برای این بازدیدکننده" not in app.test_client().get(f"/services/{code}").get_data(as_text=True)


def test_a_page_with_a_csrf_token_is_drawn_for_each_session():
    # The rule itself, on a small app of its own: the site's CSRF protection is off in the test configuration.
    small = Flask(__name__)
    small.config.update(
        SECRET_KEY="page-cache-test",
        PAGE_CACHE="simple",
        PAGE_CACHE_SECONDS=60,
        PAGE_CACHE_SIZE=10,
        PAGE_CACHE_DIR="",
        REDIS_URL="",
    )
    CSRFProtect(small)
    Babel(small)
    page_cache.init_app(small, version=lambda: "1")

    @small.get("/form")
    @page_cache.cached_page
    def form():
        return render_template_string('<form method="post"><input name="csrf_token" value="{{ csrf_token() }}">')

    @small.get("/plain")
    @page_cache.cached_page
    def plain():
        return render_template_string("{{ range(10**6) | random }}")

    def token(client):
        return re.search(r'value="([^"]+)"', client.get("/form").get_data(as_text=True)).group(1)

    returning = small.test_client()
    token(returning)  # the first visit puts the token in the session...
    mine = token(returning)  # ...the second draws it again without changing the session
    assert token(small.test_client()) != mine
    # The same app does keep a page without one: a second visitor sees the first one's draw.
    first = small.test_client().get("/plain").get_data(as_text=True)
    assert small.test_client().get("/plain").get_data(as_text=True) == first


def test_english_and_persian_pages_are_kept_apart(app, client):
    _card(app)
    assert 'lang="fa"' in client.get("/").get_data(as_text=True)
    english = app.test_client()
    english.set_cookie("lang", "en")
    assert 'lang="en"' in english.get("/").get_data(as_text=True)
    assert 'lang="fa"' in client.get("/").get_data(as_text=True)


def test_two_provinces_home_pages_are_kept_apart(app, client):
    with app.app_context():
        isfahan = db.session.execute(db.select(Province).filter_by(code="10")).scalar_one()
        for n in range(8):  # the home page's most requested services, so the local one shows only as local
            f.service(title=f"خدمت پرتقاضای شمارهٔ {n}", yearly_volume=10_000 + n)
        local = f.service(title="مجوز گردشگری ویژهٔ اصفهان", offered_everywhere=False)
        publish_revision(local, local.current_revision, [isfahan], [], [])
        db.session.commit()
    client.set_cookie("place", "10")
    assert "مجوز گردشگری ویژهٔ اصفهان" in client.get("/").get_data(as_text=True)
    tehran = app.test_client()
    tehran.set_cookie("place", "23")
    assert "مجوز گردشگری ویژهٔ اصفهان" not in tehran.get("/").get_data(as_text=True)
    assert "مجوز گردشگری ویژهٔ اصفهان" in client.get("/").get_data(as_text=True)


def test_a_search_that_finds_nothing_counts_every_visit(app, client):
    _card(app)
    for _ in range(3):
        client.get("/search?q=هواپیمای مسافربری")
    with app.app_context():
        count = db.session.execute(text("SELECT count FROM search_miss")).scalar_one()
    assert count == 3
