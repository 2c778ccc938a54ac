"""Issue 12 items 1 and 2 in Chromium at 360 px: a file too big for its field, a body over the request cap, a session
that ends mid-form (online and at the counter) without JavaScript; with it, the size checked before uploading and the
warning before the session ends, with its renew button."""

from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from app.extensions import db
from app.models import OtpChallenge, Request, Role
from tests import factories as f
from tests.browser.conftest import (
    DESKTOP,
    PERSIAN_DIGITS,
    assert_no_sideways_scroll,
    click_and_wait,
    fonts_ready,
    staff_signs_in,
)
from tests.browser.test_requests_browser import citizen_signs_in
from tests.web.helpers import otp_from_sms, register_mobile

pytestmark = pytest.mark.usefixtures("uploads")
PHONE = {"width": 360, "height": 740}
SHOTS = Path("/tmp/shots-M")
MB = 1024 * 1024
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
FORM = [
    {"name": "description", "type": "textarea", "label": "شرح درخواست", "required": True},
    {"name": "document", "type": "file", "label": "مدارک", "required": False, "max_size_mb": 5},
]
TYPED = "گواهی برای ادارهٔ کار، با همهٔ جزئیات"


@pytest.fixture
def world(app):
    with app.app_context():
        service = f.service(f.agency(name="ادارهٔ ثبت آزمایشی"), form=FORM, title="صدور گواهی آزمایشی")
        person = f.citizen(8201, mobile="09120008201")
        db.session.commit()
        return {"service": service.code, "national_code": person.national_code, "mobile": person.mobile}


def _pdf(name, size):
    return {"name": name, "mimeType": "application/pdf", "buffer": PDF + b"0" * (size - len(PDF))}


def _shot(page, name):
    SHOTS.mkdir(exist_ok=True)
    fonts_ready(page)
    page.screenshot(path=str(SHOTS / f"{name}-{page.viewport_size['width']}.png"), full_page=True)


def _signed_in_at_form(new_context, live_server, app, world, viewport=PHONE, js=False, lang="fa"):
    context = new_context(viewport=viewport, java_script_enabled=js, locale="fa-IR")
    page = context.new_page()
    citizen_signs_in(page, live_server.url, app, world["national_code"], world["mobile"])
    page.goto(_in_language(live_server.url, f"/services/{world['service']}/apply", lang))
    return context, page


def _in_language(base, path, lang):
    """The page's address, through the language switch when it is to be English."""
    return f"{base}/language/en?next={path}" if lang == "en" else base + path


def _code_sent_long_ago(app):
    """The sign-in code of a few seconds ago was sent long enough ago for another (the 60 s resend wait)."""
    with app.app_context():
        for challenge in db.session.execute(db.select(OtpChallenge)).scalars():
            challenge.sent_at -= timedelta(hours=1)
        db.session.commit()


def _filed(app):
    with app.app_context():
        return db.session.execute(db.select(Request).where(Request.status != "draft")).scalars().all()


# --- item 1 -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["360px", "1280px"])
def test_a_30_mb_file_is_a_field_error_and_the_text_stays_without_javascript(
    new_context, live_server, app, world, viewport
):
    _context, page = _signed_in_at_form(new_context, live_server, app, world, viewport)
    expect(page.get_by_text("حداکثر ۵ مگابایت؛ PDF، JPEG یا PNG")).to_be_visible()
    page.get_by_label("شرح درخواست").fill(TYPED)
    page.get_by_label("مدارک").set_input_files(_pdf("اسکن.pdf", 30 * MB))
    click_and_wait(page, page.locator("form[enctype='multipart/form-data'] button[type=submit]").first)
    expect(page.locator("#document-error")).to_have_text("حجم پرونده بیش از ۵ مگابایت است.")
    expect(page.get_by_label("شرح درخواست")).to_have_value(TYPED)
    assert "Request Entity Too Large" not in page.content()
    assert_no_sideways_scroll(page, "the form with a file too big for its field")
    _shot(page, "field-too-big")
    assert _filed(app) == []


@pytest.mark.parametrize("lang", ["fa", "en"])
def test_a_body_over_the_cap_gets_the_persian_413_page_and_a_way_back(
    new_context, live_server, app, world, monkeypatch, lang
):
    _context, page = _signed_in_at_form(new_context, live_server, app, world, lang=lang)
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 2 * MB)
    form_url = page.url
    page.locator("#description").fill(TYPED)
    page.locator("#document").set_input_files(_pdf("بزرگ.pdf", 3 * MB))
    click_and_wait(page, page.locator("form[enctype='multipart/form-data'] button[type=submit]").first)
    assert "Request Entity Too Large" not in page.content()
    if lang == "fa":
        expect(page.get_by_role("heading", name="پرونده بیش از حد بزرگ است")).to_be_visible()
        expect(page.locator("main")).to_contain_text("بیش از ۲ مگابایت بود")
    assert_no_sideways_scroll(page, "the 413 page")
    _shot(page, f"413-{lang}")
    click_and_wait(page, page.locator(".error-page a.button"))
    assert page.url == form_url
    expect(page.locator("#description")).to_be_visible()


@pytest.mark.parametrize("lang", ["fa", "en"])
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["360px", "1280px"])
def test_with_javascript_a_big_file_is_refused_before_uploading(new_context, live_server, app, world, viewport, lang):
    _context, page = _signed_in_at_form(new_context, live_server, app, world, viewport, js=True, lang=lang)
    page.locator("#description").fill(TYPED)
    uploads = []
    page.on("request", lambda r: uploads.append(r.url) if r.method == "POST" else None)
    page.locator("#document").set_input_files(_pdf("اسکن.pdf", 6 * MB))
    message = page.locator("#document-precheck")
    expect(message).to_be_visible()
    if lang == "fa":
        expect(message).to_have_text("حجم این پرونده بیش از ۵ مگابایت است؛ پرونده‌ای کوچک‌تر انتخاب کنید.")
    expect(page.locator("#document")).to_have_attribute("aria-invalid", "true")
    page.locator("form[enctype='multipart/form-data'] button[type=submit]").first.click()
    page.wait_for_timeout(300)
    assert uploads == []  # nothing was sent
    expect(page.locator("#document")).to_be_focused()
    assert_no_sideways_scroll(page, "the form refusing a big file before upload")
    _shot(page, f"precheck-{lang}")
    # A file within the limit clears the message and the form goes.
    page.locator("#document").set_input_files(_pdf("کوچک.pdf", 100 * 1024))
    expect(message).to_be_hidden()


# --- item 2 -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["360px", "1280px"])
def test_signed_out_mid_form_signs_in_and_finds_the_form_filled_without_javascript(
    new_context, live_server, app, world, monkeypatch, viewport
):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    context, page = _signed_in_at_form(new_context, live_server, app, world, viewport)
    form_url = page.url
    page.get_by_label("شرح درخواست").fill(TYPED)
    page.get_by_label("مدارک").set_input_files(_pdf("اسکن.pdf", 50 * 1024))
    context.clear_cookies()  # half an hour idle: the browser has dropped the session cookie
    click_and_wait(page, page.locator("form[enctype='multipart/form-data'] button[type=submit]").first)
    assert "/account/sign-in" in page.url
    expect(page.get_by_text("آنچه در فرم نوشته بودید نگه داشته شده")).to_be_visible()
    assert "۴۰۰" not in page.content()
    _shot(page, "signed-out-sign-in")
    _code_sent_long_ago(app)
    page.get_by_label("کد ملی").fill(world["national_code"].translate(PERSIAN_DIGITS))
    page.get_by_label("شمارهٔ همراه").fill(world["mobile"].translate(PERSIAN_DIGITS))
    click_and_wait(page, page.get_by_role("button", name="دریافت کد ورود"))
    page.get_by_label("کد ورود").fill(otp_from_sms(app, world["mobile"]))
    click_and_wait(page, page.get_by_role("button", name="ورود", exact=True))
    assert page.url == form_url
    expect(page.get_by_label("شرح درخواست")).to_have_value(TYPED)
    expect(page.get_by_text("آنچه نوشته بودید نگه داشته شد و اینجاست")).to_be_visible()
    expect(page.get_by_text("پرونده‌هایی را که انتخاب کرده بودید دوباره انتخاب کنید")).to_be_visible()
    assert_no_sideways_scroll(page, "the form brought back after signing in")
    _shot(page, "restored")
    assert _filed(app) == []


def test_a_stale_token_while_signed_in_brings_the_form_back(new_context, live_server, app, world, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    context, page = _signed_in_at_form(new_context, live_server, app, world)
    page.get_by_label("شرح درخواست").fill(TYPED)
    # Another tab of the same browser signs in again: this page's token now belongs to a session that is gone.
    other = context.new_page()
    _code_sent_long_ago(app)
    citizen_signs_in(other, live_server.url, app, world["national_code"], world["mobile"])
    other.close()
    click_and_wait(page, page.locator("form[enctype='multipart/form-data'] button[type=submit]").first)
    assert f"/services/{world['service']}/apply" in page.url
    expect(page.get_by_label("شرح درخواست")).to_have_value(TYPED)
    expect(page.get_by_text("آنچه نوشته بودید نگه داشته شد و اینجاست")).to_be_visible()
    assert "مهلت این فرم تمام شده" not in page.content()


def test_clerk_signed_out_at_the_form_step_comes_back_to_it_filled(new_context, live_server, app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    with app.app_context():
        service = f.service(
            f.agency(name="پلیس راهور"),
            form=[
                {"name": "plate", "type": "text", "label": "شمارهٔ پلاک", "required": True},
                {"name": "scan", "type": "file", "label": "تصویر سند", "required": False, "max_size_mb": 1},
            ],
            title="صدور المثنی کارت خودرو",
        )
        f.outsourcing(service, fee=60_000)
        office = f.office(code="11009", name="دفتر آزمایشی")
        f.staff(Role.CLERK, username="clerk-e", office=office)
        db.session.commit()
        code = service.code
    register_mobile(app, f.national_code(4243), "09351234568")
    context = new_context(viewport=PHONE, java_script_enabled=False, locale="fa-IR")
    page = context.new_page()
    base = live_server.url
    staff_signs_in(page, base, "clerk-e")
    page.goto(f"{base}/counter/file/{code}")
    page.get_by_label("کد ملی متقاضی").fill(f.national_code(4243))
    page.get_by_label("نام و نام خانوادگی").fill("رضا پیاده")
    page.get_by_label("شمارهٔ همراه متقاضی").fill("09351234568")
    page.get_by_label("فرم کاغذی امضاشده").check()
    page.get_by_label("شمارهٔ فرم رضایت کاغذی").fill("۱۴۰۵/۱")
    click_and_wait(page, page.get_by_role("button", name="ادامه"))
    expect(page.get_by_text("حداکثر ۱ مگابایت؛ PDF، JPEG یا PNG")).to_be_visible()
    _shot(page, "counter-form-limits")
    page.get_by_label("شمارهٔ پلاک").fill("۹۹ج۱۱۱")
    context.clear_cookies()
    click_and_wait(page, page.get_by_role("button", name="ادامه"))
    assert "/staff/sign-in" in page.url
    page.get_by_label("نام کاربری").fill("clerk-e")
    page.get_by_label("گذرواژه").fill(f.PASSWORD)
    click_and_wait(page, page.get_by_role("button", name="ورود"))
    assert page.url.endswith(f"/counter/file/{code}/form")
    expect(page.get_by_label("شمارهٔ پلاک")).to_have_value("۹۹ج۱۱۱")
    expect(page.get_by_text("آنچه نوشته بودید نگه داشته شد و اینجاست")).to_be_visible()
    _shot(page, "counter-restored")


@pytest.mark.parametrize("lang", ["fa", "en"])
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["360px", "1280px"])
def test_with_javascript_a_warning_before_the_session_ends_and_a_button_that_renews_it(
    new_context, live_server, app, world, monkeypatch, viewport, lang
):
    context = new_context(viewport=viewport, java_script_enabled=True, locale="fa-IR")
    page = context.new_page()
    citizen_signs_in(page, live_server.url, app, world["national_code"], world["mobile"])
    monkeypatch.setitem(app.config, "PERMANENT_SESSION_LIFETIME", 6)  # seconds, for the test
    monkeypatch.setitem(app.config, "SESSION_WARNING_SECONDS", 4)
    page.goto(_in_language(live_server.url, f"/services/{world['service']}/apply", lang))
    warning = page.locator("#session-warning")
    expect(warning).to_be_hidden()
    expect(warning).to_be_visible(timeout=5000)  # two seconds in: four before the end
    assert_no_sideways_scroll(page, "the form with the expiry warning")
    _shot(page, f"session-warning-{lang}")
    with page.expect_response(lambda r: "/session/renew" in r.url) as renewed:
        warning.locator("button").click()
    assert renewed.value.json() == {"active": True}
    expect(warning).to_be_hidden()
    # Not renewed again: past the end the notice says that sending still keeps what was typed.
    expect(warning).to_be_visible(timeout=5000)
    expect(warning.locator("button")).to_be_visible()
    expect(warning.locator("button")).to_be_hidden(timeout=5000)
    if lang == "fa":
        expect(warning).to_contain_text("نشست شما به پایان رسید")
    _shot(page, f"session-ended-{lang}")
