"""Every scope and permission in one place: the queries each role starts from, already limited to what it may
see, the lookups that answer 404 outside them, and the predicates templates and views ask instead of role strings.

Views never look an object up by its code alone; they go through a *_for() lookup (request_for, agency_for …),
so an object outside the user's scope answers 404, exactly like one that does not exist. This module imports only
the model, so every rule package (audit included) can import it without a cycle.
"""

from typing import Any

from flask import Flask, abort
from sqlalchemy import ColumnElement, Select, and_, false, or_, true
from sqlalchemy.orm import joinedload, selectinload

from app.extensions import db
from app.models import (
    Agency,
    AuditEvent,
    Complaint,
    DataAccess,
    Link,
    LinkReference,
    Office,
    Outsourcing,
    Province,
    Rating,
    Request,
    Role,
    Service,
    User,
    utcnow,
)

# Role groups: the decorators on views (role_required(*ADMINS)) and the predicates below read the same lists.
ADMINS = (Role.PROVINCIAL_ADMIN, Role.NATIONAL_ADMIN)
COUNTER_STAFF = (Role.CLERK, Role.OFFICE_MANAGER)
AGENCY_STAFF = (Role.AGENCY_OFFICER, Role.AGENCY_MANAGER)


def _signed_in(user: User | None) -> User | None:
    """The user when signed in; None for nobody and for the anonymous visitor (who has no role attribute)."""
    return user if user is not None and user.is_authenticated else None


def _role(user: User | None) -> str | None:
    signed_in = _signed_in(user)
    return signed_in.role if signed_in is not None else None


# --- predicates (Jinja globals too: see init_app) ------------------------------------------------------


def is_citizen(user: User | None) -> bool:
    return _role(user) == Role.CITIZEN


def is_counter_staff(user: User | None) -> bool:
    return _role(user) in COUNTER_STAFF


def is_agency_staff(user: User | None) -> bool:
    return _role(user) in AGENCY_STAFF


def is_admin(user: User | None) -> bool:
    return _role(user) in ADMINS


def is_provincial_admin(user: User | None) -> bool:
    return _role(user) == Role.PROVINCIAL_ADMIN


def is_national_admin(user: User | None) -> bool:
    """The national administrator: the whole country, agency levels, provincial administrators' accounts."""
    return _role(user) == Role.NATIONAL_ADMIN


def can_manage_agencies(user: User | None) -> bool:
    """Agencies, offices and staff accounts are managed by administrators (each within their scope)."""
    return is_admin(user)


def can_set_fee_cap(user: User | None) -> bool:
    return is_national_admin(user)


def can_propose_outsourcing(user: User | None) -> bool:
    """Only an agency manager proposes outsourcing their agency's services to the counters."""
    return _role(user) == Role.AGENCY_MANAGER


def can_close_day(user: User | None) -> bool:
    """Closing an office's day ledger is the office manager's, not a clerk's."""
    return _role(user) == Role.OFFICE_MANAGER


def can_reassign(user: User | None) -> bool:
    """Only the agency manager gives a request to another officer; an officer takes unassigned ones for themself."""
    return _role(user) == Role.AGENCY_MANAGER


def can_decide(user: User | None, outsourcing: Outsourcing) -> bool:
    """The national administrator decides any outsourcing; a provincial one only those whose listed provinces are
    all their own (an all-provinces scope, or one reaching other provinces, is the national administrator's)."""
    user = _signed_in(user)
    if user is None or user.role not in ADMINS:
        return False
    if user.role == Role.NATIONAL_ADMIN:
        return True
    return (
        not outsourcing.all_provinces
        and bool(outsourcing.provinces)
        and all(p.id == user.province_id for p in outsourcing.provinces)
    )


PREDICATES = (
    is_citizen,
    is_counter_staff,
    is_agency_staff,
    is_admin,
    is_provincial_admin,
    is_national_admin,
    can_manage_agencies,
    can_set_fee_cap,
    can_propose_outsourcing,
    can_close_day,
    can_decide,
    can_reassign,
)


def init_app(app: Flask) -> None:
    """Templates ask the same predicates as views: {% if can_set_fee_cap(current_user) %}."""
    app.jinja_env.globals.update({predicate.__name__: predicate for predicate in PREDICATES})


def _found(query: Select) -> Any:
    """The one row of a scoped lookup, or 404."""
    found = db.session.execute(query).scalar_one_or_none()
    if found is None:
        abort(404)
    return found


# --- requests ------------------------------------------------------------------------------------------


def requests_visible_to(user: User | None) -> Select:
    """A citizen their own requests (drafts too); counter staff their office's, agency staff their agency's, a
    provincial administrator those filed at their province's offices, the national administrator all; no drafts."""
    query = db.select(Request)
    user = _signed_in(user)
    if user is None:
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


def request_for(user: User | None, code: str) -> Request:
    """The request with this tracking code (or a draft's public id) if the user may see it; else 404."""
    column = Request.tracking_code if code.isdigit() else Request.public_id
    return _found(requests_visible_to(user).where(column == code))


# --- the agency desk: tabs, reassignment -----------------------------------------------------------------------

# The inbox's tabs: the officer's own requests, those nobody holds, all of the agency's, and (the manager's view)
# the overdue ones.
DESK_TABS = ("mine", "unassigned", "all", "late")


def desk_tab(user: User | None, tab: str) -> Select:
    """The agency's requests a desk tab lists, scoped as requests_visible_to (the «دیرکرد» condition itself is
    app/requests/sla.py overdue(); the view adds it for "late")."""
    query = requests_visible_to(user)
    signed_in = _signed_in(user)
    if signed_in is None or signed_in.role not in AGENCY_STAFF:
        return query.where(false())
    if tab == "mine":
        return query.where(Request.assignee_id == signed_in.id)
    if tab == "unassigned":
        return query.where(Request.assignee_id.is_(None))
    if tab == "late" and not can_reassign(signed_in):
        return query.where(false())
    return query


def assignable_officers(user: User | None) -> Select:
    """The active officers (and managers) of the manager's own agency, whom a request can be reassigned to."""
    signed_in = _signed_in(user)
    if not can_reassign(signed_in) or signed_in is None or not signed_in.agency_id:
        return db.select(User).where(false())
    return (
        db.select(User)
        .where(
            User.role.in_(AGENCY_STAFF),
            User.agency_id == signed_in.agency_id,
            User.is_active_account.is_(True),
        )
        .order_by(User.full_name, User.id)
    )


def assignable_officer_for(user: User | None, public_id: str) -> User | None:
    """One officer the manager may reassign to, or None (an officer of another agency is simply not among them)."""
    return db.session.execute(assignable_officers(user).where(User.public_id == public_id)).scalar_one_or_none()


# --- where a service can be filed ----------------------------------------------------------------------


def covers_province(province_id: Any) -> ColumnElement[bool]:
    """An outsourcing's scope includes the province (a row id, or a column to correlate on): all provinces, or
    that one listed."""
    return or_(Outsourcing.all_provinces, Outsourcing.provinces.any(Province.id == province_id))


def _approved_cover(service: Any, province_id: Any) -> Select:
    """An approved (so not revoked) outsourcing of the service whose scope covers the province: the one rule."""
    return db.select(Outsourcing.id).where(
        Outsourcing.service_id == service.id, Outsourcing.status == "approved", covers_province(province_id)
    )


def service_fileable_at(service: Service, office: Office | None) -> bool:
    """Only a service outsourced to the counters, approved and not revoked, for the office's province."""
    if office is None or office.status != "active":
        return False
    return db.session.execute(_approved_cover(service, office.province_id).limit(1)).first() is not None


def services_fileable_at(office: Office | None) -> Select:
    """The services a counter office may file, as one query: the same rule as service_fileable_at(), listed.

    Passing the Service class makes _approved_cover() correlate on Service.id instead of one service's id."""
    if office is None or office.status != "active":
        return db.select(Service).where(false())
    return db.select(Service).where(
        Service.is_active,
        Service.current_revision_id.is_not(None),
        _approved_cover(Service, office.province_id).exists(),
    )


def offices_fileable_for(service: Service) -> Select:
    """Active offices where service_fileable_at() holds, as one query (for listing them to citizens)."""
    return db.select(Office).where(Office.status == "active", _approved_cover(service, Office.province_id).exists())


def _in_administered_province(user: User | None, model: type[Office] | type[Agency]) -> Select:
    """Rows with a province_id an administrator manages: the national administrator all of them, a provincial one
    their province's; nobody else any."""
    query = db.select(model)
    user = _signed_in(user)
    if user is None:
        return query.where(false())
    if user.role == Role.NATIONAL_ADMIN:
        return query.where(true())
    if user.role == Role.PROVINCIAL_ADMIN and user.province_id:
        return query.where(model.province_id == user.province_id)
    return query.where(false())


# --- counter offices -----------------------------------------------------------------------------------


def offices_managed_by(user: User | None) -> Select:
    """Counter offices an administrator manages: the national administrator all, a provincial one their
    province's; nobody else manages offices."""
    return _in_administered_province(user, Office)


def office_for(user: User | None, code: str) -> Office:
    """An office the administrator manages, by its code; 404 for any other."""
    return _found(offices_managed_by(user).where(Office.code == code))


def offices_visible_to(user: User | None) -> Select:
    """Counter offices whose requests and ledger a staff member may open: counter staff their own office,
    administrators the offices they manage; anything else answers 404."""
    signed_in = _signed_in(user)
    if signed_in is not None and signed_in.role in COUNTER_STAFF:
        query = db.select(Office)
        return query.where(Office.id == signed_in.office_id) if signed_in.office_id else query.where(false())
    return offices_managed_by(user)


# --- agencies ------------------------------------------------------------------------------------------


def agencies_visible_to(user: User | None) -> Select:
    """Agencies an administrator manages: the national administrator all, a provincial one their province's
    provincial agencies (national agencies are the national administrator's)."""
    return _in_administered_province(user, Agency)


def agency_for(user: User | None, code: str) -> Agency:
    """An agency the administrator manages, by its code; 404 for any other."""
    return _found(agencies_visible_to(user).where(Agency.code == code))


def services_of_agency(user: User | None) -> Select:
    """The services of an agency staff member's own agency (with a published revision); nothing for anyone else."""
    query = db.select(Service)
    user = _signed_in(user)
    if user is None or user.role not in AGENCY_STAFF or user.agency_id is None:
        return query.where(false())
    return query.where(Service.agency_id == user.agency_id, Service.current_revision_id.is_not(None))


def agency_service_for(user: User | None, code: str) -> Service:
    """One of the user's agency's services by its code; 404 for any other."""
    return _found(services_of_agency(user).where(Service.code == code))


# --- link checks ---------------------------------------------------------------------------------------


def link_references_visible_to(user: User | None) -> Select:
    """What refers to checked links, as each user may see it: agency staff their own agency's cards and portal,
    the national administrator every agency's, a provincial one those of their province's agencies."""
    query = db.select(LinkReference).join(Link, Link.id == LinkReference.link_id)
    user = _signed_in(user)
    if user is None:
        return query.where(false())
    if user.role in AGENCY_STAFF:
        return query.where(LinkReference.agency_id == user.agency_id) if user.agency_id else query.where(false())
    if user.role == Role.NATIONAL_ADMIN:
        return query.where(true())
    if user.role == Role.PROVINCIAL_ADMIN and user.province_id:
        return query.join(Agency, Agency.id == LinkReference.agency_id).where(Agency.province_id == user.province_id)
    return query.where(false())


# --- staff accounts ------------------------------------------------------------------------------------


def staff_visible_to(user: User | None) -> Select:
    """Staff accounts an administrator manages: the national administrator every one, a provincial one the counter
    staff of their province's offices and the staff of their province's agencies (never administrators)."""
    query = db.select(User).where(User.role.in_(Role.STAFF))
    user = _signed_in(user)
    if user is None:
        return query.where(false())
    if user.role == Role.NATIONAL_ADMIN:
        return query
    if user.role == Role.PROVINCIAL_ADMIN and user.province_id:
        province = user.province_id
        return query.where(
            or_(
                and_(User.role.in_(COUNTER_STAFF), User.office.has(Office.province_id == province)),
                and_(User.role.in_(AGENCY_STAFF), User.agency.has(Agency.province_id == province)),
            )
        )
    return query.where(false())


def staff_account_for(user: User | None, public_id: str) -> User:
    """A staff account the administrator manages, by its public id; 404 for any other."""
    return _found(staff_visible_to(user).where(User.public_id == public_id))


# --- outsourcing ---------------------------------------------------------------------------------------


def _within_province(province_id: int) -> ColumnElement[bool]:
    """A scope of listed provinces that are all this one (an all-provinces scope is the national admin's)."""
    return (
        ~Outsourcing.all_provinces
        & Outsourcing.provinces.any(Province.id == province_id)
        & ~Outsourcing.provinces.any(Province.id != province_id)
    )


def outsourcings_visible_to(user: User | None) -> Select:
    """Outsourcings the user may open: an administrator those they may decide (can_decide() as a query), an agency
    manager their agency's."""
    query = db.select(Outsourcing)
    user = _signed_in(user)
    if user is None:
        return query.where(false())
    role = user.role
    if role == Role.NATIONAL_ADMIN:
        return query.where(true())
    if role == Role.PROVINCIAL_ADMIN and user.province_id:
        return query.where(_within_province(user.province_id))
    if role == Role.AGENCY_MANAGER and user.agency_id:
        return query.where(Outsourcing.service.has(Service.agency_id == user.agency_id))
    return query.where(false())


def outsourcing_for(user: User | None, public_id: str) -> Outsourcing:
    """The outsourcing with this public id if the user may see it; otherwise 404, as if it did not exist."""
    return _found(
        outsourcings_visible_to(user)
        .where(Outsourcing.public_id == public_id)
        .options(selectinload(Outsourcing.provinces), joinedload(Outsourcing.service).joinedload(Service.agency))
    )


# --- feedback: ratings and complaints (issue 14) ---------------------------------------------------------


def complaints_visible_to(user: User | None) -> Select:
    """A citizen their own complaints; agency staff their agency's; administrators those escalated to them (a
    provincial one their province's, the national one every province's and those of no province), answered or
    closed since included."""
    query = db.select(Complaint)
    user = _signed_in(user)
    if user is None:
        return query.where(false())
    if user.role == Role.CITIZEN:
        return query.where(Complaint.complainant_id == user.id)
    if user.role in AGENCY_STAFF:
        return query.where(Complaint.agency_id == user.agency_id) if user.agency_id else query.where(false())
    escalated = query.where(Complaint.escalated_at.is_not(None))
    if user.role == Role.NATIONAL_ADMIN:
        return escalated
    if user.role == Role.PROVINCIAL_ADMIN and user.province_id:
        return escalated.where(Complaint.province_id == user.province_id)
    return query.where(false())


def complaint_for(user: User | None, reference: str) -> Complaint:
    """The complaint with this reference if the user may see it; else 404."""
    return _found(complaints_visible_to(user).where(Complaint.reference == reference))


def complaint_of_tracked(request: Request, reference: str) -> Complaint:
    """A complaint about the request /track proved (its tracking code and national code): the only complaints a
    visitor without an account may act on; else 404."""
    return _found(db.select(Complaint).where(Complaint.request_id == request.id, Complaint.reference == reference))


def ratings_visible_to(user: User | None) -> Select:
    """Ratings with their comments, for moderation: agency staff their own agency's only; nobody else reads
    individual ratings (the public reads aggregates)."""
    query = db.select(Rating)
    user = _signed_in(user)
    if user is None or user.role not in AGENCY_STAFF or not user.agency_id:
        return query.where(false())
    return query.where(Rating.agency_id == user.agency_id)


def rating_for(user: User | None, tracking_code: str) -> Rating:
    """The rating of the request with this tracking code if the user may moderate it; else 404."""
    return _found(
        ratings_visible_to(user)
        .join(Request, Request.id == Rating.request_id)
        .where(Request.tracking_code == tracking_code)
    )


# --- the audit log -------------------------------------------------------------------------------------


def audit_events_visible_to(user: User | None) -> Select:
    """The national administrator reads the whole log; a provincial one their own actions and the events about
    what they manage (their province's outsourcings, offices, agencies and staff)."""
    query = db.select(AuditEvent)
    user = _signed_in(user)
    if user is None or user.role not in ADMINS:
        return query.where(false())
    if user.role == Role.NATIONAL_ADMIN:
        return query
    about: dict[str, Select] = {
        "outsourcing": outsourcings_visible_to(user).with_only_columns(Outsourcing.public_id),
        "office": offices_managed_by(user).with_only_columns(Office.code),
        "agency": agencies_visible_to(user).with_only_columns(Agency.code),
        "user": staff_visible_to(user).with_only_columns(User.username),
        "complaint": complaints_visible_to(user).with_only_columns(Complaint.reference),
    }
    return query.where(
        or_(
            AuditEvent.actor_id == user.id,
            *[and_(AuditEvent.object_type == kind, AuditEvent.object_ref.in_(refs)) for kind, refs in about.items()],
        )
    )


# --- the data-access log ("who looked at my data") -------------------------------------------------------


def data_access_of_citizen(user: User | None) -> Select:
    """The signed-in citizen's own entries, without those hidden for an investigation until a date still to come;
    nothing for anyone else (staff read a citizen's log only through data_access_hidden_visible_to)."""
    query = db.select(DataAccess)
    user = _signed_in(user)
    if user is None or user.role != Role.CITIZEN or not user.national_code:
        return query.where(false())
    return query.where(
        DataAccess.national_code == user.national_code,
        or_(DataAccess.hidden_until.is_(None), DataAccess.hidden_until <= utcnow()),
    )


def data_access_hidden_visible_to(user: User | None) -> Select:
    """Entries hidden from their citizen (still or once), with their reasons: the national administrator only,
    who is also the one who hides them."""
    query = db.select(DataAccess).where(DataAccess.hidden_until.is_not(None))
    return query if _role(user) == Role.NATIONAL_ADMIN else query.where(false())


def data_access_hideable_by(user: User | None) -> Select:
    """The entries the user may hide from their citizen: any, for the national administrator."""
    query = db.select(DataAccess)
    return query if _role(user) == Role.NATIONAL_ADMIN else query.where(false())
