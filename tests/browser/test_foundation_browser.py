"""The Foundation's promises as a citizen's browser sees them: Debian's Chromium through Playwright."""

import gzip
import time
from urllib.parse import quote, urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE, assert_no_serious_violations, fonts_ready, horizontal_overflow

PASSPORT_SEARCH = "/search?q=" + quote("گذرنامه")
PASSPORT_SERVICE = "/services/10030001"  # صدور گذرنامهٔ عادی in the demo catalogue
SKIP_LINK_TEXT = "پرش به محتوای اصلی"
FIRST_VISIT_BYTES = 60 * 1024  # the whole first visit, on the wire: without web fonts, and (issue 15) with them
FIRST_VISIT_REQUESTS = 4


def assert_fully_in_view(page, locator):
    box = locator.bounding_box()
    view = page.viewport_size
    assert box is not None and box["width"] > 0 and box["height"] > 0, box
    assert box["x"] >= 0 and box["y"] >= 0, (box, view)
    assert box["x"] + box["width"] <= view["width"] and box["y"] + box["height"] <= view["height"], (box, view)


# 1. A cheap phone: 320 CSS pixels wide.


@pytest.mark.parametrize(
    "path,search_box", [("/", "#home-q"), (PASSPORT_SEARCH, "#site-q")], ids=["home", "search-results"]
)
def test_page_fits_a_320px_phone_without_sideways_scrolling(page, live_server, seeded, path, search_box):
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + path)
    fonts_ready(page)  # the layout with the web font, not the fallback
    assert horizontal_overflow(page) <= 0, f"{path} scrolls sideways by {horizontal_overflow(page)}px at 320px"
    box = page.locator(search_box)
    expect(box).to_be_visible()
    assert_fully_in_view(page, box)
    expect(page.locator(f"form:has({search_box}) button[type=submit]")).to_be_visible()


def test_home_screenshots_for_people_at_phone_and_desktop_width(page, live_server, seeded, artifacts):
    page.goto(live_server.url + "/")
    for name, size in (("home-320.png", PHONE), ("home-1280.png", DESKTOP)):
        page.set_viewport_size(size)
        fonts_ready(page)
        assert horizontal_overflow(page) <= 0, f"home scrolls sideways at {size['width']}px"
        page.screenshot(path=str(artifacts / name), full_page=True)
        assert (artifacts / name).stat().st_size > 0


# 2. Accessibility: axe-core finds nothing serious or critical, in Persian and in English.


@pytest.mark.parametrize("language", ["fa", "en"])
@pytest.mark.parametrize(
    "path,status",
    [("/", 200), (PASSPORT_SEARCH, 200), ("/no-such-page", 404)],
    ids=["home", "search-results", "not-found"],
)
def test_pages_have_no_serious_accessibility_violations(page, live_server, seeded, path, status, language):
    response = page.goto(live_server.url + path)
    assert response.status == status
    expect(page.locator("html")).to_have_attribute("lang", "fa")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    if language == "en":
        page.locator("header a[hreflang=en]").click()  # the language link in the header
        expect(page.locator("html")).to_have_attribute("lang", "en")
        expect(page.locator("html")).to_have_attribute("dir", "ltr")
        assert urlsplit(page.url).path == urlsplit(live_server.url + path).path  # back on the same page
    assert_no_serious_violations(page, f"{path} ({language})")


# 3. Every page works without JavaScript.


@pytest.mark.parametrize(
    "path,search_box", [("/", "#home-q"), ("/search", "#site-q")], ids=["home-search-box", "header-search-box"]
)
def test_search_finds_the_passport_service_without_javascript(new_context, live_server, seeded, path, search_box):
    page = new_context(java_script_enabled=False).new_page()
    page.goto(live_server.url + path)
    page.locator(search_box).fill("گذرنامه")
    with page.expect_navigation():
        page.locator(search_box).press("Enter")
    assert urlsplit(page.url).path == "/search"
    result = page.locator(f'.service-list a[href="{PASSPORT_SERVICE}"]')
    expect(result).to_be_visible()
    expect(result).to_contain_text("گذرنامه")


# 4. A slow network: a small, first-party, cacheable first visit.


class NetworkLog:
    """Every request a page makes, as Chromium's DevTools protocol reports it."""

    EVENTS = ("requestWillBeSent", "requestServedFromCache", "responseReceived", "loadingFinished", "loadingFailed")

    def __init__(self, page):
        self.page = page
        self.cdp = page.context.new_cdp_session(page)
        self.requests = {}
        for event in self.EVENTS:
            self.cdp.on(f"Network.{event}", getattr(self, "_" + event))
        self.cdp.send("Network.enable")

    def _entry(self, params):
        return self.requests.setdefault(
            params["requestId"],
            {"url": None, "cached": False, "bytes": 0, "headers": 0, "done": False, "encoding": None},
        )

    def _requestWillBeSent(self, params):
        self._entry(params)["url"] = params["request"]["url"]

    def _requestServedFromCache(self, params):
        self._entry(params)["cached"] = True

    def _responseReceived(self, params):
        entry, response = self._entry(params), params["response"]
        entry["url"] = entry["url"] or response["url"]
        entry["cached"] |= bool(response.get("fromDiskCache") or response.get("fromMemoryCache"))
        headers = {k.lower(): v for k, v in response.get("headers", {}).items()}
        entry["encoding"] = headers.get("content-encoding")
        entry["headers"] = response.get("encodedDataLength", 0)  # bytes received so far: the headers

    def _loadingFinished(self, params):
        entry = self._entry(params)
        entry["bytes"], entry["done"] = params["encodedDataLength"], True

    def _loadingFailed(self, params):
        self._entry(params)["done"] = True

    def visit(self, url):
        self.requests.clear()
        response = self.page.goto(url, wait_until="load")
        fonts_ready(self.page)
        deadline, quiet_since = time.monotonic() + 10, None
        while time.monotonic() < deadline:  # until every request has finished and nothing new started
            busy = any(not r["done"] for r in self.requests.values())
            quiet_since = None if busy else (quiet_since or time.monotonic())
            if quiet_since and time.monotonic() - quiet_since > 0.3:
                break
            self.page.wait_for_timeout(50)
        else:
            pytest.fail(f"requests never finished: {self.requests}")
        return response

    @property
    def network(self):
        """Requests that went to the network (not the cache), data: URLs aside."""
        return [r for r in self.requests.values() if not r["cached"] and not r["url"].startswith("data:")]


def is_font(url):
    return urlsplit(url).path.endswith(".woff2")


def test_first_visit_to_home_is_small_first_party_and_cached_on_return(page, live_server, seeded):
    log = NetworkLog(page)
    response = log.visit(live_server.url + "/")
    assert response.status == 200
    first_visit = log.network
    counted = [r for r in first_visit if not is_font(r["url"])]
    total = sum(r["bytes"] for r in counted)
    fonts = sum(r["bytes"] for r in first_visit if is_font(r["url"]))
    html = next(r for r in counted if r["url"] == live_server.url + "/")
    html_gzip = len(gzip.compress(response.body(), compresslevel=6))
    print(
        f"\nfirst visit to home without fonts: {len(counted)} requests, {total} bytes on the wire"
        f" (+ {len(first_visit) - len(counted)} font requests, {fonts} bytes)"
    )
    for r in counted:
        print(f"  {r['bytes']:>7} B  {r['encoding'] or 'identity':<8} {r['url']}")
    print(
        f"home HTML: {html['bytes']} B on the wire ({html['headers']} B headers + {html['bytes'] - html['headers']} B"
        f" {html['encoding']} body), {len(response.body())} B uncompressed, {html_gzip} B gzipped (level 6)"
    )
    assert len(counted) <= FIRST_VISIT_REQUESTS, [r["url"] for r in counted]
    assert total <= FIRST_VISIT_BYTES, f"{total} bytes > {FIRST_VISIT_BYTES}"
    # The subset Vazirmatn (bin/subset-fonts), both weights, fits in the same budget.
    assert len(first_visit) - len(counted) == 2, [r["url"] for r in first_visit if is_font(r["url"])]
    assert total + fonts <= FIRST_VISIT_BYTES, f"{total} + {fonts} font bytes > {FIRST_VISIT_BYTES}"

    # Nothing from another host; the only data: URL is the empty favicon.
    origin = urlsplit(live_server.url).netloc
    favicon = page.locator("link[rel=icon]").get_attribute("href")
    urls = [r["url"] for r in log.requests.values()]
    assert [u for u in urls if not u.startswith("data:") and urlsplit(u).netloc != origin] == []
    assert all(u == favicon for u in urls if u.startswith("data:")), urls

    # The return visit fetches only the HTML; stylesheet, script and fonts come from the cache.
    assert log.visit(live_server.url + "/").status == 200
    again = log.network
    print(f"repeat visit: {len(again)} request(s) from the network, {len(log.requests) - len(again)} from the cache")
    assert [r["url"] for r in again] == [live_server.url + "/"]


# 5. Keyboard users: the skip link is the first stop and visible when focused.


def test_first_tab_on_home_shows_the_skip_link(page, live_server, seeded):
    page.goto(live_server.url + "/")
    page.keyboard.press("Tab")
    skip = page.locator("a.skip-link")
    expect(skip).to_be_focused()
    expect(skip).to_have_text(SKIP_LINK_TEXT)
    assert_fully_in_view(page, skip)
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()
