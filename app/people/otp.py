"""One-time codes sent by SMS: 6 digits, 2 minutes, single use, 5 wrong tries, re-sendable after 60 seconds."""

import hashlib
import hmac
import secrets
from datetime import timedelta
from typing import Any, cast

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import CursorResult, update

from app.adapters import sms
from app.core.errors import RuleError
from app.core.persian import fold_digits, local_number
from app.extensions import db
from app.models import OtpChallenge, new_public_id, utcnow

LIFETIME = timedelta(minutes=2)
RESEND_AFTER = timedelta(seconds=60)
MAX_WRONG_TRIES = 5


class OtpError(RuleError):
    """A code not sent or not accepted; `retry_in` says in how many seconds another may be asked for."""

    def __init__(self, message: str, retry_in: int | None = None) -> None:
        super().__init__(message)
        self.retry_in = retry_in


def _digest(challenge_id, code):
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"{challenge_id}:{code}".encode(), hashlib.sha256).hexdigest()


def seconds_until_resend(challenge: OtpChallenge) -> int:
    return max(0, int((challenge.sent_at + RESEND_AFTER - utcnow()).total_seconds() + 0.999))


def send_code(national_code: str, mobile: str, purpose: str = "sign_in", text: str | None = None) -> OtpChallenge:
    """Send a new code to mobile; refused within 60 seconds of the previous one for the same mobile."""
    latest = db.session.execute(
        db.select(OtpChallenge).filter_by(mobile=mobile, purpose=purpose).order_by(OtpChallenge.sent_at.desc()).limit(1)
    ).scalar_one_or_none()
    if latest is not None and seconds_until_resend(latest):
        wait = seconds_until_resend(latest)
        raise OtpError(
            _("کد قبلی همین الان فرستاده شد. %(n)s ثانیهٔ دیگر می‌توانید دوباره درخواست کنید.", n=local_number(wait)),
            retry_in=wait,
        )
    if latest is not None and latest.consumed_at is None:
        latest.consumed_at = utcnow()  # a new code replaces the old one
    code = f"{secrets.randbelow(10**6):06d}"
    now = utcnow()
    challenge = OtpChallenge(
        public_id=new_public_id(),
        purpose=purpose,
        national_code=national_code,
        mobile=mobile,
        code_hash="",
        sent_at=now,
        expires_at=now + LIFETIME,
    )
    challenge.code_hash = _digest(challenge.public_id, code)
    db.session.add(challenge)
    body = (text or _("کد ورود شما به پنجره: %(code)s\nاین کد را به هیچ‌کس ندهید.")) % {"code": code}
    sms.send(mobile, body, purpose="otp")
    return challenge


def verify(challenge: OtpChallenge, code: str | None) -> None:
    """Accept the code once. Every try is counted in the database before the code is compared, by one UPDATE that
    counts only while tries are left, so parallel guesses cannot pass the limit. Persian and Arabic-Indic digits
    (Persian phone keyboards type them) and spaces between digits are read as the code."""
    if challenge.consumed_at is not None:
        raise OtpError(_("این کد قبلاً استفاده شده است. کد تازه بگیرید."))
    if utcnow() > challenge.expires_at:
        raise OtpError(_("مهلت این کد تمام شده است. کد تازه بگیرید."))
    # An UPDATE answers with a CursorResult (its row count); Session.execute is typed for any statement.
    counted = cast(
        CursorResult[Any],
        db.session.execute(
            update(OtpChallenge)
            .where(
                OtpChallenge.id == challenge.id,
                OtpChallenge.attempts < MAX_WRONG_TRIES,
                OtpChallenge.consumed_at.is_(None),
            )
            .values(attempts=OtpChallenge.attempts + 1)
        ),
    )
    db.session.commit()  # the try stays counted whatever the caller does next (a refusal rolls its work back)
    db.session.refresh(challenge)
    if counted.rowcount != 1:
        if challenge.consumed_at is not None:
            raise OtpError(_("این کد قبلاً استفاده شده است. کد تازه بگیرید."))
        raise OtpError(_("تعداد تلاش‌های نادرست از حد گذشت. کد تازه بگیرید."))
    typed = "".join(fold_digits(code or "").split())
    if hmac.compare_digest(challenge.code_hash, _digest(challenge.public_id, typed)):
        used = cast(
            CursorResult[Any],
            db.session.execute(
                update(OtpChallenge)
                .where(OtpChallenge.id == challenge.id, OtpChallenge.consumed_at.is_(None))
                .values(consumed_at=utcnow())
            ),
        )
        if used.rowcount == 1:
            db.session.refresh(challenge)
            return
        raise OtpError(_("این کد قبلاً استفاده شده است. کد تازه بگیرید."))
    left = MAX_WRONG_TRIES - challenge.attempts
    if left <= 0:
        raise OtpError(_("تعداد تلاش‌های نادرست از حد گذشت. کد تازه بگیرید."))
    raise OtpError(_("کد درست نیست. %(n)s بار دیگر می‌توانید امتحان کنید.", n=local_number(left)))
