"""Managing agencies: the national administrator all of them, a provincial administrator their province's own.

Every change is audited with the agency's public code and what it looked like before and after.
"""

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from app.administration import audit
from app.core.errors import RuleError
from app.evaluation import connections
from app.extensions import db
from app.models import Agency, Province, User
from app.permissions import can_manage_agencies, is_provincial_admin


class AgencyError(RuleError):
    """An agency change the rules do not allow."""


def snapshot(agency: Agency) -> dict[str, Any]:
    return {
        "code": agency.code,
        "name": agency.name,
        "name_en": agency.name_en,
        "level": agency.level,
        "province": agency.province.code if agency.province else None,
        "connection_status": agency.connection_status,
        "website_url": agency.website_url,
    }


def _check_admin(admin):
    if not can_manage_agencies(admin):
        raise AgencyError(_("فقط مدیران سامانه دستگاه‌ها را مدیریت می‌کنند."))


def _check_values(values):
    if values.get("connection_status") not in Agency.CONNECTION_STATUSES:
        raise AgencyError(_("وضعیت اتصال را انتخاب کنید."), "connection_status")


def create_agency(
    admin: User,
    code: str,
    name: str,
    name_en: str | None = "",
    level: str = "national",
    province: Province | None = None,
    connection_status: str = "not_connected",
    website_url: str | None = "",
) -> Agency:
    """A provincial administrator creates only provincial agencies of their own province."""
    _check_admin(admin)
    audit.lock()
    if is_provincial_admin(admin):
        level, province = "provincial", admin.province
    if level not in ("national", "provincial"):
        raise AgencyError(_("سطح دستگاه را انتخاب کنید."), "level")
    if level == "provincial" and province is None:
        raise AgencyError(_("برای دستگاه استانی، استان را انتخاب کنید."), "province")
    if level == "national":
        province = None
    _check_values({"connection_status": connection_status})
    if db.session.execute(select(Agency.id).where(Agency.code == code)).first():
        raise AgencyError(_("دستگاهی با این کد از قبل هست."), "code")
    agency = Agency(
        code=code,
        name=name.strip(),
        name_en=(name_en or "").strip(),
        level=level,
        province=province,
        connection_status=connection_status,
        website_url=(website_url or "").strip(),
    )
    db.session.add(agency)
    db.session.flush()
    connections.record_initial_status(agency, admin)  # the history the weekly report reads starts here
    audit.record(admin, "agency.create", "agency", agency.code, {}, snapshot(agency))
    return agency


def update_agency(
    admin: User, agency: Agency, name: str, name_en: str | None, connection_status: str, website_url: str | None
) -> Agency:
    """Name, English name, connection status and website; the code and level stay as they were created."""
    _check_admin(admin)
    audit.lock()
    db.session.refresh(agency)
    _check_values({"connection_status": connection_status})
    before = snapshot(agency)
    connections.set_connection_status(agency, connection_status, admin)  # the one way a status changes
    agency.name, agency.name_en = name.strip(), (name_en or "").strip()
    agency.website_url = (website_url or "").strip()
    after = snapshot(agency)
    if after != before:
        audit.record(admin, "agency.update", "agency", agency.code, before, after)
    return agency
