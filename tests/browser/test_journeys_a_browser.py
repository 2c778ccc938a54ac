"""Issue 12 slice A in Chromium: tracking linked from the pages people land on, masks that read as masks, the staff
sign-in ready to type into, Persian file fields, and a demo with requests to look at."""

import pytest
from playwright.sync_api import expect

from app.demo import DEMO_CITIZEN, DEMO_PASSWORD
from app.extensions import db
from tests import factories as f
from tests.browser.conftest import DESKTOP, assert_no_sideways_scroll, click_and_wait, staff_signs_in
from tests.browser.test_requests_browser import citizen_signs_in
from tests.web.helpers import register_mobile

pytestmark = pytest.mark.usefixtures("uploads")
PHONE = {"width": 360, "height": 740}
SHOTS = "/tmp/journeys-a"


def shot(page, name):
    page.screenshot(path=f"{SHOTS}/{name}-{page.viewport_size['width']}.png", full_page=True)


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["360px", "1280px"])
def test_tracking_is_reached_from_home_card_and_sign_in_without_javascript(new_context, live_server, seeded, viewport):
    base = live_server.url
    page = new_context(viewport=viewport, java_script_enabled=False, locale="fa-IR").new_page()
    page.goto(base + "/")
    click_and_wait(page, page.locator(".steps").get_by_role("link", name="پیگیری درخواست"))
    assert page.url.endswith("/track")
    page.goto(base + "/services/10010001")
    shot(page, "card")
    assert_no_sideways_scroll(page, "the card page")
    click_and_wait(page, page.locator(".action-panel").get_by_role("link", name="پیگیری با کد رهگیری"))
    assert page.url.endswith("/track")
    page.goto(base + "/account/requests")  # signed out: the sign-in page, which offers tracking without an account
    shot(page, "sign-in")
    assert_no_sideways_scroll(page, "the sign-in page")
    click_and_wait(page, page.get_by_role("link", name="پیگیری درخواست بدون ورود"))
    assert page.url.endswith("/track")
    page.goto(base + "/agencies")
    click_and_wait(page, page.locator(".site-footer").get_by_role("link", name="پیگیری درخواست با کد رهگیری"))
    assert page.url.endswith("/track")


def test_the_masked_mobile_reads_as_a_mask_left_to_right_at_360px(new_context, live_server, app):
    base = live_server.url
    page = new_context(viewport=PHONE, java_script_enabled=False, locale="fa-IR").new_page()
    register_mobile(app, "0499370899", "09121234567")
    page.goto(base + "/account/sign-in")
    page.get_by_label("کد ملی").fill("0499370899")
    page.get_by_label("شمارهٔ همراه").fill("09121234567")
    click_and_wait(page, page.get_by_role("button", name="دریافت کد ورود"))
    shown = page.locator('main span[dir="ltr"]').first
    expect(shown).to_have_text("۰۹*****۴۵۶۷")
    # isolated left to right: the leading ۰۹ is drawn to the left of the last four digits
    assert page.evaluate(
        """el => { const r = document.createRange(); const t = el.firstChild;
                  r.setStart(t, 0); r.setEnd(t, 1); const first = r.getBoundingClientRect().left;
                  r.setStart(t, t.length - 1); r.setEnd(t, t.length); return first < r.getBoundingClientRect().left; }""",
        shown.element_handle(),
    )
    shot(page, "sign-in-code")
    assert_no_sideways_scroll(page, "the sign-in code page")


def test_staff_sign_in_takes_typing_at_once_and_refocuses_the_field_to_correct(new_context, live_server, app):
    with app.app_context():
        f.staff("clerk", username="desk-clerk", office=f.office())
        db.session.commit()
    page = new_context(viewport=DESKTOP, java_script_enabled=False, locale="fa-IR").new_page()
    page.goto(live_server.url + "/staff/sign-in")
    expect(page.get_by_label("نام کاربری")).to_be_focused()
    page.keyboard.type("desk-clerk")  # no Tab first
    with page.expect_navigation():
        page.keyboard.press("Enter")  # no password yet
    expect(page.get_by_label("گذرواژه")).to_be_focused()
    expect(page.get_by_label("نام کاربری")).to_have_value("desk-clerk")
    shot(page, "staff-sign-in-error")
    page.keyboard.type(f.PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/staff/sign-in" not in page.url


@pytest.mark.parametrize("javascript", [False, True], ids=["no-js", "js"])
def test_a_file_field_is_a_persian_button_on_the_real_input_at_360px(new_context, live_server, app, javascript):
    with app.app_context():
        service = f.service(title="صدور گواهی پیوست")
        person = f.citizen(7201, mobile="09120007201")
        db.session.commit()
        code, national_code, mobile = service.code, person.national_code, person.mobile
    base = live_server.url
    page = new_context(viewport=PHONE, java_script_enabled=javascript, locale="fa-IR").new_page()
    citizen_signs_in(page, base, app, national_code, mobile)
    page.goto(f"{base}/services/{code}/apply")
    button = page.locator("label.file-button")
    expect(button).to_have_text("انتخاب فایل")
    expect(button).to_be_visible()
    with page.expect_file_chooser() as chooser:
        button.click()  # the Persian label opens the real input's picker
    chooser.value.set_files({"name": "نامه.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n%%EOF\n"})
    if javascript:
        expect(page.locator(".file-chosen")).to_have_text("نامه.pdf (۱ کیلوبایت)")
    shot(page, f"apply-file-{'js' if javascript else 'nojs'}")
    assert_no_sideways_scroll(page, "the apply page")
    page.get_by_label("شرح درخواست").fill("درخواست با پیوست")
    click_and_wait(page, page.get_by_role("button", name="ادامه", exact=True))
    click_and_wait(page, page.get_by_role("button", name="فرستادن درخواست"))
    expect(page.get_by_text("نامه.pdf").first).to_be_visible()  # the upload arrived with the request


def test_the_officer_and_the_citizen_find_demo_requests(new_context, live_server, app, seeded):
    base = live_server.url
    desk = new_context(viewport=DESKTOP, locale="fa-IR").new_page()
    staff_signs_in(desk, base, "officer", DEMO_PASSWORD)
    assert desk.locator('main a[href^="/desk/requests/"]').count() >= 3
    shot(desk, "demo-inbox")
    phone = new_context(viewport=PHONE, java_script_enabled=False, locale="fa-IR").new_page()
    citizen_signs_in(phone, base, app, DEMO_CITIZEN["national_code"], DEMO_CITIZEN["mobile"])
    expect(phone.get_by_text("نقل‌وانتقال خودرو و تعویض پلاک").first).to_be_visible()
    assert phone.get_by_text("تعویض گواهینامهٔ رانندگی").count() >= 5
    shot(phone, "demo-my-requests")
    assert_no_sideways_scroll(phone, "my requests")
