"""Browser fixtures and helpers: Debian's Chromium driven by pytest-playwright, against the live server.

The helpers are plain functions the test modules import (`from tests.browser.conftest import …`); tests/browser is
a package so that this module is imported once, under that name.
"""

from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests import factories as f

HERE = Path(__file__).resolve().parent
PHONE = {"width": 320, "height": 640}
DESKTOP = {"width": 1280, "height": 800}
PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")

CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium tries to reach Google, and those connections are refused.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
ARTIFACTS = HERE.parents[1] / "test-artifacts"
_axe = Axe()


def pytest_collection_modifyitems(items):
    """Every test in this folder is a browser test (`-m "not browser"` leaves them out)."""
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    args = list(browser_type_launch_args.get("args", []))
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": args + [a for a in CHROMIUM_ARGS if a not in args],
    }


@pytest.fixture(scope="session")
def artifacts():
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def uploads(app, tmp_path, monkeypatch):
    """Files uploaded through the live server go to a temporary folder, not the working copy's instance/."""
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path / "uploads"))


# --- waiting ----------------------------------------------------------------------------------------------


def fonts_ready(page):
    """Waits for the web fonts, so that layout checks and screenshots see the real text, not the fallback."""
    page.evaluate("document.fonts.ready.then(() => true)")


def click_and_wait(page, locator):
    """Clicks a link or button that loads a new page, and waits for that page."""
    with page.expect_navigation():
        locator.click()


def press(page, key, navigates=False):
    """Presses a key; with navigates=True, waits for the page it loads."""
    if navigates:
        with page.expect_navigation():
            page.keyboard.press(key)
    else:
        page.keyboard.press(key)


# --- signing in -------------------------------------------------------------------------------------------


def staff_signs_in(page, base, username, password=f.PASSWORD):
    """Signs a member of staff in at /staff/sign-in with the keyboard (Enter in the password field)."""
    page.goto(base + "/staff/sign-in")
    page.get_by_label("نام کاربری").fill(username)
    page.get_by_label("گذرواژه").fill(password)
    with page.expect_navigation():
        page.get_by_label("گذرواژه").press("Enter")


# --- layout -----------------------------------------------------------------------------------------------


def horizontal_overflow(page):
    """How many CSS pixels the page is wider than the window (0 when nothing scrolls sideways)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def assert_no_sideways_scroll(page, what):
    fonts_ready(page)  # the layout with the web font, not the fallback
    overflow = horizontal_overflow(page)
    assert overflow <= 0, f"{what} scrolls sideways by {overflow}px at {page.viewport_size['width']}px"


# --- accessibility ----------------------------------------------------------------------------------------


def serious_violations(page):
    """axe-core's serious and critical findings on the page as it is now."""
    return [v for v in _axe.run(page).response["violations"] if v["impact"] in ("serious", "critical")]


def describe(violations):
    return "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} -> " + ", ".join(str(n["target"]) for n in v["nodes"])
        for v in violations
    )


def assert_no_serious_violations(page, where):
    violations = serious_violations(page)
    assert not violations, f"axe on {where}:\n{describe(violations)}"
