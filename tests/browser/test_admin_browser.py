"""An administrator approves the demo's pending outsourcing proposal in Chromium at a desk-sized window; the
queue and the proposal page have no serious or critical axe-core findings."""
from urllib.parse import urlsplit

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

DESKTOP = {"width": 1280, "height": 800}
SERVICE_TITLE = "نقل‌وانتقال خودرو"  # service 10020002, proposed by the demo's agency manager for Tehran

_axe = Axe()


def serious_violations(page):
    results = _axe.run(page)
    return [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]


def describe(violations):
    return "\n".join(f"{v['id']} ({v['impact']}): {v['help']} -> " + ", ".join(str(n["target"]) for n in v["nodes"])
                     for v in violations)


def test_admin_approves_a_proposal_from_the_queue(page, live_server, seeded, artifacts):
    page.set_viewport_size(DESKTOP)
    page.goto(live_server.url + "/staff/sign-in")
    page.get_by_label("نام کاربری").fill("admin")
    page.get_by_label("گذرواژه").fill("panjereh-demo")
    page.get_by_label("گذرواژه").press("Enter")
    page.wait_for_url("**/admin/")

    page.get_by_role("navigation", name="بخش‌های مدیریت").get_by_role("link", name="واگذاری‌ها").click()
    assert urlsplit(page.url).path == "/admin/outsourcing"
    expect(page.get_by_role("heading", level=1)).to_contain_text("صف پیشنهادهای واگذاری")
    proposal = page.get_by_role("link", name=SERVICE_TITLE)
    expect(proposal).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    violations = serious_violations(page)
    assert not violations, f"axe on the admin queue:\n{describe(violations)}"
    page.screenshot(path=str(artifacts / "admin-queue-1280.png"), full_page=True)

    proposal.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(SERVICE_TITLE)
    violations = serious_violations(page)
    assert not violations, f"axe on the proposal page:\n{describe(violations)}"
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
