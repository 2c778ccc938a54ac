"""Changing a citizen's mobile: the registry confirms the new number, a code goes to it, the old one is told, audited.

Sign-in never changes a stored mobile, because that is where status SMS go. A citizen who signs in with another
number that the registry confirms is theirs is signed in (they proved both the registry's pairing and that they
hold the phone), but their SMS keep going to the stored number until they change it here; the account pages
say so and link to this flow.
"""

from flask_babel import gettext as _

from app.adapters import ownership, sms
from app.administration import audit
from app.core.errors import RuleError
from app.core.identifiers import mask_digits
from app.extensions import db
from app.models import OtpChallenge, User
from app.people import otp

PURPOSE = "mobile_change"


class MobileChangeError(RuleError):
    """The new number is refused, or the code does not belong to this change."""


def masked(mobile: str | None) -> str:
    """The mobile as the pages show it: enough to recognise one's own number, too little to learn someone's."""
    return mask_digits(mobile, 2, 4) if mobile else ""


def start(user: User, new_mobile: str) -> OtpChallenge:
    """Check the (canonical) new number with the registry and send it a code, in the caller's transaction.
    Raises MobileChangeError, or ownership.OwnershipRefused when the registry denies the number (400) or cannot
    answer (503)."""
    if not user.national_code:  # only a citizen's account has one, and the registry pairs numbers with it
        raise MobileChangeError(_("این حساب کد ملی ندارد و شمارهٔ همراه آن از این راه تغییر نمی‌کند."), "mobile")
    if new_mobile == user.mobile:
        raise MobileChangeError(_("این همان شماره‌ای است که اکنون روی حساب شماست."), "mobile")
    ownership.confirm_owner(user.national_code, new_mobile)
    try:
        return otp.send_code(
            user.national_code,
            new_mobile,
            purpose=PURPOSE,
            text=_("کد تأیید شمارهٔ همراه تازهٔ شما در پنجره: %(code)s\nاین کد را به هیچ‌کس ندهید."),
        )
    except otp.OtpError as error:
        raise MobileChangeError(error.message, "mobile") from error


def confirm(user: User, challenge: OtpChallenge, code: str) -> str | None:
    """Accept the code sent to the new number, store that number, tell the old one and audit the change; returns
    the old number (None when the account had none). The caller commits. Raises MobileChangeError or otp.OtpError."""
    if challenge.purpose != PURPOSE or challenge.national_code != user.national_code:
        raise MobileChangeError(_("این کد برای تغییر شمارهٔ همراه این حساب نیست. دوباره شروع کنید."), "code")
    otp.verify(challenge, code)
    audit.lock()  # two changes confirmed at once are applied one after the other, each audited with its own "before"
    db.session.refresh(user)
    old, new = user.mobile, challenge.mobile
    user.mobile = new
    if old and old != new:
        sms.send(
            old,
            _(
                "شمارهٔ همراه حساب شما در پنجره به %(mobile)s تغییر کرد و پیامک‌ها از این پس به آن فرستاده می‌شود. "
                "اگر این کار شما نبوده است، به پشتیبانی پنجره خبر دهید.",
                mobile=masked(new),
            ),
            purpose="status",
        )
    audit.record(user, "user.mobile_change", "user", user.public_id, {"mobile": old}, {"mobile": new})
    return old
