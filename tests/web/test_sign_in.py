"""Citizen sign-in by SMS code and staff sign-in by password: the rules a person runs into."""

from datetime import timedelta

import pytest

from app.extensions import db
from app.models import OtpChallenge, Role
from app.people import staff
from app.people.auth import SignInError, authenticate_staff
from tests import factories as f
from tests.web.helpers import otp_from_sms, register_mobile, sign_in_citizen, sign_in_staff

NATIONAL_CODE, MOBILE = f.national_code(123456789), "09121112233"


@pytest.fixture(autouse=True)
def registered(app):
    """The registry knows this module's person and their mobile; other pairs are refused."""
    register_mobile(app, NATIONAL_CODE, MOBILE)


def _ask(client, mobile=MOBILE, national_code=NATIONAL_CODE):
    return client.post("/account/sign-in", data={"national_code": national_code, "mobile": mobile})


def _age_challenge(app, seconds):
    with app.app_context():
        challenge = db.session.execute(db.select(OtpChallenge).order_by(OtpChallenge.id.desc())).scalars().first()
        challenge.sent_at -= timedelta(seconds=seconds)
        challenge.expires_at -= timedelta(seconds=seconds)
        db.session.commit()


def test_citizen_signs_in_with_the_code_from_the_sms(client, app):
    sign_in_citizen(client, app, NATIONAL_CODE, "۰۹۱۲ ۱۱۱ ۲۲۳۳")  # any digit script, any spacing
    page = client.get("/account/requests")
    assert page.status_code == 200 and "درخواست‌های من" in page.get_data(as_text=True)


def test_bad_national_code_is_explained_next_to_the_field_and_kept(client):
    response = _ask(client, national_code="1234567890")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "کد ملی معتبر نیست" in html and 'value="1234567890"' in html


def test_code_is_single_use(client, app):
    _ask(client)
    code = otp_from_sms(app, MOBILE)
    assert client.post("/account/sign-in/code", data={"code": code}).status_code == 302
    client.post("/account/sign-out")
    other = app.test_client()
    with other.session_transaction() as session, app.app_context():
        session["otp"] = db.session.execute(db.select(OtpChallenge)).scalars().first().public_id
    response = other.post("/account/sign-in/code", data={"code": code})
    assert response.status_code == 400 and "قبلاً استفاده شده" in response.get_data(as_text=True)


def test_code_expires_after_two_minutes(client, app):
    _ask(client)
    code = otp_from_sms(app, MOBILE)
    _age_challenge(app, 121)
    response = client.post("/account/sign-in/code", data={"code": code})
    assert response.status_code == 400 and "مهلت این کد تمام شده" in response.get_data(as_text=True)


def test_five_wrong_tries_lock_the_code_even_for_the_right_one(client, app):
    _ask(client)
    code = otp_from_sms(app, MOBILE)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        assert client.post("/account/sign-in/code", data={"code": wrong}).status_code == 400
    response = client.post("/account/sign-in/code", data={"code": code})
    assert response.status_code == 400 and "از حد گذشت" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(db.select(OtpChallenge)).scalars().first().attempts == 5


def test_resend_only_after_sixty_seconds_and_the_old_code_dies(client, app):
    _ask(client)
    old = otp_from_sms(app, MOBILE)
    client.post("/account/sign-in/resend")
    assert otp_from_sms(app, MOBILE) == old  # refused: too early
    _age_challenge(app, 61)
    client.post("/account/sign-in/resend")
    new = otp_from_sms(app, MOBILE)
    with app.app_context():
        assert db.session.query(OtpChallenge).count() == 2
    if new != old:
        assert client.post("/account/sign-in/code", data={"code": old}).status_code == 400
    assert client.post("/account/sign-in/code", data={"code": new}).status_code == 302


def test_sign_in_is_rate_limited_per_mobile(client, app):
    statuses = []
    for _ in range(7):
        statuses.append(_ask(client).status_code)
        _age_challenge(app, 61)
    assert statuses[:5] == [302] * 5 and statuses[-1] == 429


def test_sms_simulator_page_exists_only_with_the_local_backend(client, app, monkeypatch):
    _ask(client)
    outbox = client.get("/_dev/sms").get_data(as_text=True)
    assert "۰۹۱۲۱۱۱۲۲۳۳" in outbox and otp_from_sms(app, MOBILE) in outbox
    assert "شبیه‌ساز پیامک" in client.get("/account/sign-in/code").get_data(as_text=True)
    monkeypatch.setitem(app.config, "SMS_BACKEND", "http")
    assert client.get("/_dev/sms").status_code == 404
    assert "شبیه‌ساز پیامک" not in client.get("/account/sign-in/code").get_data(as_text=True)


def test_sign_out_ends_the_session(client, app):
    sign_in_citizen(client, app, NATIONAL_CODE, MOBILE)
    client.post("/account/sign-out")
    assert client.get("/account/requests").status_code == 302


def test_staff_passwords_set_by_the_app_are_stored_as_scrypt_hashes(ctx):
    # Through the app's own code: the factories store a cheap test hash, which would prove nothing here.
    admin = f.staff(Role.NATIONAL_ADMIN)
    user, password = staff.create_account(admin, "new-clerk", "کارمند تازه", Role.CLERK, office=f.office())
    db.session.commit()
    assert user.password_hash.startswith("scrypt:") and password not in user.password_hash
    assert authenticate_staff("new-clerk", password) == user

    new = staff.reset_password(admin, user)
    db.session.commit()
    assert user.password_hash.startswith("scrypt:") and new not in user.password_hash
    assert authenticate_staff("new-clerk", new) == user
    with pytest.raises(SignInError):
        authenticate_staff("new-clerk", password)  # the old password stops working


def test_officer_lands_on_the_desk(client, app):
    with app.app_context():
        f.staff(Role.AGENCY_OFFICER, username="officer2", agency=f.agency())
        db.session.commit()
    assert sign_in_staff(client, "officer2").headers["Location"] == "/desk/"
