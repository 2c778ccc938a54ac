"""Who is signed in and what they may open: role checks for views, staff passwords with lockout."""

import hashlib
import hmac
import secrets
import time
from datetime import datetime, timedelta
from functools import wraps

from flask import abort, current_app, flash, has_request_context, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import case, delete, or_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from werkzeug.security import check_password_hash, generate_password_hash

from app.core.errors import RuleError
from app.extensions import db, login_manager
from app.core.fragments import is_htmx
from app.models import SignInThrottle, User, utcnow


def role_required(*roles):
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
    message = f"{_normalise_username(username)}\x00{client_ip}".encode()
    return hmac.new(current_app.config["SECRET_KEY"].encode(), message, hashlib.sha256).hexdigest()


def _normalise_username(username: str | None) -> str:
    return (username or "").strip().lower()


def throttle_wait(failures: int, config=None) -> timedelta | None:
    """How long the next try waits after `failures` wrong ones: nothing for the first few, then a first wait that
    doubles with each further failure, up to a ceiling."""
    config = config or current_app.config
    free = config["STAFF_THROTTLE_FREE_TRIES"]
    if failures < free:
        return None
    seconds = config["STAFF_THROTTLE_FIRST_WAIT_SECONDS"] * 2 ** min(failures - free, 32)
    return timedelta(seconds=min(seconds, config["STAFF_THROTTLE_MAX_WAIT_SECONDS"]))


def _claim_try(key: str, now: datetime) -> bool:
    """Count this try as a failure before the password is checked, in one statement, unless the key is waiting:
    True when the try may go ahead. Counting first means tries sent in parallel each take their own turn, so no
    more guesses get through than the waits allow; a right password then deletes the row. Committed at once, so
    parallel tries see it and no lock is held while the password is hashed."""
    config = current_app.config
    # The wait that the new count earns, chosen in SQL from the stored count (SET reads the row before the update).
    ladder = []
    failures = config["STAFF_THROTTLE_FREE_TRIES"]
    while True:
        wait = throttle_wait(failures, config)
        ladder.append((failures, now + wait))
        if wait >= timedelta(seconds=config["STAFF_THROTTLE_MAX_WAIT_SECONDS"]) or len(ladder) > 32:
            break
        failures += 1
    top, top_until = ladder[-1]
    blocked_until = case(
        (SignInThrottle.failures + 1 >= top, top_until),
        *[(SignInThrottle.failures + 1 == count, until) for count, until in ladder[:-1]],
        else_=None,
    )
    first_wait = throttle_wait(1, config)
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(SignInThrottle)
        .values(key=key, failures=1, last_failed_at=now, blocked_until=now + first_wait if first_wait else None)
        .on_conflict_do_update(
            index_elements=["key"],
            set_={"failures": SignInThrottle.failures + 1, "last_failed_at": now, "blocked_until": blocked_until},
            where=or_(SignInThrottle.blocked_until.is_(None), SignInThrottle.blocked_until <= now),
        )
        .returning(SignInThrottle.id)
    )
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
    known = user is not None and user.is_staff and bool(user.password_hash)
    matches = check_password_hash(user.password_hash if known else _DUMMY_HASH, password or "")
    if not (known and matches):
        raise SignInError(_("نام کاربری یا گذرواژه درست نیست."))
    db.session.execute(delete(SignInThrottle).where(SignInThrottle.key == key))
    db.session.commit()
    if not user.is_active:
        raise SignInError(_("این حساب غیرفعال است."))
    return user


SESSION_VERSION = "session_version"
SIGNED_IN_AT = "signed_in_at"


def sign_in(user: User) -> None:
    """A fresh session (no fixation) that carries the account's session version and when it was issued."""
    session.clear()
    session.permanent = True
    user.last_login_at = utcnow()
    db.session.commit()
    login_user(user)
    session[SESSION_VERSION] = user.session_version
    session[SIGNED_IN_AT] = int(time.time())


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


def _end_stale_session():
    """A session whose account changed (or is gone) or that outlived its absolute lifetime ends here, with a word
    why, before any view runs."""
    if "_user_id" not in session or current_user.is_authenticated:
        return None
    staff_area = request.blueprint in login_manager.blueprint_login_views or session.get("staff")
    logout_user()
    session.clear()
    flash(_("نشست شما به پایان رسید. لطفاً دوباره وارد شوید."))
    endpoint = "account.staff_sign_in" if staff_area else "account.sign_in"
    target = url_for(endpoint, next=request.full_path.rstrip("?") if request.method == "GET" else None)
    if is_htmx():  # a fragment request: have htmx load the sign-in page as a whole page
        response = current_app.make_response(("", 204))
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target)


def landing_endpoint(user):
    """Where each role starts after signing in."""
    return {
        "citizen": "account.my_requests",
        "agency_officer": "desk.inbox",
        "agency_manager": "desk.inbox",
        "clerk": "counter.home",
        "office_manager": "counter.home",
        "provincial_admin": "admin.home",
        "national_admin": "admin.home",
    }.get(user.role, "public.home")


def init_app(app):
    app.jinja_env.globals["home_endpoint"] = landing_endpoint
    login_manager.login_view = "account.sign_in"
    login_manager.login_message = None
    login_manager.blueprint_login_views = {
        "desk": "account.staff_sign_in",
        "counter": "account.staff_sign_in",
        "admin": "account.staff_sign_in",
    }
    app.before_request(_end_stale_session)
