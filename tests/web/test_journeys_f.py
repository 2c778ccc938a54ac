"""Issue 12 items 9 and 12 through the test client: the audit log in words (labels for fields and values, names for
codes, rials and Jalali dates, each value isolated so arrows keep their direction), its names fetched per page and
not per row; staff tables carry a column name on every cell so that they stack on a phone."""

import re

import pytest
from sqlalchemy import event

from app.administration import agencies, audit, audit_display, offices
from app.administration.outsourcing import approve, propose
from app.counter import fees
from app.extensions import db
from app.models import Job, Office, Role, User
from app.people import staff
from tests import factories as f
from tests.web.helpers import sign_in_staff

TEHRAN = "23"


def _html(response):
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def _table(html):
    """The audit table alone (the filter form above it lists every action and type by design)."""
    return html[html.index("<table") : html.index("</table>")]


def _text(html):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def changes(app):
    """Real changes through the rule functions, each audited as it is in production."""
    with app.app_context():
        police = f.agency(code="7002", name="پلیس راهور")
        plate = f.service(police, code="70020002", title="تعویض پلاک")
        plate.title_en = "Plate replacement"
        office = f.office(TEHRAN, code="23001", name="دفتر پیشخوان ونک")
        admin = f.staff(Role.NATIONAL_ADMIN, username="admin")
        admin.full_name = "سارا نوری"
        manager = f.staff(Role.AGENCY_MANAGER, username="manager", agency=police)
        manager.full_name = "فاطمه حسینی"
        clerk = f.staff(Role.OFFICE_MANAGER, username="zahra", office=office)
        clerk.full_name = "زهرا کریمی"
        db.session.commit()
        proposal = propose(plate, manager, all_provinces=True, counter_fee_rial=120_000)
        db.session.commit()
        approve(proposal, admin)
        db.session.commit()
        staff.change_role(admin, clerk, Role.CLERK, office=office)
        db.session.commit()
        fees.set_fee_cap(admin, 750_000)
        db.session.commit()
        offices.set_status(admin, office, "suspended")
        db.session.commit()
        agencies.update_agency(admin, police, "پلیس راهور", "Traffic Police", "redirect", "https://rahvar.example.ir")
        db.session.commit()
        return {"outsourcing": proposal.public_id, "clerk": clerk.public_id}


def test_audit_log_shows_labels_and_names_not_internals(client, app, changes):
    sign_in_staff(client, "admin")
    table = _table(_html(client.get("/admin/audit")))
    text = _text(table)
    # Values through the rule packages' own labels, each in its own isolate with the arrow between them.
    assert "<del><bdi>در انتظار تصمیم</bdi></del>" in table and "<ins><bdi>تأیید شده</bdi></ins>" in table
    assert "<del><bdi>مدیر دفتر پیشخوان</bdi></del>" in table and "<ins><bdi>متصدی پیشخوان</bdi></ins>" in table
    assert "<del><bdi>فعال</bdi></del>" in table and "<ins><bdi>تعلیق‌شده</bdi></ins>" in table
    assert "<ins><bdi>فقط ارجاع به سامانهٔ دستگاه</bdi></ins>" in table
    assert "← " in text
    # Money in rials with Persian digits and separators; the cap that was in force before is the default.
    assert "<del><bdi>۵۰۰٬۰۰۰ ریال</bdi></del>" in table and "<ins><bdi>۷۵۰٬۰۰۰ ریال</bdi></ins>" in table
    assert "<bdi>۱۲۰٬۰۰۰ ریال</bdi>" in table  # the proposed counter fee
    # Field names in Persian.
    for label in ("وضعیت", "نقش", "سقف کارمزد", "کارمزد پیشخوان", "همهٔ استان‌ها", "خدمت", "وضعیت اتصال به پنجره"):
        assert f">{label}</dt>" in table, label
    # Names, not ids: the outsourcing by its service (linked by its public id), the staff account by name.
    assert "<bdi>تعویض پلاک</bdi>" in table and f'href="/admin/outsourcing/{changes["outsourcing"]}"' in table
    assert changes["outsourcing"] not in text
    assert "<bdi>زهرا کریمی</bdi>" in table and f'href="/admin/staff/{changes["clerk"]}"' in table
    assert "<bdi>دفتر پیشخوان ونک</bdi>" in table and "<bdi>پلیس راهور</bdi>" in table
    assert "سارا نوری" in text and "فاطمه حسینی" in text  # who acted
    # Latin values isolated left to right, so the arrow beside them keeps pointing from before to after.
    assert '<ins><bdi dir="ltr">https://rahvar.example.ir</bdi></ins>' in table
    assert '<ins><bdi dir="ltr">Traffic Police</bdi></ins>' in table
    for raw in ("pending", "approved", "office_manager", "suspended", "750000", "counter_fee_cap_rial", "redirect"):
        assert raw not in text, raw
    assert re.search(r"۱۴[۰-۹]{2}/[۰-۹]{2}/[۰-۹]{2} [۰-۹]{2}:[۰-۹]{2}", text)  # when: Jalali, Persian digits


def test_audit_log_in_english_points_the_arrow_the_other_way_and_uses_english_names(client, app, changes):
    sign_in_staff(client, "admin")
    client.set_cookie("lang", "en")
    table = _table(_html(client.get("/admin/audit")))
    assert "→" in table and "←" not in table
    assert "<ins><bdi>Approved</bdi></ins>" in table and "<del><bdi>Awaiting decision</bdi></del>" in table
    assert ">Traffic Police</bdi>" in table  # the agency's English name where it has one
    assert "<bdi>Plate replacement</bdi>" in table  # the outsourced service by its English title
    assert '<bdi lang="fa">دفتر پیشخوان ونک</bdi>' in table  # Persian only: marked as Persian
    assert "<ins><bdi>750,000 rials</bdi></ins>" in table


def test_jobs_citizens_and_unknown_rows_are_shown_without_internals(client, app):
    with app.app_context():
        admin = f.staff(Role.NATIONAL_ADMIN, username="admin")
        person = f.citizen(7301, name="مریم احمدی")
        job = Job(kind="sms", ref="1", state="failed", attempts=8, last_error="ConnectionRefusedError: 111")
        db.session.add(job)
        db.session.flush()
        from app.jobs import outbox

        outbox.retry_failed(admin, job)
        audit.record(
            person, "user.mobile_change", "user", person.public_id, {"mobile": "09120007301"}, {"mobile": "09350007301"}
        )
        audit.record(admin, "office.update", "office", "GONE1", {"name": "دفتر قدیمی"}, {"name": "دفتر تازه"})
        db.session.commit()
        public_id = person.public_id
    sign_in_staff(client, "admin")
    table = _table(_html(client.get("/admin/audit")))
    assert "<del><bdi>ناموفق</bdi></del>" in table and "<ins><bdi>در انتظار</bdi></ins>" in table
    assert re.search(r"کار پس‌زمینه:\s*<bdi>پیامک</bdi>", table)  # the job by its kind, not its row id
    assert '<bdi dir="ltr">ConnectionRefusedError: 111</bdi>' in table and ">آخرین خطا</dt>" in table
    assert "<bdi>مریم احمدی</bdi>" in table and public_id not in table  # a citizen by name, never their id
    # a mobile masked as the citizen's own pages show it, never whole
    assert '<ins><bdi dir="ltr">۰۹*****۷۳۰۱</bdi></ins>' in table and "۰۹۳۵۰۰۰۷۳۰۱" not in table
    assert '<bdi dir="ltr">GONE1</bdi>' in table  # a row gone since: its code as stored


def _statements(client, app, path):
    count = [0]

    def counted(*_args):
        count[0] += 1

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", counted)
    try:
        _html(client.get(path))
    finally:
        event.remove(engine, "before_cursor_execute", counted)
    return count[0]


def _moves(admin, people, offices_by_code):
    """Each clerk moves to the next office: an audited change naming two offices and one account."""
    for person in people:
        number = int(person.username[1:])
        staff.change_role(admin, person, Role.CLERK, office=offices_by_code[f"Q{(number + 1) % 30:03d}"])
        db.session.commit()


def _world_of_thirty_clerks():
    admin = f.staff(Role.NATIONAL_ADMIN, username="admin")
    for i in range(30):
        office = f.office(TEHRAN, code=f"Q{i:03d}", name=f"دفتر شمارهٔ {i}")
        f.staff(Role.CLERK, username=f"c{i:03d}", office=office).full_name = f"متصدی شمارهٔ {i}"
    db.session.commit()
    return admin


def _clerks_and_offices():
    people = db.session.execute(db.select(User).where(User.username.like("c0%")).order_by(User.username))
    found = db.session.execute(db.select(Office).where(Office.code.like("Q%"))).scalars()
    return list(people.scalars()), {office.code: office for office in found}


def test_names_on_a_page_of_the_log_cost_the_same_queries_for_three_events_or_thirty(client, app):
    with app.app_context():
        admin = _world_of_thirty_clerks()
        people, by_code = _clerks_and_offices()
        _moves(admin, people[:3], by_code)
    sign_in_staff(client, "admin")
    few = _statements(client, app, "/admin/audit")
    with app.app_context():
        admin = db.session.execute(db.select(User).filter_by(username="admin")).scalar_one()
        people, by_code = _clerks_and_offices()
        _moves(admin, people[3:], by_code)
    many = _statements(client, app, "/admin/audit")
    table = _table(_html(client.get("/admin/audit")))
    for i in range(30):  # every account and both offices of every move named
        assert f"<bdi>متصدی شمارهٔ {i}</bdi>" in table
        assert f"<del><bdi>دفتر شمارهٔ {i}</bdi>" in table and f"<ins><bdi>دفتر شمارهٔ {(i + 1) % 30}</bdi>" in table
    assert many == few


def test_value_in_words_formats_moments_lists_and_unknown_fields(ctx):
    f.province(TEHRAN)
    assert audit_display.shown("decided_at", "2026-12-01T20:30:00").text == "۱۴۰۵/۰۹/۱۱ ۰۰:۰۰"  # Tehran time
    assert audit_display.shown("provinces", ["23", "03"]).text == "تهران، آذربایجان شرقی"
    assert audit_display.shown("amount_rial", 12_500).text == "۱۲٬۵۰۰ ریال"
    assert audit_display.shown("active", False).text == "خیر"
    assert audit_display.shown("some_new_field", "x-1").text == "x-1"
    assert audit_display.label("some_new_field") == "some_new_field"
    assert audit_display.shown("latitude", 35.7).text == "۳۵٫۷"


STAFF_TABLES = [
    ("officer", "/desk/"),
    ("clerk", "/counter/requests"),
    ("clerk", "/counter/offices/23001/ledger"),
    ("clerk", "/counter/"),
    ("admin", "/admin/audit"),
    ("admin", "/admin/staff"),
    ("admin", "/admin/offices"),
    ("admin", "/admin/agencies"),
    ("admin", "/admin/outsourcing?status=approved"),
    ("manager", "/desk/outsourcing"),
]


@pytest.fixture
def desks(app):
    with app.app_context():
        police = f.agency(code="7002", name="پلیس راهور")
        plate = f.service(police, code="70020002", title="تعویض پلاک")
        office = f.office(TEHRAN, code="23001", name="دفتر پیشخوان ونک")
        f.outsourcing(plate)
        admin = f.staff(Role.NATIONAL_ADMIN, username="admin")
        f.staff(Role.AGENCY_OFFICER, username="officer", agency=police)
        f.staff(Role.AGENCY_MANAGER, username="manager", agency=police)
        clerk = f.staff(Role.CLERK, username="clerk", office=office)
        f.filed(plate, f.citizen(7302), channel="counter", office=office, actor=clerk)
        f.filed(plate, f.citizen(7303))
        offices.set_status(admin, office, "suspended")
        offices.set_status(admin, office, "active")
        db.session.commit()


@pytest.mark.parametrize("username, path", STAFF_TABLES)
def test_every_cell_of_a_staff_table_names_its_column_for_the_phone(client, app, desks, username, path):
    sign_in_staff(client, username)
    html = _html(client.get(path))
    tables = re.findall(r"<table[^>]*>.*?</table>", html, re.S)
    assert tables, path
    for table in tables:
        assert re.search(r'<table class="[^"]*\bstacked\b', table), path
        body = table[table.index("<tbody>") :]
        cells = re.findall(r"<td(?![^>]*colspan)[^>]*>(.*?)</td>", body, re.S)
        unnamed = re.findall(r"<td(?![^>]*(?:data-label|colspan))[^>]*>(.*?)</td>", body, re.S)
        assert cells, path
        # Only a cell with a single link or button (its own name) may go without a column name.
        assert all(re.fullmatch(r"\s*(\{%.*)?<(a|form)\b.*", cell, re.S) for cell in unnamed), (path, unnamed)


def test_an_event_about_a_request_names_it_by_service_and_tracking_code(client, app):
    with app.app_context():
        f.staff(Role.NATIONAL_ADMIN, username="admin")
        officer = f.staff(Role.AGENCY_OFFICER, username="officer")
        filed = f.filed(f.service(title="صدور گذرنامه"), f.citizen(7304))
        code = filed.tracking_code
        audit.record(
            officer, "payment.refund", "request", code, {"refund": "due"}, {"refund": "done", "amount_rial": 150_000}
        )
        db.session.commit()
    sign_in_staff(client, "admin")
    table = _table(_html(client.get("/admin/audit")))
    grouped = f"{code[:4]} {code[4:8]} {code[8:]}".translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    assert "<bdi>صدور گذرنامه</bdi>" in table and f'<span dir="ltr" class="muted">{grouped}</span>' in table
    assert "<del><bdi>در انتظار</bdi></del>" in table and "<ins><bdi>انجام شده</bdi></ins>" in table
    assert "<bdi>۱۵۰٬۰۰۰ ریال</bdi>" in table and ">مبلغ</dt>" in table
