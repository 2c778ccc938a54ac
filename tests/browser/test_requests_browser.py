"""The whole online path in Chromium on a 320 px phone: apply, the agency asks for a document, the citizen answers,
the agency approves and delivers, the citizen downloads the result. Then the same path with JavaScript off."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from app.extensions import db
from app.models import Request, Role, Service, User
from app.requests import workflow
from tests import factories as f
from tests.browser.conftest import DESKTOP, PERSIAN_DIGITS, assert_no_sideways_scroll, click_and_wait, staff_signs_in
from tests.web.helpers import otp_from_sms, register_mobile

pytestmark = pytest.mark.usefixtures("uploads")
PHONE = {"width": 320, "height": 720}  # taller than the shared conftest.PHONE (320 × 640)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
SERVICE_TITLE = "صدور المثنی کارت خودرو"
AGENCY = "پلیس راهور"
FORM = [
    {
        "name": "plate",
        "type": "text",
        "label": "شمارهٔ پلاک",
        "required": True,
        "max_length": 20,
        "hint": "همان‌طور که روی کارت خودرو نوشته شده است.",
    },
    {"name": "bought", "type": "date", "label": "تاریخ خرید خودرو", "required": True, "hint": "مانند ۱۴۰۳/۰۵/۲۰"},
    {"name": "price", "type": "amount", "label": "مبلغ خرید (ریال)", "required": False},
    {
        "name": "reason",
        "type": "choice",
        "label": "دلیل درخواست",
        "required": True,
        "choices": [["lost", "گم شدن"], ["worn", "فرسودگی"], ["stolen", "سرقت"]],
    },
    {"name": "insured", "type": "yes_no", "label": "خودرو بیمهٔ بدنه دارد؟", "required": True},
    {"name": "home", "type": "address", "label": "نشانی", "required": True, "hint": "برای ارسال کارت با پست"},
    {
        "name": "scan",
        "type": "file",
        "label": "تصویر سند خودرو",
        "required": True,
        "accept": ["pdf", "jpeg", "png"],
        "max_size_mb": 2,
        "hint": "پی‌دی‌اف، جی‌پگ یا پی‌ان‌جی، حداکثر ۲ مگابایت.",
    },
]


def pdf_file(name):
    return {"name": name, "mimeType": "application/pdf", "buffer": PDF}


@pytest.fixture
def world(app):
    with app.app_context():
        owner = f.agency(name=AGENCY)
        service = f.service(owner, form=FORM, title=SERVICE_TITLE, duration_days=5)
        person = f.citizen(7001, mobile="09120007001")
        f.staff(Role.AGENCY_OFFICER, username="officer", agency=owner)
        db.session.commit()
        return {"service": service.code, "national_code": person.national_code, "mobile": person.mobile}


def citizen_signs_in(page, base, app, national_code, mobile):
    register_mobile(app, national_code, mobile)  # the ownership simulator knows the person's own number
    page.goto(base + "/account/sign-in")
    page.get_by_label("کد ملی").fill(national_code.translate(PERSIAN_DIGITS))  # typed on a Persian keyboard
    page.get_by_label("شمارهٔ همراه").fill(mobile.translate(PERSIAN_DIGITS))
    click_and_wait(page, page.get_by_role("button", name="دریافت کد ورود"))
    expect(page.get_by_role("heading", name="کد ورود را وارد کنید")).to_be_visible()
    page.get_by_label("کد ورود").fill(otp_from_sms(app, mobile))
    click_and_wait(page, page.get_by_role("button", name="ورود", exact=True))
    assert "/account/requests" in page.url


def officer_signs_in(page, base):
    staff_signs_in(page, base, "officer")
    assert page.url.rstrip("/").endswith("/desk")


def officer_acts(page, action, **fields):
    if "message" in fields:
        page.get_by_label("پیام به متقاضی یا دلیل").fill(fields["message"])
    if "document" in fields:
        page.get_by_label("سند نتیجه یا پیوست").set_input_files(fields["document"])
    click_and_wait(page, page.get_by_role("button", name=action, exact=True))
    expect(page.locator("body")).to_contain_text("انجام شد")


@pytest.mark.parametrize("javascript", [True, False], ids=["with-javascript", "without-javascript"])
def test_whole_online_path_on_a_320px_phone(new_context, live_server, app, world, artifacts, javascript):
    base, suffix = live_server.url, "" if javascript else "-nojs"
    citizen = new_context(viewport=PHONE, java_script_enabled=javascript, locale="fa-IR").new_page()
    officer = new_context(viewport=DESKTOP, java_script_enabled=javascript, locale="fa-IR").new_page()

    # The citizen signs in with national code + mobile and the code from the SMS outbox.
    citizen_signs_in(citizen, base, app, world["national_code"], world["mobile"])

    # ... opens the service's apply page and fills the form, a PDF attached.
    citizen.goto(f"{base}/services/{world['service']}/apply")
    expect(citizen.get_by_role("heading", level=1)).to_contain_text(SERVICE_TITLE)
    assert_no_sideways_scroll(citizen, "the empty apply page")
    citizen.get_by_label("شمارهٔ پلاک").fill("۱۲ب۳۴۵ ایران ۶۶")
    citizen.get_by_label("تاریخ خرید خودرو").fill("۱۴۰۳/۰۵/۲۰")
    citizen.get_by_label("مبلغ خرید (ریال)").fill("۱٬۲۵۰٬۰۰۰٬۰۰۰")
    citizen.get_by_label("فرسودگی").check()
    citizen.get_by_role("group", name="خودرو بیمهٔ بدنه دارد؟").get_by_label("بله").check()
    citizen.get_by_label("نشانی — استان").select_option("23")
    citizen.get_by_label("شهرستان", exact=True).fill("تهران")
    citizen.get_by_label("نشانی دقیق").fill("خیابان آزادی، کوچهٔ ۴، پلاک ۱۲، واحد ۳")
    citizen.get_by_label("تصویر سند خودرو").set_input_files(pdf_file("سند-خودرو.pdf"))
    assert_no_sideways_scroll(citizen, "the filled apply page")
    citizen.screenshot(path=str(artifacts / f"apply-320{suffix}.png"), full_page=True)

    # ... continues to check the answers, sends, and sees the tracking code at once.
    click_and_wait(citizen, citizen.get_by_role("button", name="ادامه", exact=True))
    click_and_wait(citizen, citizen.get_by_role("button", name="فرستادن درخواست"))
    with app.app_context():
        filed = db.session.execute(db.select(Request)).scalar_one()
        code, answers = filed.tracking_code, filed.answers
    assert answers["bought"] == "2024-08-10" and answers["price"] == 1250000000 and answers["insured"] is True
    assert citizen.url.endswith(f"/requests/{code}")
    shown_code = citizen.locator(".tracking-code").first
    expect(shown_code).to_have_text(f"{code[:4]} {code[4:8]} {code[8:]}".translate(PERSIAN_DIGITS))
    expect(citizen.locator(".status").first).to_have_text("ثبت شده")
    assert_no_sideways_scroll(citizen, "the request page just after filing")

    # The officer, in another browser, signs in at /staff/sign-in, finds it in the inbox and takes it into review.
    officer_signs_in(officer, base)
    row = officer.locator("table.data tbody tr", has_text=SERVICE_TITLE)
    expect(row).to_have_count(1)
    expect(row).to_contain_text(re.compile("[۴۵] روز مانده"))  # due in 5 days: 4 whole days and some hours left
    officer.screenshot(path=str(artifacts / f"desk-1280{suffix}.png"), full_page=True)
    click_and_wait(officer, row.get_by_role("link"))
    expect(officer.locator("section:has(#answers-title) dl.facts")).to_contain_text("۱۴۰۳/۰۵/۲۰")
    officer_acts(officer, "شروع بررسی")
    expect(officer.locator(".status").first).to_have_text("در حال بررسی")

    # ... and asks for a document.
    officer_acts(officer, "درخواست اطلاعات یا مدرک", message="لطفاً تصویر کارت ملی مالک را هم بفرستید.")
    officer.screenshot(path=str(artifacts / f"desk-request-1280{suffix}.png"), full_page=True)

    # The citizen sees the request for information and answers it with a file.
    citizen.goto(f"{base}/requests/{code}")
    expect(citizen.locator(".status").first).to_have_text("نیاز به اطلاعات بیشتر")
    expect(citizen.locator(".notice")).to_contain_text("این را خواسته است")
    expect(citizen.locator(".timeline")).to_contain_text("لطفاً تصویر کارت ملی مالک را هم بفرستید.")
    expect(citizen.locator(".timeline")).to_contain_text(AGENCY)  # the agency, not the officer's name
    expect(citizen.locator(".timeline")).not_to_contain_text("کارمند آزمایشی")
    assert_no_sideways_scroll(citizen, "the request page asking for a document")
    citizen.screenshot(path=str(artifacts / f"request-needs-info-320{suffix}.png"), full_page=True)
    citizen.get_by_label("متن پیام").fill("تصویر کارت ملی پیوست شد.")
    citizen.get_by_label("پیوست (اختیاری)").set_input_files(pdf_file("کارت-ملی.pdf"))
    click_and_wait(citizen, citizen.get_by_role("button", name="پاسخ و ارسال دوباره"))
    expect(citizen.locator(".status").first).to_have_text("تکمیل شده، در انتظار بررسی")

    # The officer takes it again, approves it and delivers it with a result document.
    officer.goto(f"{base}/desk/requests/{code}")
    expect(officer.locator(".timeline")).to_contain_text("کارت-ملی.pdf")
    officer_acts(officer, "شروع بررسی")
    officer_acts(officer, "تأیید")
    officer_acts(officer, "تحویل نتیجه", document=pdf_file("کارت-المثنی.pdf"))
    expect(officer.locator(".status").first).to_have_text("تحویل شده")

    # The citizen sees "delivered" and downloads the result.
    citizen.goto(f"{base}/requests/{code}")
    expect(citizen.locator(".status").first).to_have_text("تحویل شده")
    # The result is offered up front, next to the status, not only at the end of the timeline.
    result = citizen.get_by_role("link", name="دریافت سند نتیجه (کارت-المثنی.pdf)")
    expect(result).to_be_visible()
    assert_no_sideways_scroll(citizen, "the delivered request page")
    citizen.screenshot(path=str(artifacts / f"request-320{suffix}.png"), full_page=True)
    with citizen.expect_download() as download:
        result.click()
    assert Path(download.value.path()).read_bytes() == PDF
    assert download.value.suggested_filename == "کارت-المثنی.pdf"
    expect(citizen.locator(".timeline li")).to_have_count(7)  # submit, take, ask, answer, take, approve, deliver


# What the path above showed in the screenshots at 320 px, as checks of their own.


@pytest.fixture
def request_page_on_a_phone(new_context, live_server, app, world):
    """The citizen's page of a request the agency has taken and asked a document for, on a 320 px phone."""
    with app.app_context():
        service = db.session.execute(db.select(Service).filter_by(code=world["service"])).scalar_one()
        applicant = db.session.execute(db.select(User).filter_by(national_code=world["national_code"])).scalar_one()
        officer = db.session.execute(db.select(User).filter_by(username="officer")).scalar_one()
        filed = f.filed(
            service,
            applicant,
            {
                "plate": "۱۲ب۳۴۵",
                "bought": "2024-08-10",
                "reason": "lost",
                "insured": True,
                "home": {"province": "23", "county": "تهران", "text": "خیابان آزادی"},
            },
        )
        workflow.advance(filed, "take", officer)
        workflow.advance(filed, "ask_info", officer, message="تصویر کارت ملی را بفرستید.")
        db.session.commit()
        code = filed.tracking_code
    page = new_context(viewport=PHONE, locale="fa-IR").new_page()
    citizen_signs_in(page, live_server.url, app, world["national_code"], world["mobile"])
    page.goto(f"{live_server.url}/requests/{code}")
    expect(page.locator(".timeline li")).to_have_count(3)
    return page


def test_tracking_code_stays_on_one_line_at_320px(request_page_on_a_phone):
    code = request_page_on_a_phone.locator(".code-box .tracking-code")
    lines = code.evaluate("e => e.getClientRects().length")
    assert lines == 1, (
        f"the 12-digit tracking code breaks over {lines} lines at 320 px (its last group drops to a line of its "
        "own); app/static/css/app.css .tracking-code needs white-space: nowrap (and .code-box a size that fits "
        "320 px, e.g. font-size: clamp(1.2rem, 6vw, 1.6rem))"
    )


def test_timeline_numbers_are_not_cut_off_at_the_edge_at_320px(request_page_on_a_phone):
    style = request_page_on_a_phone.locator(".timeline").evaluate(
        "e => { const s = getComputedStyle(e); return [s.listStyleType, s.listStylePosition]; }"
    )
    assert style[0] == "none" or style[1] == "inside", (
        f"the timeline draws list numbers ({style[0]}, {style[1]}) outside its box, where 320 px cuts them off "
        "at the screen edge: app/static/css/app.css ':lang(fa) ol { list-style-type: persian }' (0,1,1) outweighs "
        "'.timeline { list-style: none }' (0,1,0); write it ':where(:lang(fa)) ol { … }' or "
        "':lang(fa) ol.timeline { list-style: none }'"
    )
