"""Staff accounts and their roles: who administrators may create, re-role, deactivate and reset.

Each role acts within one scope (models.Role.SCOPE): an office for clerks and office managers, an agency for
officers and agency managers, a province for provincial administrators. A provincial administrator manages
only counter and agency staff within their province; administrators' accounts are the national
administrator's. Every change is audited with before/after (never a password or its hash).
"""

import secrets
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, or_, select
from sqlalchemy.orm import joinedload
from werkzeug.security import generate_password_hash

from app.administration import audit
from app.core.errors import RuleError
from app.extensions import db
from app.models import Agency, Office, Province, Role, User, new_public_id
from app.people.auth import end_all_sessions
from app.permissions import is_admin, is_national_admin, is_provincial_admin, staff_visible_to

ROLE_LABELS = {
    Role.CLERK: _l("متصدی پیشخوان"),
    Role.OFFICE_MANAGER: _l("مدیر دفتر پیشخوان"),
    Role.AGENCY_OFFICER: _l("کارشناس دستگاه"),
    Role.AGENCY_MANAGER: _l("مدیر دستگاه"),
    Role.PROVINCIAL_ADMIN: _l("مدیر استانی سامانه"),
    Role.NATIONAL_ADMIN: _l("مدیر ملی سامانه"),
}
PROVINCIAL_ROLES = (Role.CLERK, Role.OFFICE_MANAGER, Role.AGENCY_OFFICER, Role.AGENCY_MANAGER)
# No 0/O, 1/l/I: a reset password is read out or copied by hand.
_PASSWORD_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"


class StaffError(RuleError):
    """A staff account change the rules do not allow."""


def assignable_roles(admin: User | None) -> tuple[str, ...]:
    if is_national_admin(admin):
        return Role.STAFF
    if is_provincial_admin(admin):
        return PROVINCIAL_ROLES
    return ()


def listing(admin: User | None, role: str | None = None, query_text: str = "") -> Select:
    """The staff accounts the administrator manages (permissions.staff_visible_to), filtered."""
    query = staff_visible_to(admin).options(joinedload(User.office), joinedload(User.agency), joinedload(User.province))
    if role:
        query = query.where(User.role == role)
    if query_text:
        like = f"%{query_text}%"
        query = query.where(or_(User.username.ilike(like), User.full_name.ilike(like)))
    return query.order_by(User.username)


def snapshot(user: User) -> dict[str, Any]:
    return {
        "username": user.username,
        "full_name": user.full_name,
        "role": user.role,
        "office": user.office.code if user.office else None,
        "agency": user.agency.code if user.agency else None,
        "province": user.province.code if user.province else None,
        "active": user.is_active_account,
    }


def new_password() -> str:
    return "-".join("".join(secrets.choice(_PASSWORD_ALPHABET) for _i in range(4)) for _j in range(3))


def _check_admin(admin, user=None):
    if not is_admin(admin):
        raise StaffError(_("فقط مدیران سامانه حساب‌های کارمندان را مدیریت می‌کنند."))
    if user is not None and user.id == admin.id:
        raise StaffError(_("نقش، وضعیت یا گذرواژهٔ حساب خودتان را از اینجا نمی‌توانید تغییر دهید."))
    if user is not None and db.session.execute(staff_visible_to(admin).where(User.id == user.id)).first() is None:
        raise StaffError(_("این حساب در حوزهٔ مدیریت شما نیست."))


def _scope(admin, role, office, agency, province):
    """(office, agency, province) for the role: exactly the one its scope needs, within the admin's reach."""
    if role not in assignable_roles(admin):
        raise StaffError(_("شما نمی‌توانید این نقش را بدهید."), "role")
    column = Role.SCOPE[role]
    mine = admin.province_id if is_provincial_admin(admin) else None
    if column == "office_id":
        if office is None:
            raise StaffError(_("برای این نقش، دفتر پیشخوان را انتخاب کنید."), "office")
        if mine is not None and office.province_id != mine:
            raise StaffError(_("این دفتر در استان شما نیست."), "office")
        return office, None, None
    if column == "agency_id":
        if agency is None:
            raise StaffError(_("برای این نقش، دستگاه را انتخاب کنید."), "agency")
        if mine is not None and agency.province_id != mine:
            raise StaffError(_("این دستگاه از دستگاه‌های استان شما نیست."), "agency")
        return None, agency, None
    if column == "province_id":
        if province is None:
            raise StaffError(_("برای این نقش، استان را انتخاب کنید."), "province")
        return None, None, province
    return None, None, None


def create_account(
    admin: User,
    username: str | None,
    full_name: str | None,
    role: str,
    office: Office | None = None,
    agency: Agency | None = None,
    province: Province | None = None,
) -> tuple[User, str]:
    """A new staff account with a generated password, returned once so it can be handed over."""
    _check_admin(admin)
    audit.lock()
    username = (username or "").strip().lower()
    office, agency, province = _scope(admin, role, office, agency, province)
    if db.session.execute(select(User.id).where(User.username == username)).first():
        raise StaffError(_("این نام کاربری از قبل گرفته شده است."), "username")
    password = new_password()
    user = User(
        public_id=new_public_id(),
        username=username,
        full_name=(full_name or "").strip(),
        role=role,
        office=office,
        agency=agency,
        province=province,
        password_hash=generate_password_hash(password),
    )
    db.session.add(user)
    db.session.flush()
    audit.record(admin, "user.create", "user", username, {}, snapshot(user))
    return user, password


def change_role(
    admin: User,
    user: User,
    role: str,
    office: Office | None = None,
    agency: Agency | None = None,
    province: Province | None = None,
) -> User:
    _check_admin(admin, user)
    audit.lock()
    db.session.refresh(user)
    office, agency, province = _scope(admin, role, office, agency, province)
    before = snapshot(user)
    user.role, user.office, user.agency, user.province = role, office, agency, province
    after = snapshot(user)
    if after == before:
        raise StaffError(_("نقش و حوزه همان است که بود."), "role")
    end_all_sessions(user)  # a session must not keep acting under the old role or scope
    audit.record(admin, "user.role_change", "user", user.username, before, after)
    return user


def set_active(admin: User, user: User, active: bool) -> User:
    """A deactivated account cannot sign in, and its open sessions stop working at their next request."""
    _check_admin(admin, user)
    audit.lock()
    db.session.refresh(user)
    if user.is_active_account == active:
        raise StaffError(_("حساب همین حالا در این وضعیت است."))
    before = snapshot(user)
    user.is_active_account = active
    end_all_sessions(user)
    audit.record(admin, "user.activate" if active else "user.deactivate", "user", user.username, before, snapshot(user))
    return user


def reset_password(admin: User, user: User) -> str:
    """A new generated password (returned once); the old password and every open session stop working."""
    _check_admin(admin, user)
    audit.lock()
    password = new_password()
    user.password_hash = generate_password_hash(password)
    end_all_sessions(user)
    audit.record(admin, "user.password_reset", "user", user.username, {"password": "old"}, {"password": "new"})
    return password
