"""Citizen sign-in as rule steps any channel calls: the registry confirms the (national code, mobile) pair, a
one-time code goes to the mobile (or the one sent moments ago stands), and the code proves the citizen, who is
found or created by national code."""

from app.adapters.ownership import confirm_owner
from app.extensions import db
from app.models import OtpChallenge, User
from app.people import citizens, otp
from app.people.auth import SignInError

PURPOSE = "sign_in"


def start_sign_in(national_code: str, mobile: str) -> tuple[OtpChallenge, bool]:
    """Send a sign-in code to the (canonical) mobile once the registry confirms the pair, committed. Returns the
    challenge and whether a code went out now: False when one went to this pair within the resend wait, which
    still stands (a double click, a second tab). Raises ownership.OwnershipRefused (400 or 503) with nothing
    sent, or SignInError next to the mobile when no code can be sent and none is pending."""
    confirm_owner(national_code, mobile)
    try:
        challenge = otp.send_code(national_code, mobile, purpose=PURPOSE)
        db.session.commit()
    except otp.OtpError as error:
        db.session.rollback()
        pending = recent_challenge(national_code, mobile)
        if pending is None:
            raise SignInError(error.message, "mobile") from None
        return pending, False
    return challenge, True


def recent_challenge(national_code: str, mobile: str) -> OtpChallenge | None:
    """The newest unused sign-in code sent to this pair, if any."""
    return db.session.execute(
        db.select(OtpChallenge)
        .filter_by(national_code=national_code, mobile=mobile, purpose=PURPOSE, consumed_at=None)
        .order_by(OtpChallenge.sent_at.desc())
        .limit(1)
    ).scalar_one_or_none()


def sign_in_challenge(public_id: str | None) -> OtpChallenge | None:
    """The sign-in challenge a channel carries by its public id (the pages keep it in the session)."""
    if not public_id:
        return None
    query = db.select(OtpChallenge).filter_by(public_id=public_id, purpose=PURPOSE)
    return db.session.execute(query).scalar_one_or_none()


def resend_sign_in_code(challenge: OtpChallenge) -> OtpChallenge:
    """A fresh code to the same pair, committed; otp.OtpError while the resend wait lasts (nothing written)."""
    try:
        fresh = otp.send_code(challenge.national_code, challenge.mobile, purpose=PURPOSE)
        db.session.commit()
    except otp.OtpError:
        db.session.rollback()
        raise
    return fresh


def verify_sign_in(challenge: OtpChallenge, code: str | None) -> User:
    """The citizen the code proves, found or created by national code (a stored mobile is never changed: a citizen
    signing in with another number of theirs keeps getting SMS at the stored one until they change it, see
    app/people/mobile.py). The code is used up in the caller's transaction; a wrong try stays counted. Raises
    otp.OtpError, or citizens.CitizenError (a staff member's national code) with nothing written."""
    otp.verify(challenge, code)
    try:
        return citizens.find_or_create(challenge.national_code, challenge.mobile)
    except citizens.CitizenError:
        db.session.rollback()
        raise
