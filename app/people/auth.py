"""Who is signed in and what they may open: role checks for views, staff passwords with lockout."""

from datetime import timedelta
from functools import wraps

from flask import abort, current_app
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user
from werkzeug.security import check_password_hash

from app.extensions import db, login_manager
from app.models import User, utcnow


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


class SignInError(Exception):
    def __init__(self, message):
        super().__init__(message)
        self.message = message


def authenticate_staff(username, password):
    """The staff user for these credentials; repeated failures lock the account for a while."""
    user = db.session.execute(db.select(User).filter_by(username=(username or "").strip().lower())).scalar_one_or_none()
    generic = _("نام کاربری یا گذرواژه درست نیست.")
    if user is None or not user.is_staff or not user.password_hash:
        raise SignInError(generic)
    now = utcnow()
    if user.locked_until and user.locked_until > now:
        raise SignInError(_("این حساب به دلیل تلاش‌های نادرست پیاپی موقتاً قفل است. کمی بعد دوباره تلاش کنید."))
    if not check_password_hash(user.password_hash, password or ""):
        user.failed_logins += 1
        if user.failed_logins >= current_app.config["STAFF_LOCKOUT_ATTEMPTS"]:
            user.locked_until = now + timedelta(minutes=current_app.config["STAFF_LOCKOUT_MINUTES"])
            user.failed_logins = 0
        db.session.commit()
        raise SignInError(generic)
    if not user.is_active:
        raise SignInError(_("این حساب غیرفعال است."))
    user.failed_logins = 0
    user.locked_until = None
    return user


def sign_in(user):
    from flask import session

    session.clear()  # a fresh session at every sign-in (no fixation)
    session.permanent = True
    user.last_login_at = utcnow()
    db.session.commit()
    login_user(user)


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
