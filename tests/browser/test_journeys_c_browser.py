"""Issue 12 items 5 and 7 in Chromium at 360 px: a file chosen beside another field's error stays attached, the
card's documents are file fields, optional ones say so, and check-your-answers sends once; without JavaScript the
whole journey, and once with it."""

import pytest
from playwright.sync_api import expect

from app.extensions import db
from app.models import Request
from tests import factories as f
from tests.browser.conftest import DESKTOP, PERSIAN_DIGITS, assert_no_sideways_scroll, click_and_wait
from tests.browser.test_requests_browser import citizen_signs_in

pytestmark = pytest.mark.usefixtures("uploads")
PHONE = {"width": 360, "height": 740}
SHOTS = "/tmp/shots-A"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
FORM = [
    {"name": "plate", "type": "text", "label": "شمارهٔ پلاک", "required": True, "max_length": 20},
    {"name": "note", "type": "textarea", "label": "توضیح", "required": False},
    {"name": "scan", "type": "file", "label": "تصویر کارت خودرو", "required": True, "document": 0},
]


@pytest.fixture
def world(app):
    with app.app_context():
        service = f.service(f.agency(name="پلیس راهور"), form=FORM, title="المثنی کارت خودرو", duration_days=5)
        service.current_revision.documents = ["کارت خودرو", "کارت ملی مالک", "وکالت‌نامه (در صورت وجود)"]
        paid = f.service(service.agency, form=FORM, title="المثنی کارت خودرو", fee_rial=4_000_000)
        paid.current_revision.documents = service.current_revision.documents
        person = f.citizen(7301, mobile="09120007301")
        db.session.commit()
        return {
            "service": service.code,
            "paid": paid.code,
            "national_code": person.national_code,
            "mobile": person.mobile,
        }


def _pdf(name):
    return {"name": name, "mimeType": "application/pdf", "buffer": PDF}


def _journey(page, base, app, world, tag):
    """form → error → the file still attached → check → send → confirmation."""
    citizen_signs_in(page, base, app, world["national_code"], world["mobile"])
    page.goto(f"{base}/services/{world['service']}/apply")
    expect(page.locator(".fee-line")).to_have_text("این خدمت هزینه‌ای ندارد.")  # a fee's payment is P's test
    expect(page.locator('label[for="card_document_3"]:not(.file-button)')).to_have_text(
        "وکالت‌نامه (در صورت وجود) (اختیاری)"
    )
    expect(page.locator('label[for="note"]')).to_have_text("توضیح (اختیاری)")
    expect(page.locator('label[for="card_document_2"]:not(.file-button)')).to_have_text(
        "کارت ملی مالک"
    )  # required: no mark
    page.locator("#scan").set_input_files(_pdf("کارت-خودرو.pdf"))
    page.locator("#card_document_2").set_input_files(_pdf("کارت-ملی.pdf"))
    page.get_by_label("توضیح").fill("نسخهٔ دوم")
    click_and_wait(page, page.get_by_role("button", name="ادامه", exact=True))  # the plate was left out

    expect(page.locator(".error-summary")).to_contain_text("«شمارهٔ پلاک» را وارد کنید.")
    expect(page.locator("#scan-attached")).to_contain_text("کارت-خودرو.pdf")
    expect(page.locator("#card_document_2-attached")).to_contain_text("کارت-ملی.pdf")
    expect(page.get_by_label("توضیح")).to_have_value("نسخهٔ دوم")
    assert_no_sideways_scroll(page, "the apply page with an error and kept files")
    page.screenshot(path=f"{SHOTS}/{tag}-1-error-files-kept.png", full_page=True)

    # Removing one kept file (a real button of the form) and choosing it again.
    click_and_wait(page, page.locator("#card_document_2-attached").get_by_role("button", name="برداشتن"))
    expect(page.get_by_text("«کارت-ملی.pdf» برداشته شد.")).to_be_visible()
    expect(page.locator("#card_document_2-attached")).to_have_count(0)
    expect(page.locator("#scan-attached")).to_contain_text("کارت-خودرو.pdf")
    page.locator("#card_document_2").set_input_files(_pdf("کارت-ملی-تازه.pdf"))
    page.get_by_label("شمارهٔ پلاک").fill("۱۲ب۳۴۵")
    click_and_wait(page, page.get_by_role("button", name="ادامه", exact=True))  # nothing asks for the scan again

    expect(page.get_by_role("heading", level=1)).to_have_text("پیش از فرستادن، پاسخ‌هایتان را ببینید")
    answers = page.locator("section", has=page.get_by_role("heading", name="پاسخ‌ها"))
    expect(answers).to_contain_text("شمارهٔ پلاک")
    expect(answers).to_contain_text("۱۲ب۳۴۵")
    expect(answers).to_contain_text("نسخهٔ دوم")
    files = page.locator("section", has=page.get_by_role("heading", name="مدارک پیوست‌شده"))
    expect(files).to_contain_text("کارت-خودرو.pdf")
    expect(files).to_contain_text("کارت-ملی-تازه.pdf")
    expect(page.locator(".fee-line")).to_have_text("این خدمت هزینه‌ای ندارد.")
    assert_no_sideways_scroll(page, "check your answers")
    page.screenshot(path=f"{SHOTS}/{tag}-2-check.png", full_page=True)

    # «تغییر» goes back to the filled form at its field, and «ادامه» comes back here.
    click_and_wait(page, page.get_by_role("link", name="تغییر شمارهٔ پلاک"))
    assert page.url.endswith("#plate")
    expect(page.get_by_label("شمارهٔ پلاک")).to_have_value("۱۲ب۳۴۵")
    click_and_wait(page, page.get_by_role("button", name="ادامه", exact=True))

    click_and_wait(page, page.get_by_role("button", name="فرستادن درخواست"))
    with app.app_context():
        filed = db.session.execute(db.select(Request)).scalar_one()
        code = filed.tracking_code
        assert filed.status == "submitted" and sorted(a.original_name for a in filed.attachments) == [
            "کارت-خودرو.pdf",
            "کارت-ملی-تازه.pdf",
        ]
    panel = page.locator(".confirmation")
    expect(panel.get_by_role("heading", name="درخواست شما ثبت شد")).to_be_visible()
    expect(panel.locator(".tracking-code")).to_have_text(f"{code[:4]} {code[4:8]} {code[8:]}".translate(PERSIAN_DIGITS))
    page.screenshot(path=f"{SHOTS}/{tag}-3-confirmation.png", full_page=True)

    page.go_back()  # the check page again (a resend): it files nothing more
    if page.locator("main form button[type=submit]").count():
        click_and_wait(page, page.locator("main form button[type=submit]"))
    with app.app_context():
        assert db.session.query(Request).filter(Request.status != "draft").count() == 1


def test_the_whole_online_journey_without_javascript_at_360px(new_context, live_server, app, world):
    page = new_context(viewport=PHONE, java_script_enabled=False, locale="fa-IR").new_page()
    _journey(page, live_server.url, app, world, "nojs-360")


def test_the_whole_online_journey_with_javascript_at_360px(new_context, live_server, app, world):
    page = new_context(viewport=PHONE, locale="fa-IR").new_page()
    _journey(page, live_server.url, app, world, "js-360")


@pytest.mark.parametrize("lang", ["fa", "en"])
def test_screens_of_the_form_and_the_check_page_at_a_desk(new_context, live_server, app, world, lang):
    page = new_context(viewport=DESKTOP, java_script_enabled=False, locale="fa-IR").new_page()
    base = live_server.url
    citizen_signs_in(page, base, app, world["national_code"], world["mobile"])
    if lang == "en":
        page.goto(f"{base}/language/en?next=/")
    for width, viewport in (("1280", DESKTOP), ("360", PHONE)):
        page.set_viewport_size(viewport)
        page.goto(f"{base}/services/{world['paid']}/apply")
        page.locator("#scan").set_input_files(_pdf("scan.pdf"))
        click_and_wait(page, page.locator("main form button[name=action][value=continue]:not(.visually-hidden)"))
        assert_no_sideways_scroll(page, f"the apply page ({lang}, {width})")
        page.screenshot(path=f"{SHOTS}/{lang}-{width}-form.png", full_page=True)
        page.locator("#plate").fill("12B345")
        page.locator("#card_document_2").set_input_files(_pdf("id.pdf"))
        click_and_wait(page, page.locator("main form button[name=action][value=continue]:not(.visually-hidden)"))
        assert "/apply/check" in page.url
        assert_no_sideways_scroll(page, f"check your answers ({lang}, {width})")
        page.screenshot(path=f"{SHOTS}/{lang}-{width}-check.png", full_page=True)
