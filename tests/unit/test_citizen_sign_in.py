"""Citizen sign-in as rules: the one ownership step, a code sent once per resend wait, the code proving the
citizen (found or created, stored mobile kept)."""

import re

import pytest

from app.adapters import ownership
from app.extensions import db
from app.models import OtpChallenge, Role, SmsMessage, User
from app.people import citizens, otp
from app.people.auth import SignInError
from app.people.sign_in import resend_sign_in_code, sign_in_challenge, start_sign_in, verify_sign_in
from tests import factories as f

MOBILE = "09121110001"


@pytest.fixture
def person(ctx):
    code = f.national_code(41001)
    ownership.register(code, MOBILE)
    db.session.commit()
    return code


def _texts(mobile=MOBILE):
    return [m.body for m in db.session.execute(db.select(SmsMessage).filter_by(mobile=mobile)).scalars()]


def _code_sent(mobile=MOBILE):
    return re.search(r"\d{6}", _texts(mobile)[-1]).group(0)


def test_confirm_owner_accepts_a_registered_pair_and_refuses_any_other_with_400(person):
    ownership.confirm_owner(person, MOBILE)
    with pytest.raises(ownership.OwnershipRefused) as refused:
        ownership.confirm_owner(person, "09121110002")
    assert (refused.value.status, refused.value.field) == (400, "mobile")
    assert "شاهکار" in refused.value.message


def test_confirm_owner_refuses_with_503_when_the_registry_cannot_answer(person, app, monkeypatch):
    monkeypatch.setitem(app.config, "MOBILE_OWNERSHIP_BACKEND", "http")
    monkeypatch.setitem(app.config, "MOBILE_OWNERSHIP_URL", "http://127.0.0.1:9/nothing-listens-here")
    with pytest.raises(ownership.OwnershipRefused) as refused:
        ownership.confirm_owner(person, MOBILE)
    assert (refused.value.status, refused.value.field) == (503, "mobile")
    assert "اکنون قابل بررسی نیست" in refused.value.message


def test_a_pair_the_registry_denies_gets_no_code(person):
    with pytest.raises(ownership.OwnershipRefused) as refused:
        start_sign_in(f.national_code(41002), MOBILE)
    assert refused.value.status == 400
    assert db.session.query(OtpChallenge).count() == 0 and _texts() == []


def test_a_confirmed_pair_gets_one_code_and_a_second_start_keeps_it(person):
    first, sent = start_sign_in(person, MOBILE)
    assert sent is True and (first.national_code, first.mobile, first.purpose) == (person, MOBILE, "sign_in")
    again, sent_again = start_sign_in(person, MOBILE)  # a double click: the code just sent still stands
    assert sent_again is False and again.id == first.id
    assert len(_texts()) == 1 and re.search(r"\d{6}", _texts()[0])


def test_no_code_while_another_persons_code_to_the_same_mobile_waits_is_refused_next_to_the_mobile(person):
    other = f.national_code(41003)
    ownership.register(other, MOBILE)  # a shared family phone
    db.session.commit()
    start_sign_in(person, MOBILE)
    with pytest.raises(SignInError) as refused:
        start_sign_in(other, MOBILE)
    assert refused.value.field == "mobile" and "ثانیهٔ دیگر" in refused.value.message
    assert db.session.query(OtpChallenge).filter_by(national_code=other).count() == 0


def test_a_resend_within_the_wait_is_refused_and_the_first_code_stands(person):
    challenge, _sent = start_sign_in(person, MOBILE)
    with pytest.raises(otp.OtpError):
        resend_sign_in_code(challenge)
    assert db.session.query(OtpChallenge).count() == 1 and challenge.consumed_at is None


def test_the_code_creates_the_citizen_with_the_mobile_it_went_to(person):
    challenge, _sent = start_sign_in(person, MOBILE)
    user = verify_sign_in(challenge, _code_sent())
    db.session.commit()
    assert (user.role, user.national_code, user.mobile) == (Role.CITIZEN, person, MOBILE)
    assert challenge.consumed_at is not None


def test_signing_in_with_another_number_keeps_the_stored_mobile(person):
    stored = f.citizen(41001, mobile="09121110009")
    db.session.commit()
    challenge, _sent = start_sign_in(person, MOBILE)
    user = verify_sign_in(challenge, _code_sent())
    assert user.id == stored.id and user.mobile == "09121110009"


def test_a_wrong_code_is_refused_and_counted(person):
    challenge, _sent = start_sign_in(person, MOBILE)
    wrong = "000000" if _code_sent() != "000000" else "111111"
    with pytest.raises(otp.OtpError) as refused:
        verify_sign_in(challenge, wrong)
    assert "۴ بار دیگر" in refused.value.message
    db.session.rollback()
    assert db.session.get(OtpChallenge, challenge.id).attempts == 1
    assert db.session.query(User).filter_by(national_code=person).count() == 0


def test_a_staff_members_national_code_signs_in_as_nobody(person):
    f.staff(Role.AGENCY_OFFICER, national_code=person)
    db.session.commit()
    challenge, _sent = start_sign_in(person, MOBILE)
    with pytest.raises(citizens.CitizenError):
        verify_sign_in(challenge, _code_sent())
    assert db.session.query(User).filter_by(role=Role.CITIZEN).count() == 0


def test_the_carried_challenge_is_a_sign_in_one(person):
    challenge, _sent = start_sign_in(person, MOBILE)
    other = otp.send_code(person, "09121110003", purpose="mobile_change")
    db.session.commit()
    assert sign_in_challenge(challenge.public_id) == challenge
    assert sign_in_challenge(other.public_id) is None
    assert sign_in_challenge("") is None and sign_in_challenge(None) is None
