"""Does this mobile number belong to this national code? The national mobile-ownership registry (شاهکار) decides.

MOBILE_OWNERSHIP_BACKEND=simulator (default): a labelled simulator that behaves like the registry. It knows the
pairs in the MobileOwnership table (seed-demo registers the demo citizens; `flask --app wsgi ownership register
CODE MOBILE` adds more) and refuses every other pair, so a national code with someone else's mobile opens nothing.

MOBILE_OWNERSHIP_BACKEND=http: a real registry (or an operator's gateway to it) reached by HTTP.
    POST MOBILE_OWNERSHIP_URL
    Authorization: Bearer MOBILE_OWNERSHIP_TOKEN
    Content-Type: application/json
    {"national_code": "0499370899", "mobile": "09121234567"}      (canonical: 10 and 11 Latin digits)
answered with a 2xx status and a JSON object whose "match" is a boolean:
    {"match": true}     the number is registered to this national code
    {"match": false}    it is not
The check fails closed: a timeout (MOBILE_OWNERSHIP_TIMEOUT seconds), a refused connection, a non-2xx status or
any other body raises RegistryUnavailable (logged), and sign-in is refused with "cannot be checked now".

confirm_owner() is the one ownership step every channel takes (online sign-in, a counter's identification, a
mobile change): a refusal is an OwnershipRefused next to the mobile, 400 for a denied pair, 503 for no answer.
"""

import json
import logging
import urllib.request
from http.client import HTTPMessage
from typing import IO

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from app.core.errors import RuleError
from app.core.identifiers import clean_mobile, clean_national_code, mask_digits
from app.extensions import db
from app.models import MobileOwnership

log = logging.getLogger("panjereh.ownership")


NOT_OWNER = _l("این شماره در سامانهٔ شاهکار به نام صاحب این کد ملی ثبت نشده است.")


class RegistryUnavailable(Exception):
    """The registry could not give an answer; the caller refuses rather than guesses."""

    message = _l("مالکیت شمارهٔ همراه اکنون قابل بررسی نیست. چند دقیقهٔ دیگر دوباره امتحان کنید.")


def is_simulator() -> bool:
    return current_app.config["MOBILE_OWNERSHIP_BACKEND"] == "simulator"


def mobile_belongs_to(national_code: str, mobile: str) -> bool:
    """True when the registry confirms the (canonical) pair, False when it denies it; RegistryUnavailable when
    it cannot say."""
    backend = current_app.config["MOBILE_OWNERSHIP_BACKEND"]
    if backend == "simulator":
        return _registered(national_code, mobile)
    if backend == "http":
        return _ask_registry(national_code, mobile)
    raise RuntimeError(f"unknown MOBILE_OWNERSHIP_BACKEND {backend!r}")


class OwnershipRefused(RuleError):
    """The registry did not confirm the pair; the message belongs next to the mobile. `status` is 400 when the
    registry denied the pair and 503 when it could not answer (the same request may simply be tried later)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message, "mobile")
        self.status = status


def confirm_owner(national_code: str, mobile: str) -> None:
    """The registry must confirm the (canonical) pair before a code goes to the number or an account uses it:
    OwnershipRefused otherwise. It fails closed: no answer is a refusal too."""
    try:
        owned = mobile_belongs_to(national_code, mobile)
    except RegistryUnavailable as error:
        raise OwnershipRefused(str(error.message), 503) from None
    if not owned:
        raise OwnershipRefused(str(NOT_OWNER), 400)


# --- the simulator's registry ----------------------------------------------------------------------------


def _registered(national_code: str, mobile: str) -> bool:
    query = db.select(MobileOwnership.id).filter_by(national_code=national_code, mobile=mobile).limit(1)
    return db.session.execute(query).first() is not None


def register(national_code: str, mobile: str) -> tuple[MobileOwnership, bool]:
    """Record that the mobile belongs to the national code (digits in any script; InvalidIdentifier when either
    is not valid); returns the row and whether it is new. Idempotent, in the caller's transaction."""
    national_code, mobile = clean_national_code(national_code), clean_mobile(mobile)
    query = db.select(MobileOwnership).filter_by(national_code=national_code, mobile=mobile)
    row = db.session.execute(query).scalar_one_or_none()
    if row is not None:
        return row, False
    row = MobileOwnership(national_code=national_code, mobile=mobile)
    try:
        with db.session.begin_nested():  # two registrations at once meet at the unique pair
            db.session.add(row)
    except IntegrityError:
        return db.session.execute(query).scalar_one(), False
    return row, True


def unregister(national_code: str, mobile: str) -> bool:
    """Forget the pair; False when it was not registered."""
    national_code, mobile = clean_national_code(national_code), clean_mobile(mobile)
    query = db.select(MobileOwnership).filter_by(national_code=national_code, mobile=mobile)
    row = db.session.execute(query).scalar_one_or_none()
    if row is None:
        return False
    db.session.delete(row)
    return True


def registered(national_code: str | None = None) -> list[MobileOwnership]:
    """The registered pairs (of one national code when given), in national-code order."""
    query = db.select(MobileOwnership).order_by(MobileOwnership.national_code, MobileOwnership.mobile)
    if national_code:
        query = query.filter_by(national_code=clean_national_code(national_code))
    return list(db.session.execute(query).scalars())


# --- the real registry over HTTP -------------------------------------------------------------------------


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect would carry the token elsewhere and turn the POST into a GET: it counts as no answer."""

    def redirect_request(
        self, req: urllib.request.Request, fp: IO[bytes], code: int, msg: str, headers: HTTPMessage, newurl: str
    ) -> urllib.request.Request | None:
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def _ask_registry(national_code: str, mobile: str) -> bool:
    config = current_app.config
    request = urllib.request.Request(
        config["MOBILE_OWNERSHIP_URL"],
        data=json.dumps({"national_code": national_code, "mobile": mobile}).encode(),
        method="POST",
        headers={
            "Content-Type": "application/json",
            "Accept": "application/json",
            "Authorization": f"Bearer {config['MOBILE_OWNERSHIP_TOKEN']}",
        },
    )
    try:
        # The opener raises HTTPError for every status outside 2xx, redirects included.
        with _opener.open(request, timeout=config["MOBILE_OWNERSHIP_TIMEOUT"]) as response:
            body = response.read(64 * 1024)
        answer = json.loads(body)
    except (OSError, ValueError) as error:  # URLError, HTTPError and timeouts are OSErrors; bad JSON a ValueError
        log.warning("mobile-ownership registry gave no answer for %s: %r", _masked(mobile), error)
        raise RegistryUnavailable() from error
    match = answer.get("match") if isinstance(answer, dict) else None
    if not isinstance(match, bool):
        log.warning("mobile-ownership registry answered without a boolean 'match' for %s", _masked(mobile))
        raise RegistryUnavailable()
    return match


def _masked(mobile: str) -> str:
    return mask_digits(mobile, 4, 4)
