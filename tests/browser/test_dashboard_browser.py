"""/dashboard in Chromium on the demo data: at 360 px with JavaScript on (axe finds nothing serious, nothing scrolls
sideways, the charts fit), the province filter without JavaScript, and screenshots at 360 and 1280 px."""

from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import expect

from tests.browser.conftest import (
    DESKTOP,
    assert_no_serious_violations,
    assert_no_sideways_scroll,
    click_and_wait,
    fonts_ready,
)

NARROW = {"width": 360, "height": 740}


def test_dashboard_at_360px_with_javascript(new_context, live_server, seeded):
    page = new_context(viewport=NARROW).new_page()
    page.goto(live_server.url + "/dashboard")
    expect(page.locator("h1")).to_contain_text("داشبورد عمومی")
    assert_no_sideways_scroll(page, "the dashboard")
    for chart in ("weeks", "agencies", "connection"):
        box = page.locator(f"#chart-{chart}").bounding_box()
        assert box is not None and 0 < box["width"] <= NARROW["width"], chart
    assert_no_serious_violations(page, "/dashboard at 360px")
    fonts_ready(page)
    page.screenshot(path="/tmp/dashboard-360.png", full_page=True)


def test_dashboard_at_1280px(new_context, live_server, seeded):
    page = new_context(viewport=DESKTOP).new_page()
    page.goto(live_server.url + "/dashboard")
    assert_no_sideways_scroll(page, "the dashboard")
    fonts_ready(page)
    page.screenshot(path="/tmp/dashboard-1280.png", full_page=True)


def test_the_province_filter_works_without_javascript(new_context, live_server, seeded):
    page = new_context(viewport=NARROW, java_script_enabled=False).new_page()
    page.goto(live_server.url + "/dashboard")
    national = page.locator(".stages").inner_text()
    page.locator("#d-province").select_option(label="تهران")
    click_and_wait(page, page.locator("button", has_text="نمایش"))
    assert parse_qs(urlsplit(page.url).query) == {"province": ["23"]}
    expect(page.locator("h1")).to_contain_text("تهران")
    expect(page.locator("#d-province")).to_have_value("23")
    assert page.locator(".stages").inner_text() != national
    assert_no_sideways_scroll(page, "the dashboard for Tehran without JavaScript")
    page.screenshot(path="/tmp/dashboard-360-nojs-tehran.png", full_page=True)
