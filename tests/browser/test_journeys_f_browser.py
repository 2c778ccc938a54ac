"""Issue 12 items 9 and 12 in Chromium, without JavaScript: every staff page with a table (desk inbox, counter
requests and day ledger, the audit log and the admin lists) and the counter receipt fit a 360 px phone with no
sideways scroll and no column squeezed to a letter or two; the receipt still prints on one A5 page; the audit log at
a desk, in Persian and in English, shows each change in words with the old value on the side its arrow comes from."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from app.administration import agencies, offices
from app.counter import fees
from app.demo import DEMO_PASSWORD
from app.extensions import db
from app.models import Agency, Office, Request, Role, User
from app.people import staff
from tests.browser.conftest import DESKTOP, assert_no_sideways_scroll, fonts_ready, staff_signs_in
from tests.browser.test_counter_browser import _page_sizes_mm

PHONE = {"width": 360, "height": 740}
SHOTS = Path("/tmp/shots-T")
NEW_URL = "https://rahvar.example.ir"


@pytest.fixture
def demo(app, seeded):
    """The demo (with its counter filing and the system's outsourcing proposals in the log) and a few more audited
    changes through the rules: a fee cap, a role change, an office suspended, an agency's Latin website changed."""
    SHOTS.mkdir(exist_ok=True)
    with app.app_context():
        admin = db.session.execute(db.select(User).filter_by(username="admin")).scalar_one()
        manager = db.session.execute(db.select(User).filter_by(username="office-manager")).scalar_one()
        office = db.session.execute(db.select(Office).order_by(Office.code)).scalars().first()
        agency = db.session.execute(db.select(Agency).filter_by(code="1002")).scalar_one()
        fees.set_fee_cap(admin, 750_000)
        db.session.commit()
        staff.change_role(admin, manager, Role.CLERK, office=manager.office)
        db.session.commit()
        staff.change_role(admin, manager, Role.OFFICE_MANAGER, office=manager.office)
        db.session.commit()
        offices.set_status(admin, office, "suspended")
        db.session.commit()
        offices.set_status(admin, office, "active")
        db.session.commit()
        old_url = agency.website_url
        agencies.update_agency(admin, agency, agency.name, "Traffic Police", agency.connection_status, NEW_URL)
        db.session.commit()
        agencies.update_agency(admin, agency, agency.name, "Rahvar Police", agency.connection_status, NEW_URL)
        db.session.commit()
        receipt = db.session.execute(db.select(Request).filter_by(channel="counter")).scalars().first()
        return {"receipt": receipt.tracking_code, "office": office.code, "old_url": old_url}


NARROWEST_CELL = """() => {
  const hidden = (el) => { for (; el; el = el.parentElement) {
    const style = getComputedStyle(el);
    if (style.clipPath !== "none" || style.display === "none" || el.classList.contains("visually-hidden")) return true;
  } return false; };
  const cells = [...document.querySelectorAll("table td, table th")]
    .filter((cell) => cell.textContent.trim() && !hidden(cell));
  return cells.map((cell) => ({
    ems: cell.getBoundingClientRect().width / parseFloat(getComputedStyle(cell).fontSize),
    text: cell.textContent.trim().slice(0, 40),
  })).sort((a, b) => a.ems - b.ems)[0] || null;
}"""

STAFF_PAGES = [
    ("officer", "/desk/", "desk-inbox"),
    ("agency-manager", "/desk/outsourcing", "desk-outsourcing"),
    ("clerk", "/counter/", "counter-pick"),
    ("clerk", "/counter/requests", "counter-requests"),
    ("office-manager", "/counter/ledger", "counter-ledger"),
    ("admin", "/admin/audit", "admin-audit"),
    ("admin", "/admin/staff", "admin-staff"),
    ("admin", "/admin/offices", "admin-offices"),
    ("admin", "/admin/agencies", "admin-agencies"),
    ("admin", "/admin/outsourcing?status=approved", "admin-outsourcing"),
]


@pytest.mark.parametrize("username, path, name", STAFF_PAGES, ids=[name for _u, _p, name in STAFF_PAGES])
def test_staff_tables_fit_a_phone_without_sideways_scroll(new_context, live_server, demo, username, path, name):
    page = new_context(viewport=PHONE, java_script_enabled=False, locale="fa-IR").new_page()
    staff_signs_in(page, live_server.url, username, DEMO_PASSWORD)
    page.goto(live_server.url + path)
    expect(page.locator("table").first).to_be_visible()
    assert_no_sideways_scroll(page, name)
    narrowest = page.evaluate(NARROWEST_CELL)
    # Three ems hold a few letters or digits: a column broken letter by letter is about one em wide.
    assert narrowest["ems"] >= 3, f"{name}: a cell {narrowest['ems']:.1f} em wide ({narrowest['text']!r})"
    page.screenshot(path=str(SHOTS / f"{name}-360.png"), full_page=True)


def test_the_receipt_fits_a_phone_and_still_prints_on_one_a5_page(new_context, live_server, demo):
    page = new_context(viewport=PHONE, java_script_enabled=False, locale="fa-IR").new_page()
    staff_signs_in(page, live_server.url, "clerk", DEMO_PASSWORD)
    receipt = f"{live_server.url}/counter/requests/{demo['receipt']}/receipt"
    for paper in ("", "?paper=80"):
        page.goto(receipt + paper)
        assert_no_sideways_scroll(page, f"the receipt{paper}")
        code = page.locator(".receipt-tracking")
        box, line = code.bounding_box(), code.evaluate("e => parseFloat(getComputedStyle(e).lineHeight)")
        assert box["height"] < 1.5 * line  # the tracking code on one line, inside the paper
        assert page.locator(".receipt").bounding_box()["width"] <= PHONE["width"]
    page.screenshot(path=str(SHOTS / "receipt-80-360.png"), full_page=True)
    page.goto(receipt)
    page.screenshot(path=str(SHOTS / "receipt-a5-360.png"), full_page=True)
    page.emulate_media(media="print")
    fonts_ready(page)
    expect(page.locator(".receipt-tools")).to_be_hidden()
    assert _page_sizes_mm(page.pdf(prefer_css_page_size=True)) == [(148, 210)]  # one A5 page, as at a desk


READING_ORDER = """(dd) => {
  const end = [...dd.querySelector("del bdi").getClientRects()].pop();
  const start = dd.querySelector("ins bdi").getClientRects()[0];
  return {before: {left: end.left, right: end.right, top: end.top}, after: {left: start.left, right: start.right, top: start.top}};
}"""


def _reading_order(page, label):
    """Where the old value ends and the new one starts, in the first change with this field label."""
    values = page.locator("dl.changes dt", has_text=label).first.locator("xpath=following-sibling::dd[1]")
    return values.evaluate(READING_ORDER)


@pytest.mark.parametrize("language", ["fa", "en"])
def test_the_audit_log_at_a_desk_reads_each_change_in_the_pages_direction(new_context, live_server, demo, language):
    context = new_context(viewport=DESKTOP, java_script_enabled=False, locale="fa-IR")
    page = context.new_page()
    staff_signs_in(page, live_server.url, "admin", DEMO_PASSWORD)
    if language == "en":
        context.add_cookies([{"name": "lang", "value": "en", "url": live_server.url}])
    page.goto(f"{live_server.url}/admin/audit")
    fonts_ready(page)
    table = page.locator("table.audit-table")
    english_name, cap, role = (
        ("نام انگلیسی", "سقف کارمزد", "نقش") if language == "fa" else ("English name", "Fee cap", "Role")
    )
    if language == "fa":
        expect(table).to_contain_text("۵۰۰٬۰۰۰ ریال")
        expect(table).to_contain_text("۷۵۰٬۰۰۰ ریال")
        expect(table).to_contain_text("مدیر دفتر پیشخوان")
        expect(table).to_contain_text("تعلیق‌شده")
    else:
        expect(table).to_contain_text("750,000 rials")
        expect(table).to_contain_text("Counter office manager")
        expect(table).to_contain_text("Suspended")
    for raw in ("office_manager", "counter_fee_cap_rial", "750000", "connection_status"):
        expect(table).not_to_contain_text(raw)
    # Persian reads from the right: the old value on the right, the arrow pointing left to the new one; English the
    # other way round. Latin names are the case that turned around before each value had its own isolate.
    for label in (english_name, cap, role):
        where = _reading_order(page, label)
        before, after = where["before"], where["after"]
        if abs(before["top"] - after["top"]) > 4:  # a change too long for its column wraps: the new value next line
            assert after["top"] > before["top"] and label != english_name, f"{label}: {where}"
        elif language == "fa":
            assert after["right"] <= before["left"] + 1, f"{label}: {where}"
        else:
            assert after["left"] >= before["right"] - 1, f"{label}: {where}"
    expect(page.locator("dl.changes dd", has_text=NEW_URL).first).to_contain_text(demo["old_url"])
    assert_no_sideways_scroll(page, f"the audit log ({language})")
    page.screenshot(path=str(SHOTS / f"audit-{language}-1280.png"), full_page=True)
    page.set_viewport_size(PHONE)
    assert_no_sideways_scroll(page, f"the audit log ({language}) at 360 px")
    page.screenshot(path=str(SHOTS / f"audit-{language}-360.png"), full_page=True)


WIDTHS = (320, 360, 480, 641, 700, 800, 1024)
BOXES = """() => [...document.querySelectorAll(".table-scroll")].map((box) => ({
  scrolls: box.scrollWidth > box.clientWidth + 1,
  hint: getComputedStyle(box).backgroundAttachment,
}))"""


@pytest.mark.parametrize("language", ["fa", "en"])
def test_between_phone_and_desk_a_wide_table_scrolls_in_its_own_box_never_the_page(
    new_context, live_server, demo, language
):
    """Just above the phone layout an eight-column table is wider than the window: its box scrolls, with the edge
    shadows as the hint, and the page does not (a hidden caption positioned absolutely used to widen it)."""
    seen_scrolling = False
    for username, path in (("clerk", "/counter/requests"), ("admin", "/admin/audit")):
        context = new_context(viewport=DESKTOP, java_script_enabled=False, locale="fa-IR")
        page = context.new_page()
        staff_signs_in(page, live_server.url, username, DEMO_PASSWORD)
        if language == "en":
            context.add_cookies([{"name": "lang", "value": "en", "url": live_server.url}])
        page.goto(live_server.url + path)
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 800})
            assert_no_sideways_scroll(page, f"{path} ({language})")
            for box in page.evaluate(BOXES):
                if box["scrolls"]:
                    seen_scrolling = True
                    assert "local" in box["hint"], f"{path} at {width}px scrolls in its box without the edge shadows"
        context.close()
    assert seen_scrolling  # the case this test is about did happen
