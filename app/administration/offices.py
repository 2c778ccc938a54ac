"""Counter offices: creating, editing and suspending them (administrators); the public finder is catalogue.places.

A provincial administrator manages only the offices of their province; the national administrator all of them.
Every change is audited with what the office looked like before and after.
"""

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.administration import audit
from app.core.errors import RuleError
from app.core.pagination import Page, paginate
from app.extensions import db
from app.models import Office, Province, User
from app.permissions import is_admin, is_provincial_admin, offices_managed_by

STATUS_LABELS = {"active": _l("فعال"), "suspended": _l("تعلیق‌شده")}
# Iran and a margin around it; a point outside is a typo (swapped latitude and longitude, a missing digit).
LATITUDE_RANGE, LONGITUDE_RANGE = (24.0, 40.5), (43.5, 63.5)


class OfficeError(RuleError):
    """An office change the rules do not allow."""


# --- administrators' list (the scope is permissions.offices_managed_by) ---------------------------------


def managed(admin: User | None, province: Province | None = None, status: str | None = None, page: int = 1) -> Page:
    query = offices_managed_by(admin).options(joinedload(Office.province), joinedload(Office.county))
    if province is not None:
        query = query.where(Office.province_id == province.id)
    if status:
        query = query.where(Office.status == status)
    return paginate(query.order_by(Office.code), page)


def snapshot(office: Office) -> dict[str, Any]:
    return {
        "code": office.code,
        "name": office.name,
        "province": office.province.code if office.province else None,
        "county": office.county.code if office.county else None,
        "address": office.address,
        "phone": office.phone,
        "opening_hours": office.opening_hours,
        "latitude": office.latitude,
        "longitude": office.longitude,
        "status": office.status,
    }


def _check(admin, office, values):
    """Scope and consistency checks shared by create and edit; field formats are the form's job."""
    province, county = values["province"], values.get("county")
    if not is_admin(admin):
        raise OfficeError(_("فقط مدیران سامانه دفاتر پیشخوان را مدیریت می‌کنند."))
    if province is None:
        raise OfficeError(_("استان را انتخاب کنید."), "province")
    if is_provincial_admin(admin) and province.id != admin.province_id:
        raise OfficeError(_("شما فقط دفاتر استان خود را مدیریت می‌کنید."), "province")
    if county is not None and county.province_id != province.id:
        raise OfficeError(_("این شهرستان در استان انتخاب‌شده نیست."), "county")
    latitude, longitude = values.get("latitude"), values.get("longitude")
    if (latitude is None) != (longitude is None):
        raise OfficeError(_("عرض و طول جغرافیایی را با هم وارد کنید یا هر دو را خالی بگذارید."), "latitude")
    if latitude is not None and not (
        LATITUDE_RANGE[0] <= latitude <= LATITUDE_RANGE[1] and LONGITUDE_RANGE[0] <= longitude <= LONGITUDE_RANGE[1]
    ):
        raise OfficeError(
            _("این مختصات در ایران نیست؛ عرض جغرافیایی حدود ۲۵ تا ۴۰ و طول حدود ۴۴ تا ۶۳ است."), "latitude"
        )
    taken = db.session.execute(select(Office.id).where(Office.code == values["code"])).scalar_one_or_none()
    if taken is not None and (office is None or taken != office.id):
        raise OfficeError(_("دفتری با این کد از قبل هست."), "code")


TEXT_FIELDS = ("code", "name", "address", "phone", "opening_hours")
OPTIONAL_FIELDS = ("province", "county", "latitude", "longitude")


def _assign(office, values):
    for name in TEXT_FIELDS:
        setattr(office, name, (values.get(name) or "").strip())
    for name in OPTIONAL_FIELDS:
        setattr(office, name, values.get(name))


def create_office(admin: User, **values: Any) -> Office:
    audit.lock()
    _check(admin, None, values)
    office = Office(status="active")
    _assign(office, values)
    db.session.add(office)
    db.session.flush()
    audit.record(admin, "office.create", "office", office.code, {}, snapshot(office))
    return office


def update_office(admin: User, office: Office, **values: Any) -> Office:
    audit.lock()
    db.session.refresh(office)
    _check(admin, office, values)
    before = snapshot(office)
    _assign(office, values)
    db.session.flush()
    after = snapshot(office)
    if after != before:
        audit.record(admin, "office.update", "office", office.code, before, after)
    return office


def set_status(admin: User, office: Office, status: str) -> Office:
    """Suspending an office stops its counter filings at once (service_fileable_at checks the status)."""
    if status not in STATUS_LABELS:
        raise OfficeError(_("وضعیت نامعتبر است."))
    audit.lock()
    db.session.refresh(office)
    if office.status == status:
        raise OfficeError(_("دفتر همین حالا در این وضعیت است."))
    before = snapshot(office)
    office.status = status
    audit.record(
        admin,
        "office.suspend" if status == "suspended" else "office.activate",
        "office",
        office.code,
        before,
        snapshot(office),
    )
    return office
