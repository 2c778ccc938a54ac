"""Inquiries on the pages: the card says what need not be brought and who is asked, the form stops asking for it,
the desk shows each inquiry's state and answer for its own agency's requests only (retry, add), the citizen sees
whom was asked and how it stands but not the answer, and the answer is in the citizen's data-access log."""

from app.extensions import db
from app.models import DataAccess, Inquiry, Role
from tests import factories as f
from tests.unit.test_inquiries import FOUND_CITIZEN, inquiry_type, licence
from tests.web.helpers import shown_tracking_code, sign_in_citizen, sign_in_staff


def _licence_request(app):
    with app.app_context():
        service = licence()
        citizen = f.citizen(FOUND_CITIZEN)
        officer = f.staff(Role.AGENCY_OFFICER, username="officer", agency_id=service.agency_id)
        outsider = f.staff(Role.AGENCY_OFFICER, username="outsider", agency=f.agency(name="دستگاه دیگر"))
        inquiry_type("postal", agency=f.agency(name="شرکت ملی پست"), subject="postal_code", title="نشانی پستی")
        db.session.commit()
        request = f.filed(service, citizen)  # the worker answers both inquiries at commit (immediate mode)
        return service.code, request.tracking_code, citizen.national_code, citizen.mobile, officer.id, outsider.id


def test_the_card_says_what_need_not_be_brought_and_the_form_stops_asking(app, client):
    with app.app_context():
        service = licence()
        db.session.commit()
        code = service.code
    html = client.get(f"/services/{code}").get_data(as_text=True)
    assert "لازم نیست «کارت ملی» را بیاورید: از سازمان ثبت احوال کشور استعلام می‌شود." in html
    assert "لازم نیست «گواهی عدم سوءپیشینه» را بیاورید: از قوه قضاییه استعلام می‌شود." in html
    with app.app_context():
        citizen = f.citizen(FOUND_CITIZEN)
        db.session.commit()
        national_code, mobile = citizen.national_code, citizen.mobile
    sign_in_citizen(client, app, national_code, mobile)
    form = client.get(f"/services/{code}/apply").get_data(as_text=True)
    assert "عکس ۳×۴" in form
    assert "گواهی عدم سوءپیشینه" not in form and 'name="card_document_1"' not in form


def test_the_desk_shows_the_answers_and_an_outsider_sees_nothing(app, client):
    _code, tracking, *_rest = _licence_request(app)
    sign_in_staff(client, "officer")
    html = client.get(f"/desk/requests/{tracking}").get_data(as_text=True)
    assert "استعلام identity" in html and "استعلام criminal_record" in html
    assert html.count("پاسخ داده شد") == 2 and "شبیه‌ساز" in html
    assert "در قید حیات" in html and "بله" in html and "زمان پاسخ" in html
    client.post("/staff/sign-out")
    other = client.application.test_client()
    sign_in_staff(other, "outsider")
    assert other.get(f"/desk/requests/{tracking}").status_code == 404
    assert other.post(f"/desk/requests/{tracking}/inquiries", data={"inquiry_type": "postal"}).status_code == 404


def test_an_officer_retries_a_failed_inquiry_and_adds_one(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "INQUIRY_MAX_ATTEMPTS", 1)
    monkeypatch.setitem(app.config, "BUS_SIMULATOR_FAIL_DIGIT", "3")  # the citizen's code ends in 3: no answer
    _code, tracking, *_rest = _licence_request(app)
    sign_in_staff(client, "officer")
    html = client.get(f"/desk/requests/{tracking}").get_data(as_text=True)
    assert "ناموفق" in html and "استعلام دوباره" in html
    with app.app_context():
        failed = db.session.execute(db.select(Inquiry).filter_by(state="failed")).scalar_one()
        failed_id = failed.id
    monkeypatch.setitem(app.config, "BUS_SIMULATOR_FAIL_DIGIT", "")
    response = client.post(f"/desk/requests/{tracking}/inquiries/retry", data={"inquiry": str(failed_id)})
    assert response.status_code == 302
    html = client.get(f"/desk/requests/{tracking}").get_data(as_text=True)
    assert html.count("پاسخ داده شد") == 2
    # Adding: an unknown choice is the field's error; a listed one is asked (and fails: no postal code to ask by).
    refused = client.post(f"/desk/requests/{tracking}/inquiries", data={"inquiry_type": "nonsense"})
    assert refused.status_code == 400 and "استعلامی را از فهرست انتخاب کنید." in refused.get_data(as_text=True)
    assert client.post(f"/desk/requests/{tracking}/inquiries", data={"inquiry_type": "postal"}).status_code == 302
    with app.app_context():
        added = db.session.execute(db.select(Inquiry).filter_by(position=2)).scalar_one()
        assert added.state == "failed" and added.added_by.username == "officer"


def test_the_citizen_sees_whom_was_asked_but_not_the_answer(app, client):
    _code, tracking, national_code, mobile, *_ids = _licence_request(app)
    sign_in_citizen(client, app, national_code, mobile)
    html = client.get(f"/requests/{tracking}").get_data(as_text=True)
    assert "از سازمان ثبت احوال کشور در " in html and "استعلام شد: پاسخ داده شد" in html
    assert "از قوه قضاییه در " in html
    assert "در قید حیات" not in html  # the answer stays with the desk


def test_an_answer_is_in_the_citizens_data_access_log_in_words(app, client):
    _code, tracking, national_code, mobile, *_rest = _licence_request(app)
    with app.app_context():
        rows = db.session.execute(db.select(DataAccess).filter_by(national_code=national_code)).scalars().all()
        agencies = sorted(row.agency.name for row in rows if row.data_kind == "inquiry")
        assert agencies == ["سازمان ثبت احوال کشور", "قوه قضاییه"]
        assert all(row.tracking_code == tracking or row.request.tracking_code == tracking for row in rows)
    sign_in_citizen(client, app, national_code, mobile)
    html = client.get("/account/data-access").get_data(as_text=True)
    shown = shown_tracking_code(tracking)
    assert f"«قوه قضاییه» به استعلامی دربارهٔ شما برای درخواست با کد رهگیری {shown} پاسخ داد." in html


def test_the_demo_seeds_the_types_and_a_licence_with_two_ordered_inquiries(app, seeded, client):
    with app.app_context():
        from app import inquiries
        from app.models import InquiryType, Service

        assert len(db.session.execute(db.select(InquiryType)).scalars().all()) == 8
        weapon = db.session.execute(db.select(Service).filter_by(code="10090001")).scalar_one()
        first, second = inquiries.declared(weapon)
        assert (first.inquiry_type.agency.name, second.inquiry_type.agency.name) == (
            "سازمان ثبت احوال کشور",
            "قوه قضاییه",
        )
        assert second.after_id == first.id and second.on_not_found == "stop"
        demo_inquiries = db.session.execute(db.select(Inquiry)).scalars().all()
        assert demo_inquiries and {i.state for i in demo_inquiries} == {"answered"}  # the demo's filings, answered
    html = client.get("/services/10090001").get_data(as_text=True)
    assert "لازم نیست «گواهی عدم سوءپیشینه» را بیاورید: از قوه قضاییه استعلام می‌شود." in html


def test_the_inbox_filters_requests_waiting_for_an_inquiry(app, client, monkeypatch):
    _code, answered, *_rest = _licence_request(app)
    monkeypatch.setitem(app.config, "JOBS_IMMEDIATE", False)  # no worker: this one's inquiries stay queued
    with app.app_context():
        from app.models import Service

        service = db.session.execute(db.select(Service).filter_by(code=_code)).scalar_one()
        waiting = f.filed(service, f.citizen(900014)).tracking_code
    sign_in_staff(client, "officer")
    html = client.get("/desk/?tab=all&inquiry=1").get_data(as_text=True)
    assert "در انتظار استعلام" in html
    assert waiting in html and answered not in html
    everything = client.get("/desk/?tab=all").get_data(as_text=True)
    assert waiting in everything and answered in everything
    rows = {
        code: next(r for r in everything.split("<tr>") if f"/desk/requests/{code}" in r) for code in (waiting, answered)
    }
    assert "در انتظار استعلام" in rows[waiting] and "در انتظار استعلام" not in rows[answered]  # marked in the list
