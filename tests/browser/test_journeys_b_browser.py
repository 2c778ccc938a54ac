"""Issue 12 slice B in Chromium: the confirmation after filing online at 360 px without JavaScript, withdrawing asks
once more; public tracking from one shared address; wording (choose, error pages) and the day ledger's XLSX."""

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from app.extensions import db
from app.models import Request, Role
from tests import factories as f
from tests.browser.conftest import (
    DESKTOP,
    PERSIAN_DIGITS,
    assert_no_sideways_scroll,
    click_and_wait,
    staff_signs_in,
)
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
    click_and_wait(page, page.get_by_role("button", name="ادامه", exact=True))
    click_and_wait(page, page.get_by_role("button", name="فرستادن درخواست"))
    with app.app_context():
        code = db.session.execute(db.select(Request)).scalar_one().tracking_code

    panel = page.locator(".confirmation")
    expect(panel.get_by_role("heading", name="درخواست شما ثبت شد")).to_be_visible()
    expect(panel.locator(".tracking-code")).to_have_text(f"{code[:4]} {code[4:8]} {code[8:]}".translate(PERSIAN_DIGITS))
    expect(panel).to_contain_text("۷۱۰۱")  # the masked mobile the SMS went to
    expect(page.get_by_text("حدود ۵ روز")).to_be_visible()
    expect(page.get_by_role("button", name="چاپ یا ذخیره به صورت PDF")).to_be_hidden()  # no JavaScript, no print
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


CHOICE_FORM = [
    {
        "name": "reason",
        "type": "choice",
        "label": "دلیل درخواست",
        "required": True,
        "choices": [["lost", "گم شدن"], ["worn", "فرسودگی"]],
    },
    {"name": "plate", "type": "text", "label": "شمارهٔ پلاک", "required": True},
]


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["360px", "1280px"])
def test_an_empty_choice_asks_to_choose_and_a_missing_page_says_what_happened(
    new_context, live_server, app, world, viewport
):
    with app.app_context():
        code = f.service(title="صدور المثنی کارت", form=CHOICE_FORM).code
        db.session.commit()
    base, width = live_server.url, viewport["width"]
    page = new_context(viewport=viewport, java_script_enabled=False, locale="fa-IR").new_page()
    citizen_signs_in(page, base, app, world["national_code"], world["mobile"])
    page.goto(f"{base}/services/{code}/apply")
    click_and_wait(page, page.get_by_role("button", name="ادامه", exact=True))
    expect(page.locator(".error-summary")).to_contain_text("«دلیل درخواست» را انتخاب کنید.")
    expect(page.locator(".error-summary")).to_contain_text("«شمارهٔ پلاک» را وارد کنید.")
    assert_no_sideways_scroll(page, "the apply page with errors")
    page.screenshot(path=f"{SHOTS}-choose-{width}.png", full_page=True)

    response = page.goto(f"{base}/services/{code}/no-such-page")
    assert response.status == 404
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text("صفحه پیدا نشد")
    small = page.locator(".error-code")
    expect(small).to_have_text("کد خطا: ۴۰۴")
    assert float(small.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")) < float(
        heading.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    )
    assert small.bounding_box()["y"] > heading.bounding_box()["y"]  # what happened first, the number after
    assert page.title().startswith("صفحه پیدا نشد")
    page.screenshot(path=f"{SHOTS}-error-404-{width}.png", full_page=True)


def test_the_manager_closes_the_day_told_once_and_downloads_the_xlsx(new_context, live_server, app, tmp_path):
    with app.app_context():
        office = f.office(code="11001", name="دفتر پیشخوان ولیعصر")
        f.staff(Role.OFFICE_MANAGER, username="manager", office=office)
        person = f.citizen(7103)
        service = f.service(title="صدور پروانهٔ آزمایشی")
        f.outsourcing(service)
        filed = f.filed(service, person, office=office, channel="counter")
        db.session.commit()
        code = filed.tracking_code
    base = live_server.url
    page = new_context(viewport=DESKTOP, java_script_enabled=False, locale="fa-IR", accept_downloads=True).new_page()
    staff_signs_in(page, base, "manager")
    page.goto(f"{base}/counter/ledger")
    with page.expect_download() as download:
        page.get_by_role("link", name="خروجی اکسل (XLSX) این روز").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    sheet = load_workbook(saved).active
    header = [c.value for c in sheet[1]]
    cells = [c for row in sheet.iter_rows(min_row=2) for c in row if c.column == header.index("کد رهگیری") + 1]
    assert any(c.value == code and c.data_type == "s" for c in cells)

    page.get_by_label("نقد شمرده‌شده (ریال)").fill("۰")
    click_and_wait(page, page.get_by_role("button", name="بستن روز"))
    click_and_wait(page, page.get_by_role("button", name="بله، روز را می‌بندم"))
    expect(page.get_by_role("heading", name="این روز بسته شده است")).to_be_visible()
    expect(page.get_by_text("تغییر نمی‌کند")).to_have_count(1)
    expect(page.get_by_text("روز بسته شد.")).to_have_count(0)
    page.screenshot(path=f"{SHOTS}-ledger-closed-1280.png", full_page=True)


def test_with_javascript_the_confirmation_offers_a_print_button(new_context, live_server, app, world):
    base = live_server.url
    page = new_context(viewport=PHONE, locale="fa-IR").new_page()
    citizen_signs_in(page, base, app, world["national_code"], world["mobile"])
    page.goto(f"{base}/services/{world['service']}/apply")
    page.get_by_label("شرح درخواست").fill("گواهی برای ادارهٔ کار")
    click_and_wait(page, page.get_by_role("button", name="ادامه", exact=True))
    click_and_wait(page, page.get_by_role("button", name="فرستادن درخواست"))
    page.evaluate("window.print = () => { window.printed = true; }")  # the print dialog is not the test's to open
    page.get_by_role("button", name="چاپ یا ذخیره به صورت PDF").click()
    assert page.evaluate("window.printed") is True
