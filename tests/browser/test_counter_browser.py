"""The counter in Chromium at a desk-sized window: a clerk files a request from service pick to receipt with the
keyboard alone (Tab, arrows, Enter, typing; no clicks), with JavaScript and without it; the receipt prints on
A5 and on an 80 mm roll."""

import re

import pytest
from playwright.sync_api import expect

from app.extensions import db
from app.models import Request, Role
from tests import factories as f
from tests.browser.conftest import (
    DESKTOP,
    PERSIAN_DIGITS,
    describe,
    fonts_ready,
    press,
    serious_violations,
    staff_signs_in,
)
from tests.web.helpers import otp_from_sms, register_mobile

pytestmark = pytest.mark.usefixtures("uploads")
FORM = [
    {"name": "plate", "type": "text", "label": "شمارهٔ پلاک", "required": True, "max_length": 20},
    {
        "name": "reason",
        "type": "choice",
        "label": "دلیل درخواست",
        "required": True,
        "choices": [["lost", "گم شدن"], ["worn", "فرسودگی"]],
    },
    {"name": "note", "type": "textarea", "label": "توضیح", "required": False},
]
CITIZEN = {"national_code": f.national_code(5150), "full_name": "مهری کاظمی", "mobile": "09351112233"}


@pytest.fixture
def world(app):
    with app.app_context():
        owner = f.agency(name="پلیس راهور")
        service = f.service(owner, form=FORM, title="صدور المثنی کارت خودرو", fee_rial=250_000)
        f.outsourcing(service, fee=60_000)
        office = f.office(code="11001", name="دفتر پیشخوان ولیعصر")
        office.address, office.phone = "تهران، خیابان ولیعصر، پلاک ۱۲", "02188776655"
        clerk = f.staff(Role.CLERK, username="clerk", office=office)
        clerk.full_name = "علی رضایی"
        db.session.commit()
        code = service.code
    register_mobile(app, CITIZEN["national_code"], CITIZEN["mobile"])  # the registry knows the walk-in's number
    return {"service": code}


def assert_focus(page, name):
    """Waits for the focus: autofocus lands a moment after the page loads, later still on a busy machine."""
    expect(page.locator(f"[id='{name}'], [name='{name}']").first).to_be_focused()


def sign_in(page, base):
    staff_signs_in(page, base, "clerk")
    assert page.url.endswith("/counter/")


def file_by_keyboard(page, app, service_code, javascript):
    # 1. The service: the search box has the focus; its code and Enter go straight to the citizen step.
    assert_focus(page, "q")
    page.keyboard.type(service_code.translate(PERSIAN_DIGITS))
    press(page, "Enter", navigates=True)
    expect(page.get_by_role("heading", name="متقاضی و رضایت او")).to_be_visible()

    # 2. The citizen, typed field after field with Tab.
    assert_focus(page, "national_code")
    page.keyboard.type(CITIZEN["national_code"].translate(PERSIAN_DIGITS))
    press(page, "Tab")
    page.keyboard.type(CITIZEN["full_name"])
    press(page, "Tab")
    page.keyboard.type(CITIZEN["mobile"].translate(PERSIAN_DIGITS))
    press(page, "Tab")
    assert_focus(page, "consent_method-0")  # the checked option of the radio group
    if javascript:  # consent by a code sent to the citizen's phone and read out
        press(page, "Enter", navigates=True)
        expect(page.get_by_role("heading", name="کد رضایت متقاضی")).to_be_visible()
        assert_focus(page, "code")
        page.keyboard.type(otp_from_sms(app, CITIZEN["mobile"]))
        press(page, "Enter", navigates=True)
    else:  # consent on a signed paper form
        press(page, "ArrowDown")
        press(page, "Tab")
        assert_focus(page, "paper_number")
        page.keyboard.type("۱۴۰۵/۷۷")
        press(page, "Enter", navigates=True)

    # 3. The service's own form.
    expect(page.get_by_role("heading", name="فرم «صدور المثنی کارت خودرو»")).to_be_visible()
    assert_focus(page, "plate")
    page.keyboard.type("۱۲ب۳۴۵-۶۶")
    press(page, "Tab")
    press(page, "Space")  # the first reason
    press(page, "Tab")
    assert_focus(page, "note")
    page.keyboard.type("متقاضی حضوری آمده است")
    if javascript:
        # Esc goes back one step and keeps what was typed; Enter comes forward again.
        press(page, "Escape", navigates=True)
        expect(page.get_by_role("heading", name="متقاضی و رضایت او")).to_be_visible()
        expect(page.get_by_label("نام و نام خانوادگی")).to_have_value(CITIZEN["full_name"])
        assert_focus(page, "national_code")
        press(page, "Enter", navigates=True)  # consent was verified already: straight to the form
        assert_focus(page, "plate")
        expect(page.get_by_label("شمارهٔ پلاک")).to_have_value("۱۲ب۳۴۵-۶۶")
        page.get_by_label("توضیح").focus()
        press(page, "Control+Enter", navigates=True)
    else:
        press(page, "Tab")
        # Waits for the focus, as assert_focus does: read at once after the Tab, the check raced the browser.
        expect(page.get_by_role("button", name=re.compile("^ادامه"))).to_be_focused()
        press(page, "Enter", navigates=True)

    # 4. Fees, shown separately, and how they are paid.
    expect(page.get_by_role("heading", name="هزینه‌ها و پرداخت")).to_be_visible()
    expect(page.locator(".fee-table")).to_contain_text("۲۵۰٬۰۰۰ ریال")
    expect(page.locator(".fee-table")).to_contain_text("۶۰٬۰۰۰ ریال")
    expect(page.locator(".fee-table")).to_contain_text("۳۱۰٬۰۰۰ ریال")
    assert_focus(page, "method-0")  # cash, checked
    if javascript:  # by card, with the terminal's reference
        press(page, "ArrowDown")
        press(page, "Tab")
        assert_focus(page, "reference")
        page.keyboard.type("۱۲۳۴۵۶۷۸")
    # 5. Enter files it.
    press(page, "Enter", navigates=True)

    # 6. The receipt.
    expect(page.get_by_role("heading", name="رسید ثبت درخواست")).to_be_visible()
    with app.app_context():
        request = db.session.execute(db.select(Request)).scalar_one()
        assert request.channel == "counter" and request.filed_by.username == "clerk"
        assert request.answers["plate"] == "۱۲ب۳۴۵-۶۶" and request.answers["reason"] == "lost"
        assert request.consent_method == ("otp" if javascript else "paper")
        assert {p.method for p in request.payments} == ({"card"} if javascript else {"cash"})
        code = request.tracking_code
    assert page.url.endswith(f"/counter/requests/{code}/receipt")
    grouped = " ".join(code[i : i + 4] for i in (0, 4, 8)).translate(PERSIAN_DIGITS)
    expect(page.locator(".receipt-tracking")).to_have_text(grouped)
    expect(page.locator(".receipt-qr svg")).to_be_visible()
    return code


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_clerk_files_from_service_pick_to_receipt_with_the_keyboard_only(
    new_context, live_server, app, world, javascript
):
    page = new_context(viewport=DESKTOP, java_script_enabled=javascript, locale="fa-IR").new_page()
    sign_in(page, live_server.url)
    file_by_keyboard(page, app, world["service"], javascript)
    if javascript:
        press(page, "Escape", navigates=True)  # on to the next walk-in
        assert page.url.endswith("/counter/")
        assert_focus(page, "q")


def test_receipt_prints_on_a5_and_on_an_80mm_roll(new_context, live_server, app, world, artifacts):
    page = new_context(viewport=DESKTOP, locale="fa-IR").new_page()
    sign_in(page, live_server.url)
    code = file_by_keyboard(page, app, world["service"], javascript=False)
    receipt = f"{live_server.url}/counter/requests/{code}/receipt"

    page.goto(receipt)
    page.emulate_media(media="print")
    fonts_ready(page)
    a5 = page.pdf(prefer_css_page_size=True)
    assert _page_sizes_mm(a5) == [(148, 210)]  # one A5 page

    page.goto(receipt + "?paper=80")
    page.emulate_media(media="print")
    page.set_viewport_size({"width": 302, "height": 800})  # 80 mm at 96 dpi
    fonts_ready(page)
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.locator(".receipt-tools")).to_be_hidden()
    assert page.evaluate("document.documentElement.scrollWidth") <= 302
    qr = page.locator(".receipt-qr svg").bounding_box()
    assert qr["width"] >= 120  # about 34 mm: scannable from a thermal print
    page.screenshot(path=str(artifacts / "counter-receipt-80mm.png"), full_page=True)
    roll = page.pdf(prefer_css_page_size=True)
    (artifacts / "counter-receipt-80mm.pdf").write_bytes(roll)
    assert [w for w, _h in _page_sizes_mm(roll)] == [80]  # one page, 80 mm wide


def _page_sizes_mm(pdf):
    """(width, height) of each page in whole millimetres, from the PDF's MediaBoxes."""
    boxes = re.findall(rb"/MediaBox\s*\[\s*([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s*\]", pdf)
    return [
        (round((float(x1) - float(x0)) * 25.4 / 72), round((float(y1) - float(y0)) * 25.4 / 72))
        for x0, y0, x1, y1 in boxes
    ]


def test_counter_pages_have_no_serious_accessibility_violations(new_context, live_server, app, world):
    page = new_context(viewport=DESKTOP, locale="fa-IR").new_page()
    sign_in(page, live_server.url)
    seen = {}

    def check(name):
        violations = serious_violations(page)
        if violations:
            seen[name] = describe(violations)

    check("pick")
    page.goto(f"{live_server.url}/counter/file/{world['service']}")
    check("citizen")
    press(page, "Enter", navigates=True)  # empty: every field in error
    check("citizen with errors")
    page.goto(f"{live_server.url}/counter/")
    code = file_by_keyboard(page, app, world["service"], javascript=False)
    check("receipt")
    page.goto(f"{live_server.url}/counter/requests")
    check("requests")
    page.goto(f"{live_server.url}/counter/ledger")
    check("ledger")
    assert code and not seen, "\n\n".join(f"axe on {name}:\n{found}" for name, found in seen.items())
