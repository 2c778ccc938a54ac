"""Issue 12 items 1 and 2 through the test client: nothing typed is lost to a too-large upload, a stale CSRF token or
a session that ended mid-form, online and at the counter."""

import io
import re
from datetime import timedelta

import pytest

from app.extensions import db
from app.models import OtpChallenge, Request
from tests import factories as f
from tests.web.helpers import otp_from_sms, sign_in_citizen, sign_in_staff
from tests.web.test_counter import CITIZEN, state_of, world  # noqa: F401  (the counter's world fixture)

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
MB = 1024 * 1024
FORM = [
    {"name": "description", "type": "textarea", "label": "شرح درخواست", "required": True},
    {"name": "plate", "type": "text", "label": "شمارهٔ پلاک", "required": False},
    {"name": "document", "type": "file", "label": "مدارک", "required": False, "max_size_mb": 5},
    {"name": "photo", "type": "file", "label": "عکس", "required": False, "accept": ["jpeg"], "max_size_mb": 2},
]
TYPED = {"description": "گواهی برای ادارهٔ کار، با همهٔ جزئیات", "plate": "۱۲ب۳۴۵"}
SAME_SITE = {"Origin": "http://localhost"}


@pytest.fixture
def applying(app, client):
    """A citizen signed in, about to apply for a service with two file fields; returns the service code."""
    with app.app_context():
        service = f.service(form=FORM, title="صدور گواهی آزمایشی")
        person = f.citizen(8101, mobile="09120008101")
        db.session.commit()
        code, who = service.code, (person.national_code, person.mobile)
    sign_in_citizen(client, app, *who)
    return {"code": code, "national_code": who[0], "mobile": who[1]}


def _requests(app):
    with app.app_context():
        return db.session.execute(db.select(Request).where(Request.status != "draft")).scalars().all()


def _token(html):
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


# --- item 1: a too-large upload ------------------------------------------------------------------------------


def test_every_file_field_states_its_limit_and_kinds_beside_it(client, applying):
    html = client.get(f"/services/{applying['code']}/apply").get_data(as_text=True)
    assert "حداکثر ۵ مگابایت؛ PDF، JPEG یا PNG" in html
    assert "حداکثر ۲ مگابایت؛ JPEG" in html
    # The limit is the input's too, for the check before uploading, and the picker offers only those kinds.
    assert re.search(
        r'<input[^>]*data-max-bytes="2097152"[^>]*id="photo"|<input[^>]*id="photo"[^>]*data-max-bytes="2097152"', html
    )
    assert re.search(r'<input[^>]*accept="\.jpg,\.jpeg"', html)
    assert 'aria-describedby="document-limits"' in html


def test_a_30_mb_file_is_its_fields_error_and_everything_typed_stays(client, app, applying):
    big = (io.BytesIO(PDF + b"0" * (30 * MB)), "اسکن.pdf")
    response = client.post(
        f"/services/{applying['code']}/apply",
        data={**TYPED, "document": big, "action": "submit", "idempotency_key": "oversize-key-00000001"},
        content_type="multipart/form-data",
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert '<p class="error-message" id="document-error">حجم پرونده بیش از ۵ مگابایت است.</p>' in html
    assert "گواهی برای ادارهٔ کار، با همهٔ جزئیات</textarea>" in html
    assert 'value="۱۲ب۳۴۵"' in html
    # Only the field speaks: the refused file is not counted against the request's total either.
    assert "همهٔ پیوست‌ها با هم" not in html
    assert _requests(app) == []


def test_a_body_over_the_cap_gets_a_persian_413_page_with_the_limit_and_a_way_back(client, app, applying, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 2 * MB)
    response = client.post(
        f"/services/{applying['code']}/apply?draft=X1",
        data={**TYPED, "document": (io.BytesIO(PDF + b"0" * (3 * MB)), "big.pdf")},
        content_type="multipart/form-data",
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 413
    assert "Request Entity Too Large" not in html
    assert '<html lang="fa" dir="rtl"' in html and "<header" in html  # the site's layout, in Persian
    assert "پرونده بیش از حد بزرگ است" in html and "بیش از ۲ مگابایت بود" in html
    assert f'<a href="/services/{applying["code"]}/apply?draft=X1" class="button">بازگشت به فرم</a>' in html
    assert _requests(app) == []


def test_the_request_cap_sits_well_above_the_file_limits(app):
    assert app.config["MAX_CONTENT_LENGTH"] >= 3 * app.config["REQUEST_ATTACHMENTS_MAX_MB"] * MB
    assert app.config["REQUEST_ATTACHMENTS_MAX_MB"] > app.config["ATTACHMENT_MAX_MB"]


def _clerk_at_the_form_step(client, code):
    """A clerk has identified the citizen on a signed paper consent and stands at the counter's form step."""
    sign_in_staff(client, "clerk-a")
    page = client.get(f"/counter/file/{code}")
    return client.post(
        f"/counter/file/{code}/citizen",
        data={"state": state_of(page), **CITIZEN, "consent_method": "paper", "paper_number": "۱۴۰۵/۱۲۳"},
    )


def test_the_counter_form_step_states_the_limit_and_refuses_a_big_scan_next_to_it(client, world):  # noqa: F811
    code = world["service"]
    page = _clerk_at_the_form_step(client, code)
    assert "حداکثر ۱ مگابایت؛ PDF" in page.get_data(as_text=True)
    response = client.post(
        f"/counter/file/{code}/form",
        content_type="multipart/form-data",
        data={"state": state_of(page), "plate": "۹۹ج۱۱۱", "scan": (io.BytesIO(PDF + b"0" * (2 * MB)), "سند.pdf")},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert '<p class="error-message" id="scan-error">حجم پرونده بیش از ۱ مگابایت است.</p>' in html
    assert 'value="۹۹ج۱۱۱"' in html


# --- item 2: a stale token, an ended session -----------------------------------------------------------------


def test_a_stale_token_brings_the_form_back_with_the_answers_and_a_fresh_token(client, app, applying, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    path = f"/services/{applying['code']}/apply"
    form_page = client.get(path).get_data(as_text=True)
    stale = _token(form_page)[:-4] + "AAAA"
    response = client.post(
        path,
        data={**TYPED, "csrf_token": stale, "action": "submit", "document": (io.BytesIO(PDF), "سند.pdf")},
        content_type="multipart/form-data",
        headers=SAME_SITE,
    )
    assert response.status_code == 303 and response.headers["Location"] == path
    again = client.get(path)
    html = again.get_data(as_text=True)
    assert again.status_code == 200
    assert "مهلت این فرم تمام شده" not in html and "۴۰۰" not in html
    assert "آنچه نوشته بودید نگه داشته شد و اینجاست" in html
    assert "پرونده‌هایی را که انتخاب کرده بودید دوباره انتخاب کنید" in html  # files are not kept, and it says so
    assert "گواهی برای ادارهٔ کار، با همهٔ جزئیات</textarea>" in html and 'value="۱۲ب۳۴۵"' in html
    fresh = _token(html)
    assert fresh != stale
    # Shown once: the next visit is the empty form again.
    assert "گواهی برای ادارهٔ کار" not in client.get(path).get_data(as_text=True)
    # The fresh token works: the draft is saved.
    saved = client.post(path, data={**TYPED, "csrf_token": fresh, "action": "draft"}, headers=SAME_SITE)
    assert saved.status_code == 302
    assert _requests(app) == []


def test_signed_out_mid_form_signs_in_and_comes_back_to_the_filled_form(client, app, applying, monkeypatch):
    path = f"/services/{applying['code']}/apply"
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    token = _token(client.get(path).get_data(as_text=True))
    client.delete_cookie("session")  # 30 idle minutes later: the browser has dropped the session cookie
    response = client.post(path, data={**TYPED, "csrf_token": token, "action": "submit"}, headers=SAME_SITE)
    assert response.status_code == 303 and response.headers["Location"] == path
    to_sign_in = client.get(path)
    assert to_sign_in.status_code == 302 and "/account/sign-in" in to_sign_in.headers["Location"]
    sign_in_page = client.get(to_sign_in.headers["Location"]).get_data(as_text=True)
    assert "نشست شما به پایان رسیده بود" in sign_in_page and "نگه داشته شده" in sign_in_page
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)  # the sign-in pages' own tokens are not the point
    with app.app_context():  # the morning's sign-in code was sent long ago, not a minute before
        for challenge in db.session.execute(db.select(OtpChallenge)).scalars():
            challenge.sent_at -= timedelta(hours=1)
        db.session.commit()
    next_path = re.search(r'name="next" (?:type="hidden" )?value="([^"]*)"', sign_in_page)
    assert next_path and next_path.group(1) == path
    asked = client.post(
        "/account/sign-in",
        data={"national_code": applying["national_code"], "mobile": applying["mobile"], "next": path},
    )
    assert asked.status_code == 302, asked.get_data(as_text=True)
    back = client.post("/account/sign-in/code", data={"code": otp_from_sms(app, applying["mobile"])})
    assert back.status_code == 302 and back.headers["Location"] == path
    html = client.get(path).get_data(as_text=True)
    assert "گواهی برای ادارهٔ کار، با همهٔ جزئیات</textarea>" in html and 'value="۱۲ب۳۴۵"' in html
    assert "آنچه نوشته بودید نگه داشته شد" in html
    assert "پرونده‌هایی را که" not in html  # no file had been chosen
    assert _requests(app) == []


def _signs_in_again(client, app, applying, path):
    """Through the sign-in pages (their own tokens off), from the page the kept form sent the browser to."""
    with app.app_context():  # the first sign-in code was sent long ago, not a minute before
        for challenge in db.session.execute(db.select(OtpChallenge)).scalars():
            challenge.sent_at -= timedelta(hours=1)
        db.session.commit()
    asked = client.post(
        "/account/sign-in",
        data={"national_code": applying["national_code"], "mobile": applying["mobile"], "next": path},
    )
    assert asked.status_code == 302, asked.get_data(as_text=True)
    return client.post("/account/sign-in/code", data={"code": otp_from_sms(app, applying["mobile"])})


def test_signed_out_on_check_your_answers_signs_in_and_comes_back_to_it(client, app, applying, monkeypatch):
    form_path = f"/services/{applying['code']}/apply"
    to_check = client.post(form_path, data={**TYPED, "action": "continue", "idempotency_key": "check-key-0000000001"})
    assert to_check.status_code == 302 and "/apply/check?draft=" in to_check.headers["Location"]
    check_path = to_check.headers["Location"]
    draft = check_path.rsplit("=", 1)[1]
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    page = client.get(check_path).get_data(as_text=True)
    client.delete_cookie("session")
    sent = client.post(
        check_path.split("?")[0],
        data={"csrf_token": _token(page), "draft": draft, "idempotency_key": "check-key-0000000002"},
        headers=SAME_SITE,
    )
    # Back to the same check page (the draft named in its address), through sign-in: not a 400.
    assert sent.status_code == 303 and sent.headers["Location"] == check_path
    to_sign_in = client.get(check_path)
    assert to_sign_in.status_code == 302 and "/account/sign-in" in to_sign_in.headers["Location"]
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    back = _signs_in_again(client, app, applying, check_path)
    assert back.status_code == 302 and back.headers["Location"] == check_path
    html = client.get(check_path).get_data(as_text=True)
    assert "گواهی برای ادارهٔ کار، با همهٔ جزئیات" in html and "آنچه نوشته بودید نگه داشته شد" in html
    assert _requests(app) == []


def test_a_form_posted_from_another_site_is_not_kept(client, app, applying, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    path = f"/services/{applying['code']}/apply"
    response = client.post(path, data={**TYPED, "csrf_token": "x"}, headers={"Origin": "https://evil.example"})
    assert response.status_code == 400 and "مهلت این فرم تمام شده" in response.get_data(as_text=True)
    assert "گواهی برای ادارهٔ کار" not in client.get(path).get_data(as_text=True)


def test_a_form_kept_for_one_citizen_is_not_shown_to_another(client, app, applying, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    path = f"/services/{applying['code']}/apply"
    assert client.post(path, data={**TYPED, "csrf_token": "x"}, headers=SAME_SITE).status_code == 303
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    # Before the form is shown again, someone else signs in on the same browser.
    with app.app_context():
        other = f.citizen(8102, mobile="09120008102")
        db.session.commit()
        who = (other.national_code, other.mobile)
    with client.session_transaction() as session:
        kept = session["kept_form"]
    sign_in_citizen(client, app, *who)
    with client.session_transaction() as session:
        assert session["kept_form"] == kept  # carried through sign-in, but it is not theirs
    assert "گواهی برای ادارهٔ کار" not in client.get(path).get_data(as_text=True)


def test_a_kept_form_expires(client, app, applying, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    path = f"/services/{applying['code']}/apply"
    assert client.post(path, data={**TYPED, "csrf_token": "x"}, headers=SAME_SITE).status_code == 303
    monkeypatch.setitem(app.config, "KEPT_FORMS_MINUTES", 0)
    assert "گواهی برای ادارهٔ کار" not in client.get(path).get_data(as_text=True)


def test_clerk_signed_out_at_the_form_step_signs_in_and_gets_the_filled_form_back(client, app, world, monkeypatch):  # noqa: F811
    code = world["service"]
    page = _clerk_at_the_form_step(client, code)
    step = state_of(page)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    client.delete_cookie("session")
    path = f"/counter/file/{code}/form"
    response = client.post(path, data={"state": step, "plate": "۹۹ج۱۱۱", "csrf_token": "old"}, headers=SAME_SITE)
    assert response.status_code == 303 and response.headers["Location"] == path
    to_sign_in = client.get(path)
    assert to_sign_in.status_code == 302 and "/staff/sign-in" in to_sign_in.headers["Location"]
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    back = client.post("/staff/sign-in?next=" + path, data={"username": "clerk-a", "password": f.PASSWORD})
    assert back.status_code == 302 and back.headers["Location"] == path
    again = client.get(path)
    html = again.get_data(as_text=True)
    assert again.status_code == 200
    assert 'value="۹۹ج۱۱۱"' in html and "آنچه نوشته بودید نگه داشته شد" in html
    assert 'name="state"' in html and CITIZEN["full_name"] in html
    # The form goes on from here as if nothing had happened.
    done = client.post(
        path,
        content_type="multipart/form-data",
        data={"state": state_of(again), "plate": "۹۹ج۱۱۱", "scan": (io.BytesIO(PDF), "سند.pdf")},
    )
    assert done.status_code == 200 and 'name="fees_seen"' in done.get_data(as_text=True)


def test_the_counter_form_step_without_anything_kept_starts_the_filing_again(client, world):  # noqa: F811
    sign_in_staff(client, "clerk-a")
    response = client.get(f"/counter/file/{world['service']}/form")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/counter/file/{world['service']}")


def test_form_pages_carry_the_expiry_warning_for_a_signed_in_session_only(client, app, applying):
    html = client.get(f"/services/{applying['code']}/apply").get_data(as_text=True)
    assert 'id="session-warning"' in html and 'data-lifetime="1800"' in html and 'data-warn="300"' in html
    assert re.search(r'<script src="/static/js/session\.[0-9a-f]+\.js" defer>', html) or "js/session" in html
    renewed = client.get("/session/renew")
    assert renewed.get_json() == {"active": True} and renewed.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" in renewed.headers  # the idle session's cookie sent again, with a new expiry
    assert app.test_client().get("/session/renew").get_json() == {"active": False}
