"""The administration area, the agency manager's outsourcing pages and the public office finder, through the
test client: scopes answer 404, bad input answers 400 with the message by the field, every change is audited."""

import re

import pytest
from werkzeug.security import check_password_hash

from app.administration import audit
from app.administration.outsourcing import propose
from app.extensions import db
from app.models import Agency, AuditEvent, Office, Outsourcing, Role, Setting, User
from tests import factories as f
from tests.web.helpers import sign_in_staff

TEHRAN, TABRIZ = "23", "03"


@pytest.fixture
def world(app):
    with app.app_context():
        police, other = f.agency(code="7002", name="پلیس راهور"), f.agency(code="7003", name="سازمان دیگر")
        tehran_agency = f.agency(code="7023", name="ادارهٔ کل استان تهران")
        tehran_agency.level, tehran_agency.province = "provincial", f.province(TEHRAN)
        tehran_office = f.office(TEHRAN, code="23001", name="دفتر پیشخوان ونک")
        tabriz_office = f.office(TABRIZ, code="03001", name="دفتر پیشخوان تبریز")
        service = f.service(police, code="70020001", title="نقل‌وانتقال خودرو")
        wide = f.service(police, code="70020002", title="تعویض پلاک")
        f.service(other, code="70030001", title="خدمت دستگاه دیگر")
        manager = f.staff(Role.AGENCY_MANAGER, username="manager", agency=police)
        f.staff(Role.AGENCY_MANAGER, username="other-manager", agency=other)
        f.staff(Role.NATIONAL_ADMIN, username="admin")
        f.staff(Role.PROVINCIAL_ADMIN, username="tehran-admin", province=f.province(TEHRAN))
        f.staff(Role.PROVINCIAL_ADMIN, username="tabriz-admin", province=f.province(TABRIZ))
        f.staff(Role.CLERK, username="clerk", office=tehran_office)
        f.staff(Role.CLERK, username="tabriz-clerk", office=tabriz_office)
        tehran = propose(
            service, manager, all_provinces=False, provinces=[f.province(TEHRAN)], counter_fee_rial=100_000
        )
        everywhere = propose(wide, manager, all_provinces=True, counter_fee_rial=50_000)
        db.session.commit()
        return {"tehran": tehran.public_id, "everywhere": everywhere.public_id}


def _html(response):
    return response.get_data(as_text=True)


def _outsourcing(app, public_id):
    with app.app_context():
        row = db.session.execute(db.select(Outsourcing).filter_by(public_id=public_id)).scalar_one()
        return row.status, row.counter_fee_rial, [(d.action, d.reason) for d in row.decisions]


def _events(app, action=None):
    with app.app_context():
        query = db.select(AuditEvent).order_by(AuditEvent.id)
        if action:
            query = query.filter_by(action=action)
        return [(e.action, e.object_ref, e.before, e.after) for e in db.session.execute(query).scalars()]


# --- access --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["admin", "tehran-admin"])
def test_administrators_land_on_the_admin_home(client, world, username):
    response = sign_in_staff(client, username)
    assert response.headers["Location"].endswith("/admin/")
    assert client.get("/admin/").status_code == 200


@pytest.mark.parametrize("username", ["manager", "clerk"])
def test_the_admin_area_does_not_exist_for_other_staff(client, world, username):
    sign_in_staff(client, username)
    for path in ("/admin/", "/admin/outsourcing", f"/admin/outsourcing/{world['tehran']}", "/admin/staff"):
        assert client.get(path).status_code == 404


def test_signed_out_visitors_are_sent_to_staff_sign_in(client, world):
    response = client.get("/admin/outsourcing")
    assert response.status_code == 302 and "/staff/sign-in" in response.headers["Location"]


# --- the queue and decisions ---------------------------------------------------------------------------


def test_queue_is_scoped_to_the_provincial_admins_province(client, world):
    sign_in_staff(client, "tehran-admin")
    page = _html(client.get("/admin/outsourcing"))
    assert world["tehran"] in page and world["everywhere"] not in page
    assert client.get(f"/admin/outsourcing/{world['everywhere']}").status_code == 404
    response = client.post(f"/admin/outsourcing/{world['everywhere']}/decide", data={"action": "approve"})
    assert response.status_code == 404


def test_another_provinces_admin_gets_404_also_when_posting_directly(client, app, world):
    sign_in_staff(client, "tabriz-admin")
    assert world["tehran"] not in _html(client.get("/admin/outsourcing"))
    assert client.get(f"/admin/outsourcing/{world['tehran']}").status_code == 404
    assert client.post(f"/admin/outsourcing/{world['tehran']}/decide", data={"action": "approve"}).status_code == 404
    assert _outsourcing(app, world["tehran"])[0] == "pending"


def test_national_admin_sees_every_proposal_and_approves(client, app, world):
    sign_in_staff(client, "admin")
    page = _html(client.get("/admin/outsourcing"))
    assert world["tehran"] in page and world["everywhere"] in page
    response = client.post(
        f"/admin/outsourcing/{world['everywhere']}/decide", data={"action": "approve", "reason": "همهٔ استان‌ها آماده‌اند"}
    )
    assert response.status_code == 302
    status, _fee, decisions = _outsourcing(app, world["everywhere"])
    assert status == "approved" and decisions[-1] == ("approve", "همهٔ استان‌ها آماده‌اند")
    assert "همهٔ استان‌ها آماده‌اند" in _html(client.get(response.headers["Location"]))


def test_rejecting_needs_a_reason_and_a_confirmation(client, app, world):
    sign_in_staff(client, "tehran-admin")
    url = f"/admin/outsourcing/{world['tehran']}/decide"
    response = client.post(url, data={"action": "reject", "reason": ""})
    assert response.status_code == 400
    assert "دلیل رد را بنویسید" in _html(response) and "error-summary" in _html(response)
    response = client.post(url, data={"action": "reject", "reason": "مدارک کافی نیست"})
    assert response.status_code == 200 and 'name="confirm" value="yes"' in _html(response)
    assert _outsourcing(app, world["tehran"])[0] == "pending"  # asking changed nothing
    response = client.post(url, data={"action": "reject", "reason": "مدارک کافی نیست", "confirm": "yes"})
    assert response.status_code == 302
    assert _outsourcing(app, world["tehran"])[:1] == ("rejected",)
    assert _events(app, "outsourcing.reject")[0][3]["status"] == "rejected"


def test_revoking_is_confirmed_and_the_fee_change_respects_the_cap_when_posted_directly(client, app, world):
    sign_in_staff(client, "tehran-admin")
    url = f"/admin/outsourcing/{world['tehran']}/decide"
    assert client.post(url, data={"action": "approve"}).status_code == 302

    response = client.post(
        url, data={"action": "change_fee", "fee-counter_fee_rial": "۶۰۰٬۰۰۰", "fee-reason": "افزایش هزینه"}
    )
    assert response.status_code == 400
    page = _html(response)
    assert "سقف" in page and 'value="۶۰۰٬۰۰۰"' in page  # the message by the field, the input kept
    response = client.post(url, data={"action": "change_fee", "fee-counter_fee_rial": "abc", "fee-reason": "x"})
    assert response.status_code == 400 and "فقط با رقم" in _html(response)
    response = client.post(
        url, data={"action": "change_fee", "fee-counter_fee_rial": "۱۲۰,۰۰۰", "fee-reason": "افزایش هزینهٔ چاپ"}
    )
    assert response.status_code == 302 and _outsourcing(app, world["tehran"])[1] == 120_000

    response = client.post(url, data={"action": "revoke", "revoke-reason": "شکایت‌های زیاد"})
    assert response.status_code == 200 and "بله، لغو شود" in _html(response)
    assert _outsourcing(app, world["tehran"])[0] == "approved"
    response = client.post(url, data={"action": "revoke", "revoke-reason": "شکایت‌های زیاد", "confirm": "yes"})
    assert response.status_code == 302
    status, _fee, decisions = _outsourcing(app, world["tehran"])
    assert status == "revoked"
    assert [a for a, _r in decisions] == ["propose", "approve", "change_fee", "revoke"]


def test_an_unknown_action_is_a_bad_request(client, world):
    sign_in_staff(client, "admin")
    assert client.post(f"/admin/outsourcing/{world['tehran']}/decide", data={"action": "delete"}).status_code == 400


def test_fee_cap_page_is_the_national_admins(client, app, world):
    sign_in_staff(client, "tehran-admin")
    assert client.get("/admin/settings/fee-cap").status_code == 404
    assert client.post("/admin/settings/fee-cap", data={"amount": "1"}).status_code == 404
    client.post("/account/sign-out")
    sign_in_staff(client, "admin")
    response = client.post("/admin/settings/fee-cap", data={"amount": "۲۰۰ هزار"})
    assert response.status_code == 400 and 'value="۲۰۰ هزار"' in _html(response)
    assert client.post("/admin/settings/fee-cap", data={"amount": "۷۵٬۰۰۰"}).status_code == 302
    with app.app_context():
        assert db.session.get(Setting, "counter_fee_cap_rial").value == "75000"
    # The Tehran proposal (100,000) is now above the cap: approving it is refused with the reason.
    response = client.post(f"/admin/outsourcing/{world['tehran']}/decide", data={"action": "approve"})
    assert response.status_code == 400 and "سقف" in _html(response)


# --- the agency manager's side -------------------------------------------------------------------------


def test_agency_manager_lists_services_and_proposes_for_their_agency_only(client, app, world):
    sign_in_staff(client, "manager")
    page = _html(client.get("/desk/outsourcing"))
    assert "نقل‌وانتقال خودرو" in page and "خدمت دستگاه دیگر" not in page
    assert client.get("/desk/outsourcing/propose/70030001").status_code == 404
    assert (
        client.post("/desk/outsourcing/propose/70030001", data={"scope": "all", "counter_fee_rial": "1000"}).status_code
        == 404
    )
    with app.app_context():
        service = f.service(
            db.session.execute(db.select(Agency).filter_by(code="7002")).scalar_one(),
            code="70020003",
            title="صدور کارت خودرو",
        )
        db.session.commit()
    response = client.post(
        "/desk/outsourcing/propose/70020003",
        data={
            "scope": "listed",
            "provinces": [TEHRAN, TABRIZ],
            "counter_fee_rial": "۸۰٬۰۰۰",
            "note": "برای شهرهای بزرگ",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        row = db.session.execute(
            db.select(Outsourcing).join(Outsourcing.service).filter_by(code="70020003")
        ).scalar_one()
        assert row.status == "pending" and row.counter_fee_rial == 80_000 and not row.all_provinces
        assert sorted(p.code for p in row.provinces) == [TABRIZ, TEHRAN]
    assert "برای شهرهای بزرگ" in _html(client.get(response.headers["Location"]))
    assert service is not None


def test_proposal_form_errors_are_shown_by_their_fields(client, app, world):
    with app.app_context():
        f.service(db.session.execute(db.select(Agency).filter_by(code="7002")).scalar_one(), code="70020004")
        db.session.commit()
    sign_in_staff(client, "manager")
    url = "/desk/outsourcing/propose/70020004"
    response = client.post(url, data={"scope": "all", "counter_fee_rial": "900000"})  # above the 500,000 default
    assert response.status_code == 400 and "سقف" in _html(response) and 'value="900000"' in _html(response)
    response = client.post(url, data={"scope": "listed", "counter_fee_rial": "1000"})
    assert response.status_code == 400 and "دست‌کم یک استان" in _html(response)
    response = client.post(url, data={"scope": "all", "counter_fee_rial": ""})
    assert response.status_code == 400 and "کارمزد را به ریال" in _html(response)
    with app.app_context():
        assert db.session.query(Outsourcing).count() == 2  # only the fixture's


def test_other_agencies_manager_cannot_open_the_proposal(client, world):
    sign_in_staff(client, "other-manager")
    assert client.get(f"/desk/outsourcing/{world['tehran']}").status_code == 404


# --- staff accounts ------------------------------------------------------------------------------------


def _user(app, username):
    with app.app_context():
        return db.session.execute(db.select(User).filter_by(username=username)).scalar_one()


def test_admin_creates_an_account_whose_password_is_shown_once_and_works(client, app, world):
    sign_in_staff(client, "tehran-admin")
    response = client.post(
        "/admin/staff/new",
        data={"username": "New.Clerk", "full_name": "کارمند تازه", "role": "clerk", "office": "23001"},
    )
    assert response.status_code == 200
    password = re.search(r'<code class="code-box" dir="ltr">([a-z0-9-]+)</code>', _html(response)).group(1)
    user = _user(app, "new.clerk")
    assert user.role == "clerk" and check_password_hash(user.password_hash, password)
    assert password not in _html(client.get(f"/admin/staff/{user.public_id}"))
    ((_action, ref, before, after),) = _events(app, "user.create")
    assert ref == "new.clerk" and before == {} and after["role"] == "clerk" and after["office"] == "23001"
    assert all("password" not in key for key in after)
    client.post("/account/sign-out")
    assert sign_in_staff(client, "new.clerk", password).status_code == 302


def test_provincial_admin_is_held_to_their_province_and_roles(client, app, world):
    sign_in_staff(client, "tehran-admin")
    response = client.post(
        "/admin/staff/new", data={"username": "x-clerk", "full_name": "الف", "role": "clerk", "office": "03001"}
    )  # Tabriz: not in the choices, posted anyway
    assert response.status_code == 400 and "دفتر پیشخوان را انتخاب کنید" in _html(response)
    response = client.post(
        "/admin/staff/new",
        data={"username": "x-admin", "full_name": "الف", "role": "provincial_admin", "province": TEHRAN},
    )
    assert response.status_code == 400 and "نمی‌توانید این نقش را بدهید" in _html(response)
    assert client.get(f"/admin/staff/{_user(app, 'tabriz-clerk').public_id}").status_code == 404
    assert client.get(f"/admin/staff/{_user(app, 'admin').public_id}").status_code == 404
    assert "tabriz-clerk" not in _html(client.get("/admin/staff"))


def test_bad_account_input_is_kept_with_messages(client, world):
    sign_in_staff(client, "admin")
    response = client.post("/admin/staff/new", data={"username": "ب", "full_name": "", "role": "clerk"})
    assert response.status_code == 400
    page = _html(response)
    assert "نام کاربری ۳ تا ۶۴ نویسه" in page and "نام کارمند را وارد کنید" in page and 'value="ب"' in page
    response = client.post(
        "/admin/staff/new", data={"username": "clerk", "full_name": "دوم", "role": "clerk", "office": "23001"}
    )
    assert response.status_code == 400 and "از قبل گرفته شده" in _html(response)


def test_role_change_is_audited_with_before_and_after(client, app, world):
    sign_in_staff(client, "admin")
    clerk = _user(app, "clerk")
    response = client.post(f"/admin/staff/{clerk.public_id}/role", data={"role": "agency_officer", "agency": "7002"})
    assert response.status_code == 302
    ((_action, ref, before, after),) = _events(app, "user.role_change")
    assert ref == "clerk"
    assert (before["role"], before["office"], before["agency"]) == ("clerk", "23001", None)
    assert (after["role"], after["office"], after["agency"]) == ("agency_officer", None, "7002")
    response = client.post(f"/admin/staff/{clerk.public_id}/role", data={"role": "clerk"})
    assert response.status_code == 400 and "دفتر پیشخوان را انتخاب کنید" in _html(response)


def test_deactivation_is_confirmed_audited_and_ends_the_open_session(client, app, world):
    other = app.test_client()
    sign_in_staff(other, "clerk")
    sign_in_staff(client, "admin")
    clerk = _user(app, "clerk")
    url = f"/admin/staff/{clerk.public_id}/status"
    response = client.post(url, data={"active": "no"})
    assert response.status_code == 200 and "بله، غیرفعال شود" in _html(response)
    assert _user(app, "clerk").is_active_account
    assert client.post(url, data={"active": "no", "confirm": "yes"}).status_code == 302
    assert not _user(app, "clerk").is_active_account
    ((_a, _r, before, after),) = _events(app, "user.deactivate")
    assert before["active"] is True and after["active"] is False
    assert other.get("/admin/").status_code in (302, 404)
    assert other.get("/account/requests").status_code == 302  # signed out: sent to sign in
    response = other.post("/staff/sign-in", data={"username": "clerk", "password": f.PASSWORD})
    assert response.status_code == 400 and "غیرفعال" in _html(response)


def test_password_reset_is_confirmed_audited_and_replaces_the_old_one(client, app, world):
    sign_in_staff(client, "admin")
    clerk = _user(app, "clerk")
    url = f"/admin/staff/{clerk.public_id}/password"
    assert "بله، گذرواژهٔ تازه بساز" in _html(client.post(url))
    response = client.post(url, data={"confirm": "yes"})
    password = re.search(r'<code class="code-box" dir="ltr">([a-z0-9-]+)</code>', _html(response)).group(1)
    assert check_password_hash(_user(app, "clerk").password_hash, password)
    ((_a, ref, before, after),) = _events(app, "user.password_reset")
    assert ref == "clerk" and "hash" not in str(before) + str(after)


def test_an_admin_cannot_change_their_own_account(client, app, world):
    sign_in_staff(client, "admin")
    me = _user(app, "admin")
    response = client.post(f"/admin/staff/{me.public_id}/status", data={"active": "no", "confirm": "yes"})
    assert response.status_code == 400 and _user(app, "admin").is_active_account


# --- offices and agencies ------------------------------------------------------------------------------

OFFICE = {
    "code": "23002",
    "name": "دفتر پیشخوان تجریش",
    "province": TEHRAN,
    "address": "تهران، تجریش",
    "phone": "۰۲۱-۲۲۳۳۴۴۵۵",
    "opening_hours": "شنبه تا چهارشنبه ۸ تا ۱۶",
    "latitude": "۳۵٫۸۰",
    "longitude": "51.43",
}


def test_provincial_admin_manages_offices_in_their_province_only(client, app, world):
    sign_in_staff(client, "tehran-admin")
    assert client.post("/admin/offices/new", data=OFFICE).status_code == 302
    with app.app_context():
        office = db.session.execute(db.select(Office).filter_by(code="23002")).scalar_one()
        assert (office.phone, office.latitude, office.longitude) == ("02122334455", 35.8, 51.43)
    response = client.post("/admin/offices/new", data={**OFFICE, "code": "03002", "province": TABRIZ})
    assert response.status_code == 400 and "استان خود" in _html(response)
    assert client.get("/admin/offices/03001").status_code == 404
    assert "03001" not in _html(client.get("/admin/offices"))
    ((_a, ref, before, after),) = _events(app, "office.create")
    assert ref == "23002" and before == {} and after["province"] == TEHRAN


def test_office_edit_keeps_bad_input_and_audits_the_change(client, app, world):
    sign_in_staff(client, "admin")
    response = client.post("/admin/offices/23001", data={**OFFICE, "phone": "123", "latitude": "35.7"})
    assert response.status_code == 400
    page = _html(response)
    assert "پیش‌شماره" in page and 'value="123"' in page and "با هم وارد کنید" not in page
    response = client.post("/admin/offices/23001", data={**OFFICE, "longitude": ""})
    assert response.status_code == 400 and "با هم وارد کنید" in _html(response)
    assert client.post("/admin/offices/23001", data=OFFICE).status_code == 302
    ((_a, ref, before, after),) = _events(app, "office.update")
    assert ref == "23001" and before["name"] == "دفتر پیشخوان ونک" and after["name"] == "دفتر پیشخوان تجریش"
    assert after["code"] == "23001"  # the code is not editable


def test_suspending_an_office_is_confirmed_and_hides_it_from_the_public(client, app, world):
    sign_in_staff(client, "tehran-admin")
    response = client.post("/admin/offices/23001/status", data={"status": "suspended"})
    assert response.status_code == 200 and "بله، تعلیق شود" in _html(response)
    assert "دفتر پیشخوان ونک" in _html(client.get("/offices?province=" + TEHRAN))
    assert client.post("/admin/offices/23001/status", data={"status": "suspended", "confirm": "yes"}).status_code == 302
    assert "دفتر پیشخوان ونک" not in _html(client.get("/offices?province=" + TEHRAN))
    assert [e[0] for e in _events(app) if e[0].startswith("office.")] == ["office.suspend"]


def test_agencies_are_created_and_edited_with_audit(client, app, world):
    sign_in_staff(client, "admin")
    response = client.post(
        "/admin/agencies/new",
        data={
            "code": "۸۰۰۱",
            "name": "سازمان نمونه",
            "level": "national",
            "connection_status": "redirect",
            "website_url": "https://example.ir",
        },
    )
    assert response.status_code == 302
    response = client.post(
        "/admin/agencies/8001",
        data={"name": "سازمان نمونه", "connection_status": "connected", "website_url": "example.ir"},
    )
    assert response.status_code == 400 and "https://" in _html(response)
    assert (
        client.post(
            "/admin/agencies/8001",
            data={"name": "سازمان نمونه", "connection_status": "connected", "website_url": "https://example.ir/new"},
        ).status_code
        == 302
    )
    ((_a, ref, before, after),) = _events(app, "agency.update")
    assert ref == "8001" and before["connection_status"] == "redirect" and after["connection_status"] == "connected"
    client.post("/account/sign-out")
    sign_in_staff(client, "tehran-admin")
    page = _html(client.get("/admin/agencies"))
    assert "ادارهٔ کل استان تهران" in page and "سازمان نمونه" not in page
    assert client.get("/admin/agencies/8001").status_code == 404


# --- the audit log browser -----------------------------------------------------------------------------


def test_audit_log_filters_and_scope(client, app, world):
    sign_in_staff(client, "admin")
    client.post(f"/admin/outsourcing/{world['everywhere']}/decide", data={"action": "approve"})
    page = _html(client.get("/admin/audit?action=outsourcing.approve"))
    assert world["everywhere"] in page and world["tehran"] not in page
    page = _html(client.get("/admin/audit?actor=manager"))
    assert world["tehran"] in page and world["everywhere"] in page
    assert "رویدادی با این پالایش نیست" in _html(client.get("/admin/audit?object_type=user"))
    response = client.get("/admin/audit?date_from=1405/13/40")
    assert response.status_code == 400 and "تقویم" in _html(response)
    response = client.get("/admin/audit?actor=nobody")
    assert response.status_code == 400 and "کارمندی با این نام کاربری نیست" in _html(response)
    response = client.get("/admin/audit?date_from=1405/02/10&date_to=1405/02/01")
    assert response.status_code == 400
    client.post("/account/sign-out")
    sign_in_staff(client, "tehran-admin")
    page = _html(client.get("/admin/audit"))
    assert world["tehran"] in page and world["everywhere"] not in page  # all-provinces: the national admin's


def test_audit_log_paginates(client, app, world):
    with app.app_context():
        for i in range(55):
            audit.record(None, "office.update", "office", f"P{i:02d}", {}, {"i": i})
        db.session.commit()
    sign_in_staff(client, "admin")
    first = _html(client.get("/admin/audit?object_type=office"))
    assert "P54" in first and "P04" not in first and "page=2" in first
    second = _html(client.get("/admin/audit?object_type=office&page=2"))
    assert "P04" in second and "P54" not in second


# --- the public office finder --------------------------------------------------------------------------


def test_public_office_finder_filters_and_orders_by_distance(client, app, world):
    with app.app_context():
        near = f.office(TEHRAN, code="23010", name="دفتر نزدیک")
        far = f.office(TEHRAN, code="23011", name="دفتر دور")
        near.latitude, near.longitude, near.address, near.phone = 35.70, 51.40, "خیابان انقلاب", "02166554433"
        far.latitude, far.longitude = 35.55, 51.20
        db.session.commit()
    page = _html(client.get("/offices"))
    assert "دفتر پیشخوان تبریز" in page and "دفتر نزدیک" in page and "js/offices." in page
    page = _html(client.get(f"/offices?province={TABRIZ}"))
    assert "دفتر پیشخوان تبریز" in page and "دفتر نزدیک" not in page
    page = _html(client.get(f"/offices?province={TEHRAN}&lat=35.71&lng=51.41"))
    assert page.index("دفتر نزدیک") < page.index("دفتر دور") < page.index("دفتر پیشخوان ونک")
    assert "خیابان انقلاب" in page and "tel:02166554433" in page and "کیلومتر" in page
    page = _html(client.get(f"/offices?province={TEHRAN}&lat=35.55&lng=51.20"))
    assert page.index("دفتر دور") < page.index("دفتر نزدیک")
    response = client.get("/offices?province=zz&county=9999&lat=abc&lng=<script>")
    assert response.status_code == 200 and "<script>" not in _html(response).split("</form>")[0]
