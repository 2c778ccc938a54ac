"""Scopes and predicates in app.permissions, called directly: which agencies, offices, staff accounts,
outsourcings and audit events each role sees, the lookups that answer 404 outside them, and the predicates
templates ask. Expected sets are written by hand from two provinces' worth of objects."""

import pytest
from flask_login import AnonymousUserMixin
from werkzeug.exceptions import NotFound

from app import permissions as p
from app.administration import audit
from app.extensions import db
from app.models import Role
from tests import factories as f

TEHRAN, TABRIZ = "23", "03"


@pytest.fixture
def world(ctx):
    tehran, tabriz = f.province(TEHRAN), f.province(TABRIZ)
    national = f.agency(code="8000", name="سازمان ملی")
    tehran_agency = f.agency(code="8023", name="ادارهٔ کل تهران")
    tehran_agency.level, tehran_agency.province = "provincial", tehran
    tabriz_agency = f.agency(code="8003", name="ادارهٔ کل تبریز")
    tabriz_agency.level, tabriz_agency.province = "provincial", tabriz
    tehran_office, tabriz_office = f.office(TEHRAN, code="T1"), f.office(TABRIZ, code="B1")
    tehran_service, tabriz_service = (
        f.service(tehran_agency, code="80230001"),
        f.service(tabriz_agency, code="80030001"),
    )
    national_service = f.service(national, code="80000001")
    w = {
        "national": national,
        "tehran_agency": tehran_agency,
        "tabriz_agency": tabriz_agency,
        "tehran_office": tehran_office,
        "tabriz_office": tabriz_office,
        "tehran_service": tehran_service,
        "tabriz_service": tabriz_service,
        "admin": f.staff(Role.NATIONAL_ADMIN, username="admin"),
        "tehran_admin": f.staff(Role.PROVINCIAL_ADMIN, username="tehran-admin", province=tehran),
        "tabriz_admin": f.staff(Role.PROVINCIAL_ADMIN, username="tabriz-admin", province=tabriz),
        "tehran_clerk": f.staff(Role.CLERK, username="tehran-clerk", office=tehran_office),
        "tehran_office_manager": f.staff(Role.OFFICE_MANAGER, username="tehran-om", office=tehran_office),
        "tabriz_clerk": f.staff(Role.CLERK, username="tabriz-clerk", office=tabriz_office),
        "tehran_officer": f.staff(Role.AGENCY_OFFICER, username="tehran-officer", agency=tehran_agency),
        "tehran_manager": f.staff(Role.AGENCY_MANAGER, username="tehran-manager", agency=tehran_agency),
        "tabriz_manager": f.staff(Role.AGENCY_MANAGER, username="tabriz-manager", agency=tabriz_agency),
        "national_manager": f.staff(Role.AGENCY_MANAGER, username="national-manager", agency=national),
        "citizen": f.citizen(),
        "tehran_only": f.outsourcing(tehran_service, provinces=(TEHRAN,)),
        "tabriz_only": f.outsourcing(tabriz_service, provinces=(TABRIZ,)),
        "two_provinces": f.outsourcing(national_service, status="pending", provinces=(TEHRAN, TABRIZ)),
        "everywhere": f.outsourcing(f.service(national, code="80000002"), status="pending"),
    }
    db.session.commit()
    return w


def _codes(query, column="code"):
    return sorted(getattr(row, column) for row in db.session.execute(query).scalars())


def _who(w, name):
    return AnonymousUserMixin() if name == "anonymous" else w[name]


# --- agencies and offices ------------------------------------------------------------------------------

AGENCIES = {
    "admin": ["8000", "8003", "8023"],
    "tehran_admin": ["8023"],  # national agencies are the national administrator's
    "tabriz_admin": ["8003"],
    "tehran_clerk": [],
    "tehran_manager": [],
    "citizen": [],
    "anonymous": [],
}


@pytest.mark.parametrize("name", AGENCIES)
def test_agencies_are_the_administrators_within_their_province(world, name):
    assert _codes(p.agencies_visible_to(_who(world, name))) == AGENCIES[name]


def test_an_agency_outside_the_scope_answers_404(world):
    assert p.agency_for(world["tehran_admin"], "8023") is world["tehran_agency"]
    for code in ("8003", "8000", "9999"):
        with pytest.raises(NotFound):
            p.agency_for(world["tehran_admin"], code)


OFFICES_MANAGED = {
    "admin": ["B1", "T1"],
    "tehran_admin": ["T1"],
    "tehran_clerk": [],  # a clerk works at an office but does not manage it
    "tehran_office_manager": [],
    "tehran_officer": [],
    "anonymous": [],
}
OFFICES_VISIBLE = {
    "admin": ["B1", "T1"],
    "tehran_admin": ["T1"],
    "tehran_clerk": ["T1"],
    "tehran_office_manager": ["T1"],
    "tabriz_clerk": ["B1"],
    "tehran_officer": [],
    "citizen": [],
    "anonymous": [],
}


@pytest.mark.parametrize("name", OFFICES_MANAGED)
def test_offices_are_managed_by_administrators_only(world, name):
    assert _codes(p.offices_managed_by(_who(world, name))) == OFFICES_MANAGED[name]


@pytest.mark.parametrize("name", OFFICES_VISIBLE)
def test_counter_staff_see_their_own_office_and_administrators_what_they_manage(world, name):
    assert _codes(p.offices_visible_to(_who(world, name))) == OFFICES_VISIBLE[name]


def test_an_office_outside_the_admins_province_answers_404(world):
    assert p.office_for(world["tehran_admin"], "T1") is world["tehran_office"]
    with pytest.raises(NotFound):
        p.office_for(world["tehran_admin"], "B1")
    with pytest.raises(NotFound):
        p.office_for(world["tehran_clerk"], "T1")


# --- staff accounts ------------------------------------------------------------------------------------

STAFF = {
    "admin": [
        "admin",
        "national-manager",
        "tabriz-admin",
        "tabriz-clerk",
        "tabriz-manager",
        "tehran-admin",
        "tehran-clerk",
        "tehran-manager",
        "tehran-officer",
        "tehran-om",
    ],
    # counter staff of the province's offices and staff of its provincial agencies; no administrator, no staff
    # of a national agency
    "tehran_admin": ["tehran-clerk", "tehran-manager", "tehran-officer", "tehran-om"],
    "tabriz_admin": ["tabriz-clerk", "tabriz-manager"],
    "tehran_office_manager": [],
    "tehran_manager": [],
    "anonymous": [],
}


@pytest.mark.parametrize("name", STAFF)
def test_staff_accounts_are_scoped_to_the_administrators_province(world, name):
    assert _codes(p.staff_visible_to(_who(world, name)), "username") == STAFF[name]


def test_citizens_are_never_in_the_staff_list(world):
    usernames = _codes(p.staff_visible_to(world["admin"]), "username")
    assert world["citizen"].username not in usernames and len(usernames) == 10


def test_a_staff_account_outside_the_scope_answers_404(world):
    assert p.staff_account_for(world["tehran_admin"], world["tehran_clerk"].public_id) is world["tehran_clerk"]
    for other in ("tabriz_clerk", "admin", "tabriz_admin", "citizen"):
        with pytest.raises(NotFound):
            p.staff_account_for(world["tehran_admin"], world[other].public_id)


# --- outsourcing ---------------------------------------------------------------------------------------

OUTSOURCINGS = {
    "admin": ["everywhere", "tabriz_only", "tehran_only", "two_provinces"],
    "tehran_admin": ["tehran_only"],  # a scope reaching beyond the province is the national administrator's
    "tabriz_admin": ["tabriz_only"],
    "tehran_manager": ["tehran_only"],
    "national_manager": ["everywhere", "two_provinces"],
    "tehran_officer": [],
    "tehran_clerk": [],
    "anonymous": [],
}


@pytest.mark.parametrize("name", OUTSOURCINGS)
def test_outsourcings_are_seen_by_who_decides_them_and_by_the_agencys_manager(world, name):
    names = {world[key].public_id: key for key in ("everywhere", "tabriz_only", "tehran_only", "two_provinces")}
    seen = sorted(
        names[row.public_id] for row in db.session.execute(p.outsourcings_visible_to(_who(world, name))).scalars()
    )
    assert seen == OUTSOURCINGS[name]


@pytest.mark.parametrize(
    "name, decides",
    [
        ("admin", {"everywhere", "tabriz_only", "tehran_only", "two_provinces"}),
        ("tehran_admin", {"tehran_only"}),
        ("tabriz_admin", {"tabriz_only"}),
        ("tehran_manager", set()),
        ("tehran_clerk", set()),
        ("anonymous", set()),
    ],
)
def test_can_decide_matches_the_outsourcings_an_administrator_sees(world, name, decides):
    keys = ("everywhere", "tabriz_only", "tehran_only", "two_provinces")
    assert {key for key in keys if p.can_decide(_who(world, name), world[key])} == decides


def test_an_outsourcing_outside_the_scope_answers_404(world):
    assert p.outsourcing_for(world["tehran_manager"], world["tehran_only"].public_id) is world["tehran_only"]
    for key in ("tabriz_only", "everywhere"):
        with pytest.raises(NotFound):
            p.outsourcing_for(world["tehran_manager"], world[key].public_id)
        with pytest.raises(NotFound):
            p.outsourcing_for(world["tehran_admin"], world[key].public_id)


def test_agency_staff_find_only_their_agencys_services(world):
    assert _codes(p.services_of_agency(world["tehran_manager"])) == ["80230001"]
    assert _codes(p.services_of_agency(world["tehran_officer"])) == ["80230001"]
    assert _codes(p.services_of_agency(world["tehran_admin"])) == []
    assert p.agency_service_for(world["tehran_manager"], "80230001") is world["tehran_service"]
    with pytest.raises(NotFound):
        p.agency_service_for(world["tehran_manager"], "80030001")


# --- the audit log -------------------------------------------------------------------------------------


def test_provincial_admin_reads_their_own_actions_and_events_about_what_they_manage(world):
    w = world
    rows = {
        "own": audit.record(w["tehran_admin"], "setting.fee_cap", "setting", "counter_fee_cap_rial"),
        "tehran_office": audit.record(w["admin"], "office.update", "office", "T1"),
        "tabriz_office": audit.record(w["admin"], "office.update", "office", "B1"),
        "tehran_agency": audit.record(w["admin"], "agency.update", "agency", "8023"),
        "national_agency": audit.record(w["admin"], "agency.update", "agency", "8000"),
        "tehran_clerk": audit.record(w["admin"], "user.create", "user", "tehran-clerk"),
        "tabriz_clerk": audit.record(w["admin"], "user.create", "user", "tabriz-clerk"),
        "tehran_outsourcing": audit.record(
            w["admin"], "outsourcing.approve", "outsourcing", w["tehran_only"].public_id
        ),
        "wide_outsourcing": audit.record(w["admin"], "outsourcing.approve", "outsourcing", w["everywhere"].public_id),
    }
    db.session.commit()
    names = {row.id: name for name, row in rows.items()}

    def seen(user):
        return sorted(names[e.id] for e in db.session.execute(p.audit_events_visible_to(user)).scalars())

    assert seen(w["tehran_admin"]) == ["own", "tehran_agency", "tehran_clerk", "tehran_office", "tehran_outsourcing"]
    assert seen(w["tabriz_admin"]) == ["tabriz_clerk", "tabriz_office"]
    assert seen(w["admin"]) == sorted(rows)
    assert seen(w["tehran_office_manager"]) == [] and seen(w["tehran_manager"]) == [] and seen(None) == []


# --- predicates ----------------------------------------------------------------------------------------

PREDICATES = {
    # name: the roles for which it holds (anonymous and None hold none)
    "is_citizen": {"citizen"},
    "is_counter_staff": {"tehran_clerk", "tehran_office_manager"},
    "is_agency_staff": {"tehran_officer", "tehran_manager"},
    "is_admin": {"admin", "tehran_admin"},
    "is_provincial_admin": {"tehran_admin"},
    "is_national_admin": {"admin"},
    "can_manage_agencies": {"admin", "tehran_admin"},
    "can_set_fee_cap": {"admin"},
    "can_propose_outsourcing": {"tehran_manager"},
    "can_close_day": {"tehran_office_manager"},
}
PEOPLE = (
    "citizen",
    "tehran_clerk",
    "tehran_office_manager",
    "tehran_officer",
    "tehran_manager",
    "tehran_admin",
    "admin",
)


@pytest.mark.parametrize("predicate", PREDICATES)
def test_each_predicate_holds_for_exactly_its_roles(world, predicate):
    check = getattr(p, predicate)
    assert {name for name in PEOPLE if check(world[name])} == PREDICATES[predicate]
    assert not check(AnonymousUserMixin()) and not check(None)


def test_templates_can_ask_every_predicate(app):
    for name in [*PREDICATES, "can_decide"]:
        assert app.jinja_env.globals[name] is getattr(p, name)
