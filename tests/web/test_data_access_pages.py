"""/account/data-access through the pages, without JavaScript: the desk and file hooks, the citizen's own log
explained in Persian with its filters and paging, hidden entries, the admin view and who may open what."""

import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text
from werkzeug.datastructures import FileStorage

from app.extensions import db
from app.models import Role, utcnow
from app.models.data_access import DataAccess
from app.people import data_access
from app.requests import attachments
from tests import factories as f
from tests.web.helpers import shown_tracking_code, sign_in_citizen, sign_in_staff

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
ALICE = (f.national_code(7101), "09121110001")
BOB = (f.national_code(7102), "09121110002")


def _count(app):
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(DataAccess)).scalar_one()


@pytest.fixture
def world(app):
    with app.app_context():
        owner = f.agency(name="سازمان ثبت اسناد آزمایشی")
        target = f.service(owner)
        f.staff(Role.AGENCY_OFFICER, username="officer", agency_id=owner.id)
        f.staff(Role.NATIONAL_ADMIN, username="admin")
        alice = f.citizen(7101, mobile=ALICE[1])
        f.citizen(7102, mobile=BOB[1])
        found = f.filed(target, alice)
        upload = FileStorage(io.BytesIO(PDF), filename="scan.pdf", content_type="application/pdf")
        found.attachments.append(attachments.store(upload, kind="applicant"))
        db.session.commit()
        return {"code": found.tracking_code, "file": found.attachments[0].public_id}


def _page(client, url="/account/data-access"):
    response = client.get(url)
    return response.status_code, response.get_data(as_text=True)


def test_the_officer_opening_the_request_and_its_file_is_what_the_citizen_reads(client, app, world):
    officer = app.test_client()
    sign_in_staff(officer, "officer")
    assert officer.get(f"/desk/requests/{world['code']}").status_code == 200
    assert officer.get(f"/desk/requests/{world['code']}").status_code == 200  # a reload: not a second use
    assert _count(app) == 1
    download = officer.get(f"/requests/{world['code']}/files/{world['file']}")
    assert download.status_code == 200
    assert _count(app) == 2
    sign_in_citizen(client, app, *ALICE)
    client.get(f"/requests/{world['code']}")  # the citizen's own reads are not recorded
    client.get(f"/requests/{world['code']}/files/{world['file']}")
    assert _count(app) == 2
    status, html = _page(client)
    assert status == 200
    assert "کارشناس «سازمان ثبت اسناد آزمایشی» درخواست شما با کد رهگیری" in html
    assert "یکی از پیوست‌های درخواست شما" in html
    assert "رسیدگی به درخواستی که خودتان ثبت کرده‌اید" in html  # why it was allowed
    assert shown_tracking_code(world["code"]) in html
    assert "کارمند آزمایشی" not in html  # the organisation, not the person
    assert "/account/data-access" in client.get("/account/requests").get_data(as_text=True)


def test_another_citizen_sees_nothing_of_it_and_staff_are_refused(client, app, world):
    officer = app.test_client()
    sign_in_staff(officer, "officer")
    officer.get(f"/desk/requests/{world['code']}")
    sign_in_citizen(client, app, *BOB)
    status, html = _page(client)
    assert status == 200 and shown_tracking_code(world["code"]) not in html and "هنوز موردی ثبت نشده است." in html
    assert officer.get("/account/data-access").status_code in (403, 404)
    anonymous = app.test_client().get("/account/data-access")
    assert anonymous.status_code == 302 and "sign-in" in anonymous.headers["Location"]
    assert client.get("/admin/data-access").status_code in (403, 404)
    assert officer.get("/admin/data-access").status_code in (403, 404)


def _entries(app, how_many):
    with app.app_context():
        office = f.office(name="دفتر پیشخوان نمونه")
        clerks = [f.staff(Role.CLERK, office=office) for _ in range(how_many)]
        db.session.commit()
        for clerk in clerks:
            data_access.record(
                national_code=ALICE[0],
                purpose=data_access.COUNTER_IDENTIFY,
                data_kind="identity",
                office=office,
                official=clerk,
            )
        db.session.commit()
        return office.code


def test_filters_and_paging_work_as_plain_links(client, app, world):
    officer = app.test_client()
    sign_in_staff(officer, "officer")
    officer.get(f"/desk/requests/{world['code']}")
    office_code = _entries(app, data_access.PAGE_SIZE + 2)
    sign_in_citizen(client, app, *ALICE)
    status, html = _page(client)
    assert html.count("<li>") >= data_access.PAGE_SIZE
    older = re.search(r'href="([^"]+)" rel="next"', html).group(1).replace("&amp;", "&")
    assert re.search(r"before=[0-9a-f]{64}(&|$)", older)  # the last entry's hash, not a row id
    status, html = _page(client, older)
    assert status == 200
    assert "سازمان ثبت اسناد آزمایشی" in html  # the oldest entry is on the second page
    status, html = _page(client, f"/account/data-access?organisation=o:{office_code}")
    assert status == 200 and "سازمان ثبت اسناد آزمایشی" not in html.split("data-access-list", 1)[1]
    assert "کد ملی و شمارهٔ همراه شما را برای ثبت درخواست استعلام کرد" in html
    status, html = _page(client, "/account/data-access?date_to=1300/01/01")
    assert status == 200 and "موردی با این پالایش نیست." in html
    status, html = _page(client, "/account/data-access?date_from=1405/13/40")
    assert status == 400 and "field-error" in html
    status, html = _page(client, "/account/data-access?organisation=a:nonsense")
    assert status == 400


def test_a_hidden_entry_is_shown_to_the_admin_with_its_reason_and_to_the_citizen_after_its_date(client, app, world):
    officer = app.test_client()
    sign_in_staff(officer, "officer")
    officer.get(f"/desk/requests/{world['code']}")
    admin = app.test_client()
    sign_in_staff(admin, "admin")
    html = admin.get(f"/admin/data-access?national_code={ALICE[0]}").get_data(as_text=True)
    link = re.search(r'href="(/admin/data-access\?[^"]*entry=[^"]+)"', html).group(1).replace("&amp;", "&")
    html = admin.get(link).get_data(as_text=True)
    action = re.search(r'action="(/admin/data-access/[^"]+/hide)"', html).group(1)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    data = {"until": "1499/01/01", "reason": ""}
    if token:
        data["csrf_token"] = token.group(1)
    refused = admin.post(action, data=data)
    assert refused.status_code == 400 and "علت را بنویسید." in refused.get_data(as_text=True)
    data["reason"] = "پروندهٔ بازرسی ۴۵۶"
    assert admin.post(action, data=data).status_code == 302
    html = admin.get("/admin/data-access").get_data(as_text=True)
    assert "پروندهٔ بازرسی ۴۵۶" in html
    sign_in_citizen(client, app, *ALICE)
    assert shown_tracking_code(world["code"]) not in _page(client)[1]
    with app.app_context():
        db.session.execute(text("UPDATE data_access SET hidden_until = :t"), {"t": utcnow() - timedelta(minutes=1)})
        db.session.commit()
    assert shown_tracking_code(world["code"]) in _page(client)[1]
    assert "پروندهٔ بازرسی" not in _page(client)[1]  # the reason is for administrators


def test_hiding_is_a_form_with_csrf(app, world):
    officer = app.test_client()
    sign_in_staff(officer, "officer")
    officer.get(f"/desk/requests/{world['code']}")
    with app.app_context():
        entry = db.session.execute(select(DataAccess.hash)).scalar_one()
    admin = app.test_client()
    sign_in_staff(admin, "admin")
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = admin.post(f"/admin/data-access/{entry}/hide", data={"until": "1499/01/01", "reason": "x"})
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code == 400
    with app.app_context():
        assert db.session.execute(select(DataAccess.hidden_until)).scalar_one() is None
