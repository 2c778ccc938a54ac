"""Feedback pages (issue 14): rating from the request page and from /track (bad stars answer 400 in Persian with the
comment kept; a double submit stores one; before delivery it says so), complaints from the account and from /track,
the desk's reply that the citizen then reads, another agency's officer getting 404, the escalated complaint on the
province's admin page only, and the public card and agency pages showing only the average, from the minimum sample."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.feedback import complaints, ratings
from app.jobs import tasks
from app.models import Complaint, Rating, Request, Role, Service, utcnow
from tests import factories as f
from tests.web.helpers import sign_in_citizen, sign_in_staff


@pytest.fixture
def world(app):
    """Agency A (Tehran) with a service, a citizen with a delivered and an open request of it, and staff."""
    with app.app_context():
        agency = f.agency("9401", "سازمان الف")
        agency.level, agency.province = "provincial", f.province("23")
        service = f.service(agency, code="94010001", title="خدمت امتیازدادنی")
        citizen = f.citizen(9401, mobile="09129401000")
        now = utcnow()
        delivered = f.decided(service, citizen, now - timedelta(days=5), now - timedelta(days=2), "delivered")
        delivered.delivered_at = now - timedelta(days=1)
        open_request = f.filed(service, citizen)
        f.staff(Role.AGENCY_OFFICER, username="officer-a", agency=agency)
        f.staff(Role.AGENCY_OFFICER, username="officer-b", agency=f.agency("9402"))
        f.staff(Role.PROVINCIAL_ADMIN, username="padm-tehran", province=f.province("23"))
        f.staff(Role.PROVINCIAL_ADMIN, username="padm-tabriz", province=f.province("03"))
        db.session.commit()
        return {
            "service": service.code,
            "delivered": delivered.tracking_code,
            "open": open_request.tracking_code,
            "citizen": (citizen.national_code, citizen.mobile),
        }


def _ratings():
    return db.session.execute(select(func.count()).select_from(Rating)).scalar_one()


def test_bad_stars_answer_400_in_persian_and_keep_the_comment(app, client, world):
    sign_in_citizen(client, app, *world["citizen"])
    page = client.get(f"/requests/{world['delivered']}").get_data(as_text=True)
    assert 'name="stars"' in page and "ثبت امتیاز" in page
    response = client.post(f"/requests/{world['delivered']}/rate", data={"stars": "9", "comment": "نظر نوشته‌شدهٔ من"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "از ۱ تا ۵ ستاره یکی را انتخاب کنید." in html and "نظر نوشته‌شدهٔ من" in html
    response = client.post(f"/requests/{world['delivered']}/rate", data={"stars": "4", "comment": "ب" * 1001})
    assert response.status_code == 400 and "نظر طولانی‌تر از حد مجاز است" in response.get_data(as_text=True)
    with app.app_context():
        assert _ratings() == 0


def test_a_double_submit_stores_one_rating_and_the_second_is_told(app, client, world):
    sign_in_citizen(client, app, *world["citizen"])
    url = f"/requests/{world['delivered']}/rate"
    assert client.post(url, data={"stars": "5", "comment": "عالی"}).status_code == 302
    again = client.post(url, data={"stars": "5", "comment": "عالی"})
    assert again.status_code == 400 and "قبلاً امتیاز داده‌اید" in again.get_data(as_text=True)
    page = client.get(f"/requests/{world['delivered']}").get_data(as_text=True)
    assert "به این درخواست قبلاً امتیاز داده‌اید" in page and 'name="stars"' not in page
    with app.app_context():
        assert _ratings() == 1


def test_rating_before_delivery_says_it_must_wait(app, client, world):
    sign_in_citizen(client, app, *world["citizen"])
    assert "پس از تحویل نتیجهٔ درخواست" in client.get(f"/requests/{world['open']}").get_data(as_text=True)
    response = client.post(f"/requests/{world['open']}/rate", data={"stars": "5"})
    assert response.status_code == 400 and "پس از تحویل نتیجهٔ درخواست" in response.get_data(as_text=True)
    with app.app_context():
        assert _ratings() == 0


def _track(client, world, code):
    national_code = world["citizen"][0]
    return client.post("/track", data={"code": code, "national_code": national_code})


def test_rating_and_complaining_from_track_with_its_proof(app, client, world):
    assert client.post("/track/rate", data={"stars": "5"}).status_code == 302  # no proof yet: back to /track
    tracked = _track(client, world, world["delivered"])
    assert tracked.status_code == 200 and "ثبت امتیاز" in tracked.get_data(as_text=True)
    bad = client.post("/track/rate", data={"stars": "", "comment": "نظر من"})
    assert bad.status_code == 400 and "نظر من" in bad.get_data(as_text=True)
    assert client.post("/track/rate", data={"stars": "3", "comment": "متوسط"}).status_code == 302
    assert client.post("/track/complaint", data={"body": "سند ناقص بود"}).status_code == 302
    with app.app_context():
        complaint = db.session.execute(select(Complaint)).scalar_one()
        assert complaint.request.tracking_code == world["delivered"] and complaint.body == "سند ناقص بود"
        reference = complaint.reference
        assert db.session.execute(select(Rating.stars)).scalar_one() == 3
    page = client.get("/track/result").get_data(as_text=True)
    persian = reference.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    assert persian in page and "سند ناقص بود" in page and "به این درخواست قبلاً امتیاز داده‌اید" in page
    with app.app_context():  # flagged as personal data: never shown on the public /track page again
        db.session.execute(db.update(Complaint).values(flag="personal"))
        db.session.commit()
    page = client.get("/track/result").get_data(as_text=True)
    assert "سند ناقص بود" not in page and "متن این شکایت نمایش داده نمی‌شود." in page


def test_closing_a_complaint_from_track_needs_the_proof_of_its_own_request(app, client, world):
    # A walk-in citizen without an account complains from /track, reads the answer there, and closes it there.
    _track(client, world, world["delivered"])
    filed = client.post("/track/complaint", data={"body": "سند ناقص بود"}, follow_redirects=True)
    with app.app_context():
        own = db.session.execute(select(Complaint)).scalar_one()
        persian = own.reference.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
        assert f"شمارهٔ پیگیری شکایت: {persian}" in filed.get_data(as_text=True)
        other_request = db.session.execute(select(Request).filter_by(tracking_code=world["open"])).scalar_one()
        other = complaints.file_complaint(other_request.applicant, "دربارهٔ درخواست دیگر", request=other_request)
        db.session.commit()
        own_ref, other_ref = own.reference, other.reference
    page = client.get("/track/result").get_data(as_text=True)
    assert f"/track/complaint/{own_ref}/close" in page and "بستن شکایت" in page
    # The proof is of the delivered request: the same citizen's complaint about another request is not reachable.
    assert client.post(f"/track/complaint/{other_ref}/close").status_code == 404
    closed = client.post(f"/track/complaint/{own_ref}/close")
    assert closed.status_code == 302 and closed.headers["Location"].endswith("/track/result#complaint")
    page = client.get("/track/result").get_data(as_text=True)
    assert "شکایت بسته شد." in page and "بسته شده" in page and f"/track/complaint/{own_ref}/close" not in page
    again = client.post(f"/track/complaint/{own_ref}/close", follow_redirects=True).get_data(as_text=True)
    assert "این شکایت قبلاً بسته شده است." in again
    with app.app_context():
        states = dict(db.session.execute(select(Complaint.reference, Complaint.state)).all())
        assert states == {own_ref: "closed", other_ref: "open"}
    # Without the proof (another browser), back to /track and nothing changes.
    with app.test_client() as stranger:
        assert stranger.post(f"/track/complaint/{other_ref}/close").headers["Location"].endswith("/track")


def test_a_complaint_about_a_service_from_the_account(app, client, world):
    sign_in_citizen(client, app, *world["citizen"])
    form = client.get("/account/complaints/new").get_data(as_text=True)
    assert world["delivered"] in form
    unknown = client.post("/account/complaints/new", data={"request": "", "service": "123", "body": "متن شکایت"})
    html = unknown.get_data(as_text=True)
    assert unknown.status_code == 400 and "خدمتی با این کد پیدا نشد" in html and "متن شکایت" in html
    response = client.post(
        "/account/complaints/new", data={"request": "", "service": world["service"], "body": "بی‌پاسخ ماند"}
    )
    assert response.status_code == 302
    with app.app_context():
        complaint = db.session.execute(select(Complaint)).scalar_one()
        assert complaint.request_id is None and complaint.service.code == world["service"]
        reference = complaint.reference.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"شمارهٔ پیگیری شکایت: {reference}" in page and "بی‌پاسخ ماند" in page  # Persian digits, as on receipts


def _complaint(app, world, body="سند ناقص بود", days_ago=0):
    with app.app_context():
        service = db.session.execute(select(Service).filter_by(code=world["service"])).scalar_one()
        citizen = db.session.execute(select(f.User).filter_by(national_code=world["citizen"][0])).scalar_one()
        complaint = complaints.file_complaint(citizen, body, service=service)
        complaint.created_at = utcnow() - timedelta(days=days_ago)
        db.session.commit()
        return complaint.reference


def test_the_agency_replies_and_the_citizen_reads_it(app, client, world):
    reference = _complaint(app, world)
    staff = app.test_client()
    sign_in_staff(staff, "officer-a")
    assert reference in staff.get("/desk/complaints").get_data(as_text=True)
    empty = staff.post(f"/desk/complaints/{reference}", data={"action": "reply", "reply": "  "})
    assert empty.status_code == 400 and "متن پاسخ را بنویسید." in empty.get_data(as_text=True)
    answered = staff.post(f"/desk/complaints/{reference}", data={"action": "reply", "reply": "پیگیری شد؛ پوزش."})
    assert answered.status_code == 302
    with app.app_context():
        assert db.session.execute(select(Complaint.state)).scalar_one() == "answered"
    sign_in_citizen(client, app, *world["citizen"])
    page = client.get(f"/account/complaints/{reference}").get_data(as_text=True)
    assert "پیگیری شد؛ پوزش." in page and "پاسخ داده شده" in page
    assert client.post(f"/account/complaints/{reference}/close").status_code == 302
    with app.app_context():
        assert db.session.execute(select(Complaint.state)).scalar_one() == "closed"


def test_another_agencys_officer_gets_404(app, world):
    reference = _complaint(app, world)
    other = app.test_client()
    sign_in_staff(other, "officer-b")
    assert other.get(f"/desk/complaints/{reference}").status_code == 404
    assert other.post(f"/desk/complaints/{reference}", data={"action": "close"}).status_code == 404
    assert reference not in other.get("/desk/complaints").get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(select(Complaint.state)).scalar_one() == "open"


def test_an_unanswered_complaint_is_escalated_to_its_provinces_admin_only(app, world):
    reference = _complaint(app, world, days_ago=8)
    with app.app_context():
        assert tasks.daily_complaint_escalation.call_local() is True
    tehran, tabriz = app.test_client(), app.test_client()
    sign_in_staff(tehran, "padm-tehran")
    sign_in_staff(tabriz, "padm-tabriz")
    assert reference in tehran.get("/admin/complaints").get_data(as_text=True)
    assert tehran.get(f"/admin/complaints/{reference}").status_code == 200
    assert reference not in tabriz.get("/admin/complaints").get_data(as_text=True)
    assert tabriz.get(f"/admin/complaints/{reference}").status_code == 404
    audit = tehran.get("/admin/audit").get_data(as_text=True)
    assert "ارجاع شکایت بی‌پاسخ به استان" in audit


def _rate_many(app, world, stars, comment="نظر خصوصی شهروند"):
    with app.app_context():
        service = db.session.execute(select(Service).filter_by(code=world["service"])).scalar_one()
        now = utcnow()
        made = []
        for value in stars:
            request = f.decided(service, f.citizen(), now - timedelta(days=3), now - timedelta(days=2), "delivered")
            made.append(ratings.rate(request, value, comment))
        db.session.commit()
        return [r.id for r in made]


def test_the_card_shows_the_average_only_from_the_minimum_sample(app, client, world):
    _rate_many(app, world, (5, 4, 4, 5))
    card = client.get(f"/services/{world['service']}").get_data(as_text=True)
    assert "رضایت شهروندان" not in card  # 4 ratings: below the minimum of 5


def test_the_card_and_agency_show_the_average_never_a_comment(app, client, world):
    ids = _rate_many(app, world, (5, 4, 4, 5, 3))
    with app.app_context():
        flagged = db.session.get(Rating, ids[0])
        flagged.flag, flagged.comment = "personal", "شمارهٔ همراه من ۰۹۱۲۱۱۱۲۲۳۳"
        db.session.commit()
    card = client.get(f"/services/{world['service']}").get_data(as_text=True)
    # (5 + 4 + 4 + 5 + 3) / 5 = 4.2: a personal-data flag hides the comment, not the stars.
    assert "میانگین ۴٫۲ از ۵ ستاره (۵ امتیاز)" in card
    assert "نظر خصوصی شهروند" not in card and "۰۹۱۲۱۱۱۲۲۳۳" not in card
    agency = client.get("/agencies/9401").get_data(as_text=True)
    assert "میانگین ۴٫۲ از ۵ ستاره (۵ امتیاز)" in agency and "نظر خصوصی شهروند" not in agency
    staff = app.test_client()
    sign_in_staff(staff, "officer-a")
    desk = staff.get("/desk/ratings").get_data(as_text=True)
    assert "نظر خصوصی شهروند" in desk  # the agency moderates what citizens wrote


def test_the_desks_complaints_page_by_page_keeping_the_state_filter(app, client, world):
    # 51 open complaints: the newest 50 on the first page, the oldest on the second, the filter kept between them.
    with app.app_context():
        service = db.session.execute(select(Service).filter_by(code=world["service"])).scalar_one()
        citizen = db.session.execute(select(Request).filter_by(tracking_code=world["open"])).scalar_one().applicant
        references = [complaints.file_complaint(citizen, f"شکایت {n}", service=service).reference for n in range(51)]
        db.session.commit()
    sign_in_staff(client, "officer-a")
    first = client.get("/desk/complaints?state=open").get_data(as_text=True)
    shown = [ref for ref in references if f"/desk/complaints/{ref}" in first]
    assert shown == references[1:]  # newest first, 50 of them
    assert 'href="/desk/complaints?page=2&amp;state=open"' in first and "صفحهٔ ۱ از ۲" in first
    second = client.get("/desk/complaints?page=2&state=open").get_data(as_text=True)
    assert f"/desk/complaints/{references[0]}" in second and f"/desk/complaints/{references[1]}" not in second
