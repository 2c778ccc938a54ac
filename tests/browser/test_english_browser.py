"""Issue 12 item 11 in Chromium: English mode from the language switch, on the demo catalogue, at 360 px and at a
desk, without JavaScript: English names on home, "passport" found from the placeholder's own example, the card in
English with its Persian-only lists laid out right to left, the agencies table; and as-you-type with JavaScript."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, assert_no_sideways_scroll, click_and_wait

PHONE = {"width": 360, "height": 740}
SHOTS = Path("/tmp/shots-E")


def direction(locator):
    return locator.evaluate("element => getComputedStyle(element).direction")


def shot(page, name):
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}-{page.viewport_size['width']}.png"), full_page=True)


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["360px", "1280px"])
def test_english_home_search_card_and_agencies_without_javascript(new_context, live_server, seeded, viewport):
    base = live_server.url
    page = new_context(viewport=viewport, java_script_enabled=False).new_page()
    page.goto(base + "/")
    shot(page, "home-fa")
    click_and_wait(page, page.get_by_role("link", name="English"))

    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("link", name="Birth of a child")).to_be_visible()
    expect(page.get_by_role("link", name="Identity and civil status")).to_be_visible()
    box = page.get_by_label("What service are you looking for?")
    expect(box).to_have_attribute("placeholder", "For example, passport, driving licence or service code")
    assert_no_sideways_scroll(page, "the English home page")
    shot(page, "home-en")

    box.fill("passport")
    click_and_wait(page, page.locator(".search-form-large").get_by_role("button", name="Search"))
    titles = page.locator("#search-results .service-title")
    expect(titles.nth(0)).to_have_text("Passport status")
    expect(titles.nth(1)).to_have_text("Passport issue and renewal")
    expect(page.locator("#search-results")).to_contain_text("Immigration and Passport Police")
    assert_no_sideways_scroll(page, "English search results")
    shot(page, "search-passport-en")

    click_and_wait(page, titles.nth(1))
    expect(page.get_by_role("heading", level=1)).to_have_text("Passport issue and renewal")
    expect(page.locator(".lead")).to_have_text("Issue or renew an ordinary passport for travel abroad.")
    documents = page.locator("ul.checklist")
    expect(documents).to_have_attribute("lang", "fa")
    assert direction(documents) == "rtl" and direction(page.locator("h1")) == "ltr"
    # A related card with no English title: its Persian title runs right to left inside the English list.
    persian_title = page.locator(".service-title span[lang=fa]").first
    expect(persian_title).to_be_visible()
    assert direction(persian_title) == "rtl"
    assert_no_sideways_scroll(page, "the English card page")
    shot(page, "card-en")

    page.goto(base + "/agencies")
    expect(page.get_by_role("link", name="Immigration and Passport Police")).to_be_visible()
    assert_no_sideways_scroll(page, "the English agencies page")
    shot(page, "agencies-en")

    click_and_wait(page, page.get_by_role("link", name="فارسی"))
    expect(page.get_by_role("link", name="پلیس مهاجرت و گذرنامه")).to_be_visible()
    shot(page, "agencies-fa")
    page.goto(base + "/services/10030001")
    expect(page.get_by_role("heading", level=1)).to_have_text("صدور گذرنامهٔ عادی")
    shot(page, "card-fa")


def test_english_suggestions_as_you_type(new_context, live_server, seeded):
    page = new_context(viewport=PHONE).new_page()
    page.goto(live_server.url + "/language/en?next=/")
    page.get_by_label("What service are you looking for?").press_sequentially("passports", delay=20)
    suggestions = page.locator("#home-results .service-title")
    expect(suggestions.first).to_have_text("Passport status")
    expect(page.locator("#home-results")).to_contain_text("Passport issue and renewal")
