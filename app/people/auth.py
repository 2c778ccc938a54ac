"""Who is signed in and what they may open: role checks for views, staff passwords with throttled tries, and
sessions that end when the account changes or their absolute lifetime is up."""

import hashlib
import hmac
import ipaddress
import secrets
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, abort, current_app, flash, has_request_context, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import ColumnElement, case, delete, or_
from werkzeug.security import check_password_hash, generate_password_hash

from app.core import kept_forms
from app.core.db import upsert
from app.core.errors import RuleError
from app.core.fragments import is_htmx
from app.extensions import db, login_manager
from app.models import SignInThrottle, User, utcnow
from app.permissions import is_admin, is_agency_staff, is_citizen, is_counter_staff

View = TypeVar("View", bound=Callable[..., Any])


def role_required(*roles: str) -> Callable[[View], View]:
    """Signed in with one of these roles; anyone else gets 404 (the page does not exist for them)."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(404)
            return view(*args, **kwargs)

        return wrapped

    return decorator


class SignInError(RuleError):
    """A sign-in refused."""


# Checked instead of a real hash when the username is unknown, so that an unknown name costs the same scrypt time
# as a known one and the answer's timing does not tell which names exist. Computed once, at import.
_DUMMY_HASH = generate_password_hash(secrets.token_urlsafe(16))


def throttle_key(username: str, client_ip: str) -> str:
    """The SignInThrottle key of an (account name, client address) pair: keyed by the SECRET_KEY, so the table
    holds no list of names and addresses that could be read back."""
    message = f"{_normalise_username(username)}\x00{_address_bucket(client_ip)}".encode()
    return hmac.new(current_app.config["SECRET_KEY"].encode(), message, hashlib.sha256).hexdigest()


def _normalise_username(username: str | None) -> str:
    return (username or "").strip().lower()


def _address_bucket(client_ip: str) -> str:
    """The client address as the throttle counts it: an IPv6 client usually holds a whole /64, so its addresses
    count as one; an IPv4 address (or anything unparsable) as itself."""
    try:
        address = ipaddress.ip_address(client_ip)
    except ValueError:
        return client_ip
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def throttle_wait(failures: int, config: Mapping[str, Any] | None = None) -> timedelta:
    """How long the next try waits after `failures` wrong ones: nothing for the first few, then a first wait that
    doubles with each further failure, up to a ceiling."""
    config = config or current_app.config
    free = config["STAFF_THROTTLE_FREE_TRIES"]
    if failures < free:
        return timedelta(0)
    seconds = config["STAFF_THROTTLE_FIRST_WAIT_SECONDS"] * 2 ** min(failures - free, 32)
    return timedelta(seconds=min(seconds, config["STAFF_THROTTLE_MAX_WAIT_SECONDS"]))


def _claim_try(key: str, now: datetime) -> bool:
    """Count this try as a failure before the password is checked, in one statement, unless the key is waiting:
    True when the try may go ahead. Counting first means tries sent in parallel each take their own turn, so no
    more guesses get through than the waits allow; a right password then deletes the row. Committed at once, so
    parallel tries see it and no lock is held while the password is hashed."""
    config = current_app.config
    # The wait the new count earns, chosen in SQL from the stored count (SET reads the row as it was): one branch
    # per doubling, then the ceiling for every count beyond.
    ceiling = timedelta(seconds=config["STAFF_THROTTLE_MAX_WAIT_SECONDS"])
    steps: list[tuple[ColumnElement[bool], datetime]] = []
    count = max(config["STAFF_THROTTLE_FREE_TRIES"], 1)
    while (wait := throttle_wait(count, config)) < ceiling and len(steps) < 32:
        steps.append((SignInThrottle.failures + 1 == count, now + wait))
        count += 1
    steps.append((SignInThrottle.failures + 1 >= count, now + ceiling))
    blocked_until = case(*steps, else_=None)
    first_wait = throttle_wait(1, config)
    statement = upsert(
        SignInThrottle,
        ["key"],
        {"key": key, "failures": 1, "last_failed_at": now, "blocked_until": now + first_wait if first_wait else None},
        set_={"failures": SignInThrottle.failures + 1, "last_failed_at": now, "blocked_until": blocked_until},
        where=or_(SignInThrottle.blocked_until.is_(None), SignInThrottle.blocked_until <= now),
    ).returning(SignInThrottle.id)
    claimed = db.session.execute(statement).first() is not None
    db.session.commit()
    return claimed


def authenticate_staff(username: str | None, password: str | None, client_ip: str | None = None) -> User:
    """The staff user for these credentials. Wrong tries are throttled per (account name, client address) with
    growing waits, never per account, so nobody can lock an account for everybody else; an unknown name, a wrong
    password and a waiting key answer alike, so the answers do not tell which names exist."""
    if client_ip is None:
        client_ip = (request.remote_addr if has_request_context() else None) or ""
    name = _normalise_username(username)
    key = throttle_key(name, client_ip)
    if not _claim_try(key, utcnow()):
        raise SignInError(_("تلاش‌های نادرست پیاپی بود. چند دقیقه بعد دوباره تلاش کنید."))
    user = db.session.execute(db.select(User).filter_by(username=name)).scalar_one_or_none()
    stored = user.password_hash if user is not None and user.is_staff else None
    matches = check_password_hash(stored or _DUMMY_HASH, password or "")
    if user is None or not stored or not matches:
        raise SignInError(_("نام کاربری یا گذرواژه درست نیست."))
    db.session.execute(delete(SignInThrottle).where(SignInThrottle.key == key))
    db.session.commit()
    if not user.is_active:
        raise SignInError(_("این حساب غیرفعال است."))
    return user


SESSION_VERSION = "session_version"
SIGNED_IN_AT = "signed_in_at"
STAFF = "staff"


def sign_in(user: User) -> None:
    """A fresh session (no fixation) that carries the account's session version and when it was issued, and the
    one thing the signed-out session may hand on: the form kept when it ended (core.kept_forms)."""
    kept = session.get(kept_forms.SESSION_KEY)
    session.clear()
    if kept:
        session[kept_forms.SESSION_KEY] = kept
    session.permanent = True
    user.last_login_at = utcnow()
    db.session.commit()
    login_user(user)
    session[SESSION_VERSION] = user.session_version
    session[SIGNED_IN_AT] = int(time.time())
    session[STAFF] = user.is_staff  # where to send the person when the session ends


def end_all_sessions(user: User) -> None:
    """Every session of this account stops working at its next request (the caller commits): sign-out, signing
    out everywhere, a password change or reset, a role change, (de)activation."""
    user.session_version = (user.session_version or 0) + 1


def session_is_current(user: User | None) -> bool:
    """The signed-in session still stands: issued under the account's present version, within the absolute
    lifetime (the idle one is the cookie's own, PERMANENT_SESSION_LIFETIME)."""
    if user is None:
        return False
    issued = session.get(SIGNED_IN_AT)
    if session.get(SESSION_VERSION) != user.session_version or not isinstance(issued, int):
        return False
    return time.time() - issued < current_app.config["SESSION_ABSOLUTE_HOURS"] * 3600


def user_for_session(public_id: str) -> User | None:
    """The Flask-Login user loader: the active account whose session this is, while the session stands. A
    deactivated account's open sessions end at their next request, not when they expire."""
    user = db.session.execute(
        db.select(User).filter_by(public_id=public_id, is_active_account=True)
    ).scalar_one_or_none()
    return user if session_is_current(user) else None


def _end_stale_session():
    """A session whose account changed (or is gone) or that outlived its absolute lifetime ends here, with a word
    why, before any view runs."""
    if "_user_id" not in session or current_user.is_authenticated:
        return None
    staff_area = request.blueprint in login_manager.blueprint_login_views or session.get(STAFF)
    logout_user()
    session.clear()
    kept = kept_forms.keep_posted()  # a form sent as the session ended: back to it, filled, after signing in
    flash(_("نشست شما به پایان رسید. لطفاً دوباره وارد شوید."))
    endpoint = "account.staff_sign_in" if staff_area else "account.sign_in"
    target = url_for(endpoint, next=request.full_path.rstrip("?") if request.method == "GET" or kept else None)
    if is_htmx():  # a fragment request: have htmx load the sign-in page as a whole page
        response = current_app.make_response(("", 204))
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target)


def landing_endpoint(user: User) -> str:
    """Where each role starts after signing in, and where the header's account link leads."""
    if is_citizen(user):
        return "account.my_requests"
    if is_agency_staff(user):
        return "desk.inbox"
    if is_counter_staff(user):
        return "counter.home"
    if is_admin(user):
        return "admin.home"
    return "public.home"


def init_app(app: Flask) -> None:
    app.jinja_env.globals["home_endpoint"] = landing_endpoint
    login_manager.login_view = "account.sign_in"
    login_manager.login_message = None
    login_manager.blueprint_login_views = {
        "desk": "account.staff_sign_in",
        "counter": "account.staff_sign_in",
        "admin": "account.staff_sign_in",
    }
    app.before_request(_end_stale_session)
