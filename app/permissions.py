"""Scoped queries: each role starts from a query already limited to what it may see.

Views never look a request up by code alone; they go through request_for(), so an object outside the
user's scope answers 404, exactly like one that does not exist.
"""

from flask import abort
from sqlalchemy import false, or_

from app.extensions import db
from app.models import Office, Outsourcing, Province, Request, Role, Service


def requests_visible_to(user):
    query = db.select(Request)
    if user is None or not user.is_authenticated:
        return query.where(false())
    role = user.role
    if role == Role.CITIZEN:
        return query.where(Request.applicant_id == user.id)
    # Drafts belong to their owner alone.
    query = query.where(Request.status != "draft")
    if role in (Role.CLERK, Role.OFFICE_MANAGER):
        return query.where(Request.office_id == user.office_id) if user.office_id else query.where(false())
    if role in (Role.AGENCY_OFFICER, Role.AGENCY_MANAGER):
        return query.where(Request.agency_id == user.agency_id) if user.agency_id else query.where(false())
    if role == Role.PROVINCIAL_ADMIN:
        offices = db.select(Office.id).where(Office.province_id == user.province_id)
        return query.where(Request.office_id.in_(offices))
    if role == Role.NATIONAL_ADMIN:
        return query
    return query.where(false())


def request_for(user, code):
    """The request with this tracking code (or a draft's public id) if the user may see it; else 404."""
    column = Request.tracking_code if code.isdigit() else Request.public_id
    found = db.session.execute(requests_visible_to(user).where(column == code)).scalar_one_or_none()
    if found is None:
        abort(404)
    return found


def covers_province(province_id):
    """An outsourcing's scope includes the province: all provinces, or that one listed."""
    return or_(Outsourcing.all_provinces, Outsourcing.provinces.any(Province.id == province_id))


def _approved_cover(service, province_id):
    """An approved (so not revoked) outsourcing of the service whose scope covers the province: the one rule."""
    return db.select(Outsourcing.id).where(
        Outsourcing.service_id == service.id, Outsourcing.status == "approved", covers_province(province_id)
    )


def service_fileable_at(service, office):
    """Only a service outsourced to the counters, approved and not revoked, for the office's province."""
    if office is None or office.status != "active":
        return False
    return db.session.execute(_approved_cover(service, office.province_id).limit(1)).first() is not None


def services_fileable_at(office):
    """The services a counter office may file, as one query: the same rule as service_fileable_at(), listed.

    Passing the Service class makes _approved_cover() correlate on Service.id instead of one service's id."""
    if office is None or office.status != "active":
        return db.select(Service).where(false())
    return db.select(Service).where(
        Service.is_active,
        Service.current_revision_id.is_not(None),
        _approved_cover(Service, office.province_id).exists(),
    )


def offices_visible_to(user):
    """Counter offices whose requests and ledger a staff member may open; anything else answers 404."""
    query = db.select(Office)
    if user is None or not user.is_authenticated:
        return query.where(false())
    if user.role in (Role.CLERK, Role.OFFICE_MANAGER):
        return query.where(Office.id == user.office_id) if user.office_id else query.where(false())
    if user.role == Role.PROVINCIAL_ADMIN:
        return query.where(Office.province_id == user.province_id)
    if user.role == Role.NATIONAL_ADMIN:
        return query
    return query.where(false())


def offices_fileable_for(service):
    """Active offices where service_fileable_at() holds, as one query (for listing them to citizens)."""
    return db.select(Office).where(Office.status == "active", _approved_cover(service, Office.province_id).exists())
