"""Issue 12 item 8 in Chromium at 360 px without JavaScript: applying for a service with a government fee, the fee
on the form and on check-your-answers, paying in the labelled bank-gateway simulator, the confirmation with the
payment; cancelling at the gateway comes back to check-your-answers with the answers intact."""

import pytest
from playwright.sync_api import expect

from app.extensions import db
from app.models import Payment, Request, Role
from app.requests import workflow
from tests import factories as f
from tests.browser.conftest import DESKTOP, assert_no_sideways_scroll, click_and_wait, staff_signs_in
from tests.browser.test_requests_browser import citizen_signs_in

pytestmark = pytest.mark.usefixtures("uploads")
PHONE = {"width": 360, "height": 740}
SHOTS = "/tmp/shots-P/payments"
FEE_SHOWN = "۳٬۰۰۰٬۰۰۰ ریال"


@pytest.fixture
def world(app):
    with app.app_context():
        service = f.service(f.agency(name="ثبت احوال آزمایشی"), title="صدور شناسنامهٔ المثنی", fee_rial=3_000_000)
        person = f.citizen(7301, mobile="09120007301")
        db.session.commit()
        return {"service": service.code, "national_code": person.national_code, "mobile": person.mobile}


def _to_check_page(page, base, world):
    page.goto(f"{base}/services/{world['service']}/apply")
    expect(page.locator("main")).to_contain_text(FEE_SHOWN)  # the fee on the form
    page.get_by_label("شرح درخواست").fill("شناسنامه‌ام در اسباب‌کشی گم شد")
    click_and_wait(page, page.get_by_role("button", name="ادامه", exact=True))
    expect(page.get_by_role("heading", name="پیش از فرستادن، پاسخ‌هایتان را ببینید")).to_be_visible()
    expect(page.locator("main")).to_contain_text(FEE_SHOWN)  # and on check-your-answers


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["360px", "1280px"])
def test_paying_in_the_simulator_files_and_confirms(new_context, live_server, app, world, viewport):
    base, width = live_server.url, viewport["width"]
    page = new_context(viewport=viewport, java_script_enabled=False, locale="fa-IR").new_page()
    citizen_signs_in(page, base, app, world["national_code"], world["mobile"])
    _to_check_page(page, base, world)
    page.screenshot(path=f"{SHOTS}-check-{width}.png", full_page=True)
    click_and_wait(page, page.get_by_role("button", name=f"پرداخت {FEE_SHOWN} و فرستادن"))

    assert "/pay/simulator/" in page.url
    expect(page.get_by_text("درگاه آزمایشی — پولی جابه‌جا نمی‌شود")).to_be_visible()
    expect(page.locator("main")).to_contain_text(FEE_SHOWN)
    assert_no_sideways_scroll(page, "the gateway simulator")
    page.screenshot(path=f"{SHOTS}-simulator-{width}.png", full_page=True)
    click_and_wait(page, page.get_by_role("button", name=f"پرداخت {FEE_SHOWN}"))

    expect(page.get_by_role("heading", name="درخواست شما ثبت شد")).to_be_visible()
    with app.app_context():
        filed = db.session.execute(db.select(Request)).scalar_one()
        payment = db.session.execute(db.select(Payment)).scalar_one()
        assert filed.status == "submitted" and payment.method == "online"
    panel = page.locator(".payment-panel")
    expect(panel).to_contain_text(FEE_SHOWN)
    expect(panel).to_contain_text("پرداخت اینترنتی (درگاه بانکی)")
    expect(panel).to_contain_text(payment.reference.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")))
    assert_no_sideways_scroll(page, "the confirmation after paying")
    page.screenshot(path=f"{SHOTS}-confirmation-{width}.png", full_page=True)


def test_cancelling_at_the_gateway_comes_back_with_the_answers(new_context, live_server, app, world):
    base = live_server.url
    page = new_context(viewport=PHONE, java_script_enabled=False, locale="fa-IR").new_page()
    citizen_signs_in(page, base, app, world["national_code"], world["mobile"])
    _to_check_page(page, base, world)
    click_and_wait(page, page.get_by_role("button", name=f"پرداخت {FEE_SHOWN} و فرستادن"))
    click_and_wait(page, page.get_by_role("button", name="انصراف از پرداخت"))

    expect(page.get_by_role("heading", name="پیش از فرستادن، پاسخ‌هایتان را ببینید")).to_be_visible()
    expect(page.locator("main")).to_contain_text("پرداخت را لغو کردید")
    expect(page.locator("main")).to_contain_text("شناسنامه‌ام در اسباب‌کشی گم شد")
    assert_no_sideways_scroll(page, "check-your-answers after a cancelled payment")
    page.screenshot(path=f"{SHOTS}-cancelled-360.png", full_page=True)
    with app.app_context():
        assert db.session.execute(db.select(Request.status)).scalar_one() == "draft"
    # Paying afterwards still works from the same page.
    click_and_wait(page, page.get_by_role("button", name=f"پرداخت {FEE_SHOWN} و فرستادن"))
    click_and_wait(page, page.get_by_role("button", name="پرداخت ناموفق (کارت رد شد)"))
    expect(page.locator("main")).to_contain_text("پرداخت انجام نشد و پولی از حساب شما برداشته نشد")
    expect(page.locator("main")).to_contain_text("شناسنامه‌ام در اسباب‌کشی گم شد")


def _pay(page, base, app, world):
    citizen_signs_in(page, base, app, world["national_code"], world["mobile"])
    _to_check_page(page, base, world)
    click_and_wait(page, page.get_by_role("button", name=f"پرداخت {FEE_SHOWN} و فرستادن"))
    click_and_wait(page, page.get_by_role("button", name=f"پرداخت {FEE_SHOWN}"))
    with app.app_context():
        return db.session.execute(db.select(Request)).scalar_one()


def test_the_desk_sees_the_refund_due_of_a_rejected_paid_request_and_records_it(new_context, live_server, app, world):
    base = live_server.url
    citizen = new_context(viewport=PHONE, java_script_enabled=False, locale="fa-IR").new_page()
    filed = _pay(citizen, base, app, world)
    with app.app_context():
        agency = db.session.get(Request, filed.id).agency
        officer = f.staff(Role.AGENCY_OFFICER, username="refund-officer", agency_id=agency.id)
        request = db.session.get(Request, filed.id)
        workflow.advance(request, "take", officer)
        workflow.advance(request, "reject", officer, message="مدرک هویتی خوانا نیست")
        db.session.commit()

    citizen.goto(f"{base}/requests/{filed.tracking_code}")
    expect(citizen.locator(".refund-due")).to_contain_text(f"بازپرداخت {FEE_SHOWN} بر عهدهٔ ثبت احوال آزمایشی")
    assert_no_sideways_scroll(citizen, "the rejected paid request")
    citizen.screenshot(path=f"{SHOTS}-refund-due-citizen-360.png", full_page=True)

    desk = new_context(viewport=DESKTOP, java_script_enabled=False, locale="fa-IR").new_page()
    staff_signs_in(desk, base, "refund-officer")
    desk.goto(f"{base}/desk/requests/{filed.tracking_code}")
    expect(desk.locator(".refund-due")).to_contain_text(f"بازپرداخت {FEE_SHOWN} بر عهدهٔ ثبت احوال آزمایشی")
    desk.screenshot(path=f"{SHOTS}-refund-due-desk-1280.png", full_page=True)
    click_and_wait(desk, desk.get_by_role("button", name="ثبت بازپرداخت"))
    expect(desk.get_by_text("آیا این مبلغ به متقاضی بازگردانده شده است؟", exact=False)).to_be_visible()
    desk.screenshot(path=f"{SHOTS}-refund-confirm-1280.png", full_page=True)
    click_and_wait(desk, desk.get_by_role("button", name="بله، بازپرداخت شده است"))
    expect(desk.locator("main")).to_contain_text("بازپرداخت ثبت شد.")
    expect(desk.locator(".refund-due")).to_have_count(0)
    expect(desk.locator(".refund-done")).to_contain_text(f"{FEE_SHOWN} بازپرداخت شد.")


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["360px", "1280px"])
def test_the_simulator_and_the_payment_in_english(new_context, live_server, app, world, viewport):
    base, width = live_server.url, viewport["width"]
    page = new_context(viewport=viewport, java_script_enabled=False, locale="en-GB").new_page()
    citizen_signs_in(page, base, app, world["national_code"], world["mobile"])
    page.goto(f"{base}/services/{world['service']}/apply")
    page.get_by_label("شرح درخواست").fill("lost in a move")
    click_and_wait(page, page.get_by_role("button", name="ادامه", exact=True))
    check = page.url
    page.goto(f"{base}/language/en?next={check.removeprefix(base)}")
    page.screenshot(path=f"{SHOTS}-check-en-{width}.png", full_page=True)
    click_and_wait(page, page.locator("form[action*='/apply/pay'] button[type=submit]"))
    assert "/pay/simulator/" in page.url
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert_no_sideways_scroll(page, "the gateway simulator in English")
    page.screenshot(path=f"{SHOTS}-simulator-en-{width}.png", full_page=True)
    click_and_wait(page, page.locator("button[value=pay]"))
    expect(page.locator(".payment-panel")).to_be_visible()
    assert_no_sideways_scroll(page, "the confirmation in English")
    page.screenshot(path=f"{SHOTS}-confirmation-en-{width}.png", full_page=True)
