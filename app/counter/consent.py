"""The citizen's consent to a counter filing: a code sent to their mobile and read out to the clerk, or the number
of a signed paper form. A code verified at the counter covers the same citizen's further filings in the same visit
(same clerk, same office, COUNTER_CONSENT_VISIT_MINUTES from the verification), so a walk-in with two errands is not
sent a second code. Consent SMS are limited per clerk and per office in the shared rate-limit storage, so a clerk's
session cannot send a flood of them to many numbers (across processes too)."""

import logging
import re
import time
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from limits import RateLimitItem, parse_many

from app.core.errors import RuleError
from app.core.persian import fold_digits, local_number
from app.extensions import db, limiter
from app.models import Office, OtpChallenge, Service, User, utcnow
from app.people import otp

log = logging.getLogger("panjereh")

PURPOSE = "counter_consent"
# A clerk serves a walk-in every few minutes; a few codes a minute cover re-sends and a busy queue.
DEFAULT_PER_CLERK = "5 per minute;40 per hour"
DEFAULT_PER_OFFICE = "20 per minute;200 per hour"
# A visit: the citizen at the desk for a few errands one after another, not the rest of the day.
DEFAULT_VISIT_MINUTES = 30


class ConsentError(RuleError):
    """Consent that cannot be given or recorded this way now."""


def by_paper(number: str | None) -> dict:
    """Consent on a signed paper form, recorded by the number printed on it."""
    return {"method": "paper", "reference": clean_paper_number(number), "at": utcnow().isoformat()}


def clean_paper_number(value: str | None) -> str:
    """The number printed on the signed form: letters, digits, / and -, in any digit script."""
    number = fold_digits(value or "").strip()
    if not number:
        raise ConsentError(_("شمارهٔ فرم رضایت امضاشده را وارد کنید."), "paper_number")
    if not re.fullmatch(r"[0-9A-Za-z/\-]{1,32}", number):
        raise ConsentError(_("شمارهٔ فرم فقط رقم، حرف لاتین، / و - دارد و حداکثر ۳۲ نویسه است."), "paper_number")
    return number


def _text(service: Service, office: Office) -> str:
    # otp.send_code() fills in %(code)s afterwards, so a literal % in a title must survive one more formatting.
    return _(
        "پنجره: کد رضایت برای ثبت درخواست «%(title)s» به نام شما در %(office)s: %%(code)s\n"
        "اگر خودتان در دفتر نیستید، این کد را به کسی ندهید.",
        title=service.title.replace("%", "%%"),
        office=office.name.replace("%", "%%"),
    )


def _limits(setting: str, default: str) -> list[RateLimitItem]:
    try:
        return parse_many(current_app.config.get(setting) or default)
    except ValueError:  # a typo in the setting must not stop the counters: the default holds, and the log says so
        log.warning("%s is not in rate-limit notation (like %r); using the default", setting, default)
        return parse_many(default)


def _count_sms(clerk: User, office: Office, field: str) -> None:
    """One consent SMS more for the clerk and for the office; refused once either is over its limit."""
    if not limiter.enabled:
        return
    strategy = limiter.limiter
    for who, setting, default in (
        (("clerk", clerk.public_id), "COUNTER_CONSENT_SMS_PER_CLERK", DEFAULT_PER_CLERK),
        (("office", office.code), "COUNTER_CONSENT_SMS_PER_OFFICE", DEFAULT_PER_OFFICE),
    ):
        for item in _limits(setting, default):
            identifiers = ("counter-consent-sms", *who)
            try:
                allowed = strategy.hit(item, *identifiers)
            except Exception as error:  # the shared store is down: like the decorated limits, do not fail the step
                log.warning("consent SMS limit not counted (%r); the rate-limit storage is unreachable", error)
                return
            if not allowed:
                wait = max(1, int(strategy.get_window_stats(item, *identifiers).reset_time - time.time() + 0.999))
                message = (
                    _(
                        "از این حساب در مدت کوتاهی پیامک رضایت زیادی فرستاده شده است. %(n)s ثانیهٔ دیگر دوباره "
                        "تلاش کنید یا رضایت کاغذی بگیرید.",
                        n=local_number(wait),
                    )
                    if who[0] == "clerk"
                    else _(
                        "از این دفتر در مدت کوتاهی پیامک رضایت زیادی فرستاده شده است. %(n)s ثانیهٔ دیگر دوباره "
                        "تلاش کنید یا رضایت کاغذی بگیرید.",
                        n=local_number(wait),
                    )
                )
                raise ConsentError(message, field)


def _recent(national_code: str, mobile: str) -> OtpChallenge | None:
    """The newest consent code to this person's mobile that can still be used."""
    return db.session.execute(
        db.select(OtpChallenge)
        .filter_by(national_code=national_code, mobile=mobile, purpose=PURPOSE, consumed_at=None)
        .where(OtpChallenge.expires_at > utcnow())
        .order_by(OtpChallenge.sent_at.desc())
        .limit(1)
    ).scalar_one_or_none()


def send(service: Service, office: Office, clerk: User, national_code: str, mobile: str) -> OtpChallenge:
    """A code by SMS to the citizen's mobile, committed. Within a minute of the last one that one is still valid
    and no second SMS goes out (nor counts against the limits). The caller has had the registry confirm the pair
    (flow.identify asks it through flow.check_ownership before any consent), so no code goes to a stranger."""
    recent = _recent(national_code, mobile)
    if recent is not None and otp.seconds_until_resend(recent):
        return recent
    _count_sms(clerk, office, "mobile")
    try:
        challenge = otp.send_code(national_code, mobile, purpose=PURPOSE, text=_text(service, office))
        db.session.commit()
    except otp.OtpError as error:
        db.session.rollback()
        recent = _recent(national_code, mobile)  # sent by another page a moment ago
        if recent is None:
            raise ConsentError(error.message, "mobile") from None
        return recent
    return challenge


def resend(challenge: OtpChallenge, service: Service, office: Office, clerk: User) -> OtpChallenge:
    """A fresh code to the same person, replacing the one sent before; committed."""
    _count_sms(clerk, office, "code")
    try:
        fresh = otp.send_code(challenge.national_code, challenge.mobile, purpose=PURPOSE, text=_text(service, office))
        db.session.commit()
    except otp.OtpError as error:
        db.session.rollback()
        raise ConsentError(error.message, "code") from None
    return fresh


def challenge_for(public_id: str | None, national_code: str, mobile: str) -> OtpChallenge | None:
    """The consent code sent for this filing, if it was sent to this very person."""
    if not public_id or not national_code:
        return None
    return db.session.execute(
        db.select(OtpChallenge).filter_by(
            public_id=public_id, purpose=PURPOSE, national_code=national_code, mobile=mobile
        )
    ).scalar_one_or_none()


def by_code(challenge: OtpChallenge, code: str | None, office: Office, clerk: User) -> dict:
    """Consent by the code the citizen read out; a wrong try counts (otp.verify keeps the count). The verification
    is recorded on the code with the office and clerk it was given to, for the rest of the visit."""
    try:
        otp.verify(challenge, fold_digits(code or "").strip())
    except otp.OtpError as error:
        raise ConsentError(error.message, "code") from None
    challenge.verified_at, challenge.office_id, challenge.clerk_id = challenge.consumed_at, office.id, clerk.id
    db.session.commit()
    return {"method": "otp", "reference": challenge.public_id, "at": _iso(challenge.verified_at)}


def _iso(moment: datetime | None) -> str:
    return moment.isoformat() if moment else ""


def visit_window() -> timedelta:
    """How long a verified consent covers the citizen's further filings with the same clerk."""
    minutes = current_app.config.get("COUNTER_CONSENT_VISIT_MINUTES", DEFAULT_VISIT_MINUTES)
    return timedelta(minutes=max(int(minutes), 0))


def visit_consent(office: Office, clerk: User, national_code: str, mobile: str) -> OtpChallenge | None:
    """The consent code this citizen (national code and the mobile it went to) read out to this clerk at this office
    within the visit window, newest first; None when another clerk, another office or an older one verified it."""
    window = visit_window()
    if not window:
        return None
    return db.session.execute(
        db.select(OtpChallenge)
        .filter_by(purpose=PURPOSE, national_code=national_code, mobile=mobile, office_id=office.id, clerk_id=clerk.id)
        .where(OtpChallenge.verified_at >= utcnow() - window)
        .order_by(OtpChallenge.verified_at.desc())
        .limit(1)
    ).scalar_one_or_none()


def by_visit(challenge: OtpChallenge) -> dict:
    """Consent by a code verified earlier in this visit: the request records that code and when it was verified."""
    return {"method": "otp", "reference": challenge.public_id, "at": _iso(challenge.verified_at), "visit": True}


def given_at(given: dict) -> datetime | None:
    """When a consent (as by_code, by_paper or by_visit returned it) was given; None for one recorded before."""
    try:
        return datetime.fromisoformat(given.get("at") or "")
    except ValueError:
        return None
