"""Issue 12 items 4 and 13 in Chromium: a signed-in citizen on a 360 px phone without JavaScript is shown their
national code and mobile from the account, not asked; at a desk-sized counter the clerk files a walk-in's two errands
with the keyboard, the second without a new consent code, and the form shows the identified citizen's details
read-only."""

import pytest
from playwright.sync_api import expect

from app.extensions import db
from app.models import Request, Role, SmsMessage
from tests import factories as f
from tests.browser.conftest import (
    DESKTOP,
    PERSIAN_DIGITS,
    assert_no_serious_violations,
    assert_no_sideways_scroll,
    click_and_wait,
    fonts_ready,
    press,
    staff_signs_in,
)
from tests.browser.test_requests_browser import citizen_signs_in
from tests.web.helpers import otp_from_sms, register_mobile

pytestmark = pytest.mark.usefixtures("uploads")
PHONE = {"width": 360, "height": 740}
SHOTS = "/tmp/shots-I"
FORM = [
    {
        "name": "national_code",
        "type": "national_code",
        "prefill": "applicant.national_code",
        "label": "کد ملی",
        "hint": "ده رقم، بدون خط تیره",
        "required": True,
    },
    {"name": "mobile", "type": "mobile", "prefill": "applicant.mobile", "label": "شمارهٔ تلفن همراه", "required": True},
    {"name": "plate", "type": "text", "label": "شمارهٔ پلاک", "required": True, "max_length": 20},
]
WALK_IN = {"national_code": f.national_code(5252), "full_name": "مهری کاظمی", "mobile": "09351115252"}


def assert_focus(page, name):
    expect(page.locator(f"[id='{name}'], [name='{name}']").first).to_be_focused()


# --- online: known identity shown, not asked --------------------------------------------------------------


@pytest.fixture
def online(app):
    with app.app_context():
        service = f.service(f.agency(name="سازمان هدفمندسازی یارانه‌ها"), form=FORM, title="اعتراض به دهک‌بندی")
        person = f.citizen(7401, mobile="09120007401", name="سارا محمدی")
        db.session.commit()
        return {"service": service.code, "national_code": person.national_code, "mobile": person.mobile}


@pytest.mark.parametrize("lang", ["fa", "en"])
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["360px", "1280px"])
def test_signed_in_citizen_is_shown_national_code_and_mobile_from_the_account(
    new_context, live_server, app, online, viewport, lang
):
    base = live_server.url
    page = new_context(viewport=viewport, java_script_enabled=False, locale="fa-IR").new_page()
    citizen_signs_in(page, base, app, online["national_code"], online["mobile"])
    page.context.add_cookies([{"name": "lang", "value": lang, "url": base}])
    page.goto(f"{base}/services/{online['service']}/apply")
    national, mobile = page.locator("#national_code"), page.locator("#mobile")
    expect(national).to_have_value(online["national_code"])
    expect(mobile).to_have_value(online["mobile"])
    expect(national).not_to_be_editable()
    expect(mobile).not_to_be_editable()
    expect(page.locator("#plate")).to_be_editable()
    if lang == "fa":
        expect(page.locator("#national_code-hint")).to_have_text("از حساب شما")
    assert_no_sideways_scroll(page, "the apply form with the account's details")
    # axe runs in the page's own scripts: the same signed-in page in a context with JavaScript on
    checked = new_context(viewport=viewport, locale="fa-IR").new_page()
    checked.context.add_cookies(page.context.cookies())
    checked.goto(page.url)
    expect(checked.locator("#national_code")).to_have_value(online["national_code"])
    assert_no_serious_violations(checked, "the apply form with the account's details")
    page.screenshot(path=f"{SHOTS}/apply-prefilled-{lang}-{viewport['width']}.png", full_page=True)


# --- the counter: the identified citizen and one consent for the visit --------------------------------------


@pytest.fixture
def counter(app):
    with app.app_context():
        owner = f.agency(name="پلیس راهور")
        first = f.service(owner, form=FORM, title="صدور المثنی کارت خودرو", fee_rial=0)
        second = f.service(owner, form=FORM, title="تعویض پلاک خودرو", fee_rial=0)
        f.outsourcing(first, fee=0)
        f.outsourcing(second, fee=0)
        office = f.office(code="11001", name="دفتر پیشخوان ولیعصر")
        f.staff(Role.CLERK, username="clerk", office=office).full_name = "علی رضایی"
        db.session.commit()
        codes = {"first": first.code, "second": second.code}
    register_mobile(app, WALK_IN["national_code"], WALK_IN["mobile"])
    return codes


def _consent_codes_sent(app):
    with app.app_context():
        return len(db.session.execute(db.select(SmsMessage).filter_by(mobile=WALK_IN["mobile"], purpose="otp")).all())


def _pick_and_identify(page, service_code):
    """From the counter's home: the service by its code, then the citizen typed with Tab, Enter."""
    assert_focus(page, "q")
    page.keyboard.type(service_code.translate(PERSIAN_DIGITS))
    press(page, "Enter", navigates=True)
    assert_focus(page, "national_code")
    page.keyboard.type(WALK_IN["national_code"].translate(PERSIAN_DIGITS))
    press(page, "Tab")
    page.keyboard.type(WALK_IN["full_name"])
    press(page, "Tab")
    page.keyboard.type(WALK_IN["mobile"].translate(PERSIAN_DIGITS))
    press(page, "Tab")
    assert_focus(page, "consent_method-0")  # a code by SMS, checked
    press(page, "Enter", navigates=True)


def _fill_plate_and_file(page, plate):
    assert_focus(page, "plate")  # the first field not known already
    page.keyboard.type(plate)
    press(page, "Enter", navigates=True)
    expect(page.get_by_role("heading", name="هزینه‌ها و پرداخت")).to_be_visible()
    press(page, "Enter", navigates=True)
    expect(page.get_by_role("heading", name="رسید ثبت درخواست")).to_be_visible()


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_clerk_files_two_errands_of_one_visit_with_one_consent_code(new_context, live_server, app, counter, javascript):
    page = new_context(viewport=DESKTOP, java_script_enabled=javascript, locale="fa-IR").new_page()
    staff_signs_in(page, live_server.url, "clerk")

    # The first errand: a code to the citizen's phone, read out to the clerk.
    _pick_and_identify(page, counter["first"])
    expect(page.get_by_role("heading", name="کد رضایت متقاضی")).to_be_visible()
    assert_focus(page, "code")
    page.keyboard.type(otp_from_sms(app, WALK_IN["mobile"]))
    press(page, "Enter", navigates=True)
    expect(page.get_by_role("heading", name="فرم «صدور المثنی کارت خودرو»")).to_be_visible()
    # The form shows who was identified instead of asking again.
    expect(page.locator("#national_code")).to_have_value(WALK_IN["national_code"])
    expect(page.locator("#national_code")).not_to_be_editable()
    expect(page.locator("#national_code-hint")).to_have_text("از شناسایی در پیشخوان")
    expect(page.locator("#mobile")).to_have_value(WALK_IN["mobile"])
    if javascript:
        fonts_ready(page)
        page.screenshot(path=f"{SHOTS}/counter-form-prefilled-1280.png", full_page=True)
    _fill_plate_and_file(page, "۱۲ب۳۴۵-۶۶")
    sent = _consent_codes_sent(app)

    # The second errand, seconds later: no new code (once refused «کد قبلی همین الان فرستاده شد»).
    page.goto(f"{live_server.url}/counter/")
    _pick_and_identify(page, counter["second"])
    expect(page.get_by_role("heading", name="فرم «تعویض پلاک خودرو»")).to_be_visible()
    expect(page.locator("#visit-consent")).to_contain_text("رضایت این شهروند در همین مراجعه تأیید شده است")
    if javascript:
        fonts_ready(page)
        page.screenshot(path=f"{SHOTS}/counter-second-errand-1280.png", full_page=True)
    assert _consent_codes_sent(app) == sent
    _fill_plate_and_file(page, "۷۷ج۸۸۸-۱۱")

    with app.app_context():
        requests = db.session.execute(db.select(Request).order_by(Request.id)).scalars().all()
        assert [r.service.title for r in requests] == ["صدور المثنی کارت خودرو", "تعویض پلاک خودرو"]
        assert len({(r.consent_method, r.consent_reference, r.consent_at) for r in requests}) == 1
        assert requests[0].consent_method == "otp" and requests[0].consent_at is not None
        assert {r.answers["national_code"] for r in requests} == {WALK_IN["national_code"]}


@pytest.mark.parametrize("lang", ["fa", "en"])
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["360px", "1280px"])
def test_counter_form_with_the_identified_citizen_at_phone_and_desk_width(
    new_context, live_server, app, counter, viewport, lang
):
    page = new_context(viewport=viewport, locale="fa-IR").new_page()  # JavaScript on: axe runs in the page
    staff_signs_in(page, live_server.url, "clerk")
    page.context.add_cookies([{"name": "lang", "value": lang, "url": live_server.url}])
    page.goto(f"{live_server.url}/counter/file/{counter['first']}")
    page.locator("#national_code").fill(WALK_IN["national_code"])
    page.locator("#full_name").fill(WALK_IN["full_name"])
    page.locator("#mobile").fill(WALK_IN["mobile"])
    page.locator("#consent_method-1").check()  # on paper
    page.locator("#paper_number").fill("1405/12")
    click_and_wait(page, page.locator("form.counter-form button[type=submit]"))
    expect(page.locator("#national_code")).not_to_be_editable()
    assert_no_sideways_scroll(page, "the counter form with the identified citizen")
    assert_no_serious_violations(page, "the counter form with the identified citizen")
    page.screenshot(path=f"{SHOTS}/counter-form-{lang}-{viewport['width']}.png", full_page=True)
