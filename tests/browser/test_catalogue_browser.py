"""The catalogue in a citizen's browser: search as you type with JavaScript, and every step without it on a
320 px phone (Debian's Chromium through Playwright, against the demo catalogue)."""

import re
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import expect

from tests.browser.conftest import PHONE, click_and_wait, fonts_ready, horizontal_overflow


def test_search_page_results_follow_typing_without_reloading(page, live_server, seeded):
    page.goto(live_server.url + "/search")
    page.evaluate("window.__stillHere = true")  # gone if the browser loads a new page
    box = page.locator("#site-q")
    box.press_sequentially("گذرنا", delay=60)
    first = page.locator("#search-results .service-item").first
    expect(first).to_contain_text("گذرنامه")
    assert page.evaluate("window.__stillHere") is True
    # The address follows the query, so reloading or sharing it shows the same results.
    expect(page).to_have_url(re.compile(r"/search\?q="))
    assert parse_qs(urlsplit(page.url).query)["q"] == ["گذرنا"]
    box.press_sequentially("مه عادی", delay=40)
    expect(first).to_contain_text("صدور گذرنامهٔ عادی")
    first.locator("a").click()
    expect(page.locator("h1")).to_have_text("صدور گذرنامهٔ عادی")


def test_suggestions_under_the_header_box_on_a_card_page(page, live_server, seeded):
    page.goto(live_server.url + "/services/10030001")
    page.locator("#site-q").press_sequentially("گواهینامه", delay=40)
    suggestions = page.locator("#site-results .service-item")
    expect(suggestions.first).to_be_visible()
    assert 1 <= suggestions.count() <= 5
    expect(page.locator("#site-results")).to_contain_text("گواهی")
    page.locator("#site-q").fill("")
    page.locator("#site-q").press_sequentially("زیردریایی اتمی", delay=30)
    expect(page.locator("#site-results")).to_contain_text("پیدا نشد")


def test_home_suggestions_tolerate_a_typo(page, live_server, seeded):
    page.goto(live_server.url + "/")
    page.locator("#home-q").press_sequentially("گزرنامه", delay=40)
    expect(page.locator("#home-results .service-item").first).to_contain_text("گذرنامه")
    expect(page.locator("#home-results")).to_contain_text("به جای «گزرنامه»")


def test_search_and_card_without_javascript_on_a_320px_phone(new_context, live_server, seeded, artifacts):
    page = new_context(java_script_enabled=False, viewport=PHONE).new_page()
    page.goto(live_server.url + "/")
    page.locator("#home-q").fill("گواهي نامه رانندگي")  # Arabic ی and a space inside the compound
    with page.expect_navigation():
        page.locator("#home-q").press("Enter")
    assert urlsplit(page.url).path == "/search"
    results = page.locator(".service-list .service-item")
    expect(results.first).to_be_visible()
    expect(results.first).to_contain_text("گواهی")
    assert horizontal_overflow(page) <= 0, f"search results scroll sideways by {horizontal_overflow(page)}px"
    page.screenshot(path=str(artifacts / "search-320-nojs.png"), full_page=True)

    click_and_wait(page, results.first.locator("a"))
    assert urlsplit(page.url).path.startswith("/services/")
    action = page.locator(".action-panel")
    expect(action).to_be_visible()
    expect(page.locator("h2", has_text="هزینه، زمان و مراجعه")).to_be_visible()
    assert horizontal_overflow(page) <= 0, f"card page scrolls sideways by {horizontal_overflow(page)}px"
    page.screenshot(path=str(artifacts / "card-320-nojs.png"), full_page=True)

    click_and_wait(page, page.locator("a", has_text="تاریخچهٔ تغییرات"))
    expect(page.locator("h1")).to_contain_text("تاریخچهٔ تغییرات")
    assert horizontal_overflow(page) <= 0


def test_pick_province_and_county_without_javascript(new_context, live_server, seeded):
    page = new_context(java_script_enabled=False, viewport=PHONE).new_page()
    page.goto(live_server.url + "/")
    click_and_wait(page, page.locator("a", has_text="استان و شهرستان خود را انتخاب کنید"))
    expect(page.locator("#use-position")).to_be_hidden()  # the geolocation button needs JavaScript
    page.locator("#province").select_option(label="فارس")
    click_and_wait(page, page.locator("button", has_text="نمایش شهرستان‌ها"))
    page.locator("#county").select_option(label="شیراز")
    click_and_wait(page, page.locator("button", has_text="ذخیره"))
    assert urlsplit(page.url).path == "/"
    expect(page.locator(".place-bar")).to_contain_text("فارس، شیراز")
    assert horizontal_overflow(page) <= 0


def test_geolocation_preselects_the_nearest_county(new_context, live_server, seeded):
    context = new_context(
        viewport=PHONE, geolocation={"latitude": 29.61, "longitude": 52.53}, permissions=["geolocation"]
    )
    page = context.new_page()
    page.goto(live_server.url + "/location")
    button = page.locator("#use-position")
    expect(button).to_be_visible()
    click_and_wait(page, button)
    expect(page.locator("#county")).to_have_value(re.compile(r"\d+"))
    assert page.locator("#county option:checked").inner_text() == "شیراز"
    page.locator("button", has_text="ذخیره").click()
    expect(page.locator(".place-bar")).to_contain_text("فارس، شیراز")


def test_card_page_screenshot_for_people_at_phone_width(page, live_server, seeded, artifacts):
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + "/services/10010001")
    fonts_ready(page)
    assert horizontal_overflow(page) <= 0
    page.screenshot(path=str(artifacts / "card-320.png"), full_page=True)
    primary = page.locator(".action-panel .button-primary")
    expect(primary).to_be_visible()
    box = primary.bounding_box()
    assert box["y"] + box["height"] <= 640 * 1.5, "the primary action should be near the top of a phone screen"
