"""An administrator approves the demo's pending outsourcing proposal in Chromium at a desk-sized window; the
queue and the proposal page have no serious or critical axe-core findings."""

from urllib.parse import urlsplit

from playwright.sync_api import expect

from app.demo import DEMO_PASSWORD
from tests.browser.conftest import (
    DESKTOP,
    assert_no_serious_violations,
    click_and_wait,
    horizontal_overflow,
    staff_signs_in,
)

SERVICE_TITLE = "نقل‌وانتقال خودرو"  # service 10020002, proposed by the demo's agency manager for Tehran


def test_admin_approves_a_proposal_from_the_queue(page, live_server, seeded, artifacts):
    page.set_viewport_size(DESKTOP)
    staff_signs_in(page, live_server.url, "admin", DEMO_PASSWORD)
    assert urlsplit(page.url).path == "/admin/"

    click_and_wait(page, page.get_by_role("navigation", name="بخش‌های مدیریت").get_by_role("link", name="واگذاری‌ها"))
    assert urlsplit(page.url).path == "/admin/outsourcing"
    expect(page.get_by_role("heading", level=1)).to_contain_text("صف پیشنهادهای واگذاری")
    proposal = page.get_by_role("link", name=SERVICE_TITLE)
    expect(proposal).to_be_visible()
    assert horizontal_overflow(page) <= 0
    assert_no_serious_violations(page, "the admin queue")
    page.screenshot(path=str(artifacts / "admin-queue-1280.png"), full_page=True)

    proposal.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(SERVICE_TITLE)
    assert_no_serious_violations(page, "the proposal page")
    page.get_by_label("دلیل یا توضیح تصمیم").fill("دفاتر تهران آماده‌اند")
    page.get_by_role("button", name="تأیید واگذاری").click()

    expect(page.get_by_role("status").filter(has_text="تصمیم ثبت شد")).to_be_visible()
    expect(page.locator(".status-approved").first).to_have_text("تأیید شده")
    history = page.locator(".timeline")
    expect(history).to_contain_text("دفاتر تهران آماده‌اند")
    expect(history.locator("li")).to_have_count(2)  # the proposal and the approval
    page.screenshot(path=str(artifacts / "admin-approved-1280.png"), full_page=True)

    page.goto(live_server.url + "/admin/outsourcing")
    expect(page.get_by_text("پیشنهادی در انتظار تصمیم نیست.")).to_be_visible()
