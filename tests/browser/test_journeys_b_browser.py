"""Issue 12 slice B in Chromium: the confirmation after filing online at 360 px without JavaScript, withdrawing asks
once more; public tracking from one shared address."""

import pytest
from playwright.sync_api import expect

from app.extensions import db
from app.models import Request
from tests import factories as f
from tests.browser.conftest import DESKTOP, PERSIAN_DIGITS, assert_no_sideways_scroll, click_and_wait
from tests.browser.test_requests_browser import citizen_signs_in

pytestmark = pytest.mark.usefixtures("uploads")
PHONE = {"width": 360, "height": 740}
SHOTS = "/tmp/journeys-b"


@pytest.fixture
def world(app):
    with app.app_context():
        service = f.service(f.agency(name="ادارهٔ ثبت آزمایشی"), title="صدور گواهی تأیید", duration_days=5)
        person = f.citizen(7101, mobile="09120007101")
        db.session.commit()
        return {"service": service.code, "national_code": person.national_code, "mobile": person.mobile}


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["360px", "1280px"])
def test_filing_online_confirms_the_code_then_withdraw_asks_once_more(new_context, live_server, app, world, viewport):
    base = live_server.url
    page = new_context(viewport=viewport, java_script_enabled=False, locale="fa-IR").new_page()
    citizen_signs_in(page, base, app, world["national_code"], world["mobile"])
    page.goto(f"{base}/services/{world['service']}/apply")
    page.get_by_label("شرح درخواست").fill("گواهی برای ادارهٔ کار")
    click_and_wait(page, page.get_by_role("button", name="فرستادن درخواست"))
    with app.app_context():
        code = db.session.execute(db.select(Request)).scalar_one().tracking_code

    panel = page.locator(".confirmation")
    expect(panel.get_by_role("heading", name="درخواست شما ثبت شد")).to_be_visible()
    expect(panel.locator(".tracking-code")).to_have_text(f"{code[:4]} {code[4:8]} {code[8:]}".translate(PERSIAN_DIGITS))
    expect(panel).to_contain_text("۷۱۰۱")  # the masked mobile the SMS went to
    expect(page.get_by_text("حدود ۵ روز")).to_be_visible()
    expect(page.get_by_role("link", name="پیگیری با کد رهگیری (بدون ورود)")).to_have_attribute(
        "href", f"/track?code={code}"
    )
    assert_no_sideways_scroll(page, "the confirmation after filing")
    width = viewport["width"]
    page.screenshot(path=f"{SHOTS}-confirmation-{width}.png", full_page=True)

    click_and_wait(page, page.get_by_role("button", name="انصراف از درخواست"))
    expect(page.get_by_text("آیا مطمئن هستید؟")).to_be_visible()
    with app.app_context():
        assert db.session.execute(db.select(Request)).scalar_one().status == "submitted"
    page.screenshot(path=f"{SHOTS}-withdraw-confirm-{width}.png", full_page=True)
    click_and_wait(page, page.get_by_role("button", name="بله، انصراف می‌دهم"))
    expect(page.locator(".status").first).to_contain_text("انصراف")
    expect(page.locator(".confirmation")).to_have_count(0)  # shown once, after filing only


def test_thirty_phones_behind_one_address_can_all_track(new_context, live_server, app):
    with app.app_context():
        person = f.citizen(7102)
        filed = f.filed(f.service(title="صدور پروانهٔ آزمایشی"), person)
        db.session.commit()
        code, national_code = filed.tracking_code, person.national_code
    page = new_context(viewport=PHONE, java_script_enabled=False, locale="fa-IR").new_page()
    for _ in range(30):
        page.goto(f"{live_server.url}/track?code={code}")
        page.get_by_label("کد ملی متقاضی").fill(national_code)
        click_and_wait(page, page.get_by_role("button", name="پیگیری"))
        expect(page.locator("main")).to_contain_text("صدور پروانهٔ آزمایشی")
    assert_no_sideways_scroll(page, "the tracking answer")
