"""Outsourcing rules: who proposes, the fee cap, who decides, revocation and the filing path, the audit trail."""

import pytest

from app.administration import audit
from app.administration import outsourcing as rules
from app.counter import fees
from app.extensions import db
from app.models import AuditEvent, OutsourcingDecision, Request, Role
from app.permissions import service_fileable_at
from app.requests.filing import FilingError
from tests import factories as f

TEHRAN, TABRIZ = "23", "03"


@pytest.fixture
def world(ctx):
    police, other = f.agency(name="پلیس راهور"), f.agency(name="سازمان دیگر")
    tehran_office, tabriz_office = f.office(TEHRAN), f.office(TABRIZ)
    w = {
        "service": f.service(police, title="نقل‌وانتقال خودرو"),
        "other_service": f.service(other),
        "manager": f.staff(Role.AGENCY_MANAGER, agency=police),
        "other_manager": f.staff(Role.AGENCY_MANAGER, agency=other),
        "officer": f.staff(Role.AGENCY_OFFICER, agency=police),
        "admin": f.staff(Role.NATIONAL_ADMIN),
        "tehran_admin": f.staff(Role.PROVINCIAL_ADMIN, province=f.province(TEHRAN)),
        "tabriz_admin": f.staff(Role.PROVINCIAL_ADMIN, province=f.province(TABRIZ)),
        "tehran_office": tehran_office,
        "tabriz_office": tabriz_office,
        "clerk": f.staff(Role.CLERK, office=tehran_office),
    }
    db.session.commit()
    return w


def _propose(w, provinces=(TEHRAN,), fee=100_000, service=None, manager=None):
    row = rules.propose(
        service or w["service"],
        manager or w["manager"],
        all_provinces=not provinces,
        provinces=[f.province(code) for code in provinces],
        counter_fee_rial=fee,
        note="",
    )
    db.session.commit()
    return row


def _counter_file(w, office=None, clerk=None):
    return f.filed(
        w["service"], f.citizen(), channel="counter", office=office or w["tehran_office"], actor=clerk or w["clerk"]
    )


# --- proposing -----------------------------------------------------------------------------------------


def test_agency_manager_proposes_for_their_own_agency(world):
    row = _propose(world)
    assert row.status == "pending" and row.counter_fee_rial == 100_000
    assert [d.action for d in row.decisions] == ["propose"]
    assert not service_fileable_at(world["service"], world["tehran_office"])  # a proposal files nothing yet


def test_agency_manager_cannot_propose_another_agencys_service(world):
    with pytest.raises(rules.OutsourcingError) as error:
        _propose(world, manager=world["other_manager"])
    assert "دستگاه شما نیست" in error.value.message
    db.session.rollback()
    assert db.session.query(OutsourcingDecision).count() == 0


@pytest.mark.parametrize("who", ["officer", "admin", "clerk"])
def test_only_an_agency_manager_proposes(world, who):
    with pytest.raises(rules.OutsourcingError) as error:
        _propose(world, manager=world[who])
    assert "فقط مدیر دستگاه" in error.value.message


def test_a_listed_scope_needs_at_least_one_province(world):
    with pytest.raises(rules.OutsourcingError) as error:
        rules.propose(world["service"], world["manager"], all_provinces=False, provinces=[], counter_fee_rial=0)
    assert error.value.field == "provinces"


def test_a_second_proposal_waits_for_the_first_decision(world):
    _propose(world)
    with pytest.raises(rules.OutsourcingError) as error:
        _propose(world, provinces=(TABRIZ,))
    assert "در انتظار تصمیم" in error.value.message


def test_an_approved_scope_cannot_be_proposed_again_but_another_province_can(world):
    rules.approve(_propose(world), world["admin"])
    db.session.commit()
    with pytest.raises(rules.OutsourcingError):
        _propose(world, provinces=())  # all provinces overlaps Tehran
    db.session.rollback()
    assert _propose(world, provinces=(TABRIZ,)).status == "pending"


# --- the fee cap ---------------------------------------------------------------------------------------


def test_fee_cap_defaults_and_holds_when_proposing(world):
    assert fees.fee_cap() == fees.DEFAULT_FEE_CAP_RIAL
    _propose(world, fee=fees.DEFAULT_FEE_CAP_RIAL)  # exactly the cap is allowed
    with pytest.raises(rules.OutsourcingError) as error:
        _propose(world, fee=fees.DEFAULT_FEE_CAP_RIAL + 1, service=f.service(world["service"].agency))
    assert error.value.field == "counter_fee_rial" and "سقف" in error.value.message


def test_only_the_national_admin_sets_the_cap_and_it_is_audited(world):
    for who in ("tehran_admin", "manager"):
        with pytest.raises(fees.FeeError):
            fees.set_fee_cap(world[who], 1000)
    db.session.rollback()
    fees.set_fee_cap(world["admin"], 200_000)
    db.session.commit()
    assert fees.fee_cap() == 200_000
    event = db.session.query(AuditEvent).filter_by(action="setting.fee_cap").one()
    assert event.before == {"counter_fee_cap_rial": 500_000} and event.after == {"counter_fee_cap_rial": 200_000}
    with pytest.raises(rules.OutsourcingError):
        _propose(world, fee=200_001)


def test_fee_cap_holds_when_the_fee_changes(world):
    row = _propose(world)
    rules.approve(row, world["admin"])
    db.session.commit()
    with pytest.raises(rules.OutsourcingError) as error:
        rules.change_fee(row, world["admin"], fees.DEFAULT_FEE_CAP_RIAL + 1, "گرانی")
    assert error.value.field == "counter_fee_rial"
    db.session.rollback()
    rules.change_fee(row, world["admin"], 300_000, "هزینهٔ چاپ بالا رفته است")
    db.session.commit()
    assert row.counter_fee_rial == 300_000
    assert [(d.action, d.counter_fee_rial) for d in row.decisions][-1] == ("change_fee", 300_000)


def test_approval_rechecks_a_cap_lowered_after_the_proposal(world):
    row = _propose(world, fee=400_000)
    fees.set_fee_cap(world["admin"], 300_000)
    db.session.commit()
    with pytest.raises(rules.OutsourcingError):
        rules.approve(row, world["admin"])


# --- deciding ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["manager", "officer", "clerk"])
def test_only_administrators_decide(world, who):
    row = _propose(world)
    for decide in (lambda: rules.approve(row, world[who]), lambda: rules.reject(row, world[who], "نه")):
        with pytest.raises(rules.OutsourcingError) as error:
            decide()
        assert "فقط مدیران سامانه" in error.value.message
    assert row.status == "pending"


def test_provincial_admin_decides_only_proposals_within_their_province(world):
    tehran_only = _propose(world)
    with pytest.raises(rules.OutsourcingError):
        rules.approve(tehran_only, world["tabriz_admin"])
    rules.approve(tehran_only, world["tehran_admin"])
    db.session.commit()
    assert tehran_only.status == "approved"


@pytest.mark.parametrize("provinces", [(), (TEHRAN, TABRIZ)], ids=["all-provinces", "two-provinces"])
def test_a_scope_beyond_one_province_is_for_the_national_admin(world, provinces):
    row = _propose(world, provinces=provinces)
    with pytest.raises(rules.OutsourcingError) as error:
        rules.approve(row, world["tehran_admin"])
    assert "مدیر ملی" in error.value.message
    db.session.rollback()
    rules.approve(row, world["admin"])
    db.session.commit()
    assert row.status == "approved"


def test_provincial_admin_sees_only_proposals_within_their_province(world):
    tehran = _propose(world)
    everywhere = _propose(world, provinces=(), service=f.service(world["service"].agency))
    db.session.commit()
    assert {o.public_id for o in rules.listing(world["tehran_admin"], "pending")} == {tehran.public_id}
    assert rules.listing(world["tabriz_admin"], "pending") == []
    assert {o.public_id for o in rules.listing(world["admin"], "pending")} == {tehran.public_id, everywhere.public_id}
    assert {o.public_id for o in rules.listing(world["manager"], "pending")} == {tehran.public_id, everywhere.public_id}
    assert rules.listing(world["other_manager"], "pending") == []


def test_rejection_and_revocation_need_a_reason(world):
    row = _propose(world)
    with pytest.raises(rules.OutsourcingError) as error:
        rules.reject(row, world["admin"], "  ")
    assert error.value.field == "reason"
    db.session.rollback()
    rules.approve(row, world["admin"])
    db.session.commit()
    with pytest.raises(rules.OutsourcingError) as error:
        rules.revoke(row, world["admin"], "")
    assert error.value.field == "reason"


def test_decisions_follow_the_status(world):
    row = _propose(world)
    with pytest.raises(rules.OutsourcingError):
        rules.revoke(row, world["admin"], "هنوز تأیید نشده")
    rules.reject(row, world["admin"], "مدارک کافی نیست")
    db.session.commit()
    for decide in (lambda: rules.approve(row, world["admin"]), lambda: rules.change_fee(row, world["admin"], 1, "x")):
        with pytest.raises(rules.OutsourcingError):
            decide()
    assert row.status == "rejected"


# --- revocation and the filing path --------------------------------------------------------------------


def test_revocation_stops_new_counter_filings_and_leaves_filed_requests_untouched(world):
    row = _propose(world)
    rules.approve(row, world["tehran_admin"])
    db.session.commit()
    filed = _counter_file(world)
    assert filed.status == "submitted" and filed.channel == "counter"
    with pytest.raises(FilingError):
        _counter_file(world, office=world["tabriz_office"], clerk=f.staff(Role.CLERK, office=world["tabriz_office"]))

    rules.revoke(row, world["tehran_admin"], "دفاتر خطای زیادی داشتند")
    db.session.commit()
    with pytest.raises(FilingError):
        _counter_file(world)
    db.session.rollback()
    again = db.session.get(Request, filed.id)
    assert again.status == "submitted" and again.channel == "counter" and again.office_id == world["tehran_office"].id
    assert db.session.query(Request).count() == 1
    assert [d.action for d in row.decisions] == ["propose", "approve", "revoke"]


def test_offices_for_service_are_exactly_where_it_can_be_filed(world):
    assert rules.offices_for_service(world["service"]) == []
    rules.approve(_propose(world), world["admin"])
    suspended = f.office(TEHRAN)
    suspended.status = "suspended"
    db.session.commit()
    listed = rules.offices_for_service(world["service"], limit=50)
    assert listed == [world["tehran_office"]]
    every_office = [world["tehran_office"], world["tabriz_office"], suspended]
    assert {o.id for o in every_office if service_fileable_at(world["service"], o)} == {o.id for o in listed}
    assert rules.offices_for_service(world["service"], province=f.province(TABRIZ)) == []


# --- the audit trail -----------------------------------------------------------------------------------


def test_every_decision_writes_a_decision_row_and_an_audit_event(world):
    row = _propose(world)
    rules.approve(row, world["admin"], "")
    rules.change_fee(row, world["admin"], 90_000, "کاهش کارمزد")
    rules.revoke(row, world["admin"], "پایان دوره")
    db.session.commit()
    decisions = db.session.query(OutsourcingDecision).order_by(OutsourcingDecision.id).all()
    assert [(d.action, d.reason) for d in decisions] == [
        ("propose", ""),
        ("approve", ""),
        ("change_fee", "کاهش کارمزد"),
        ("revoke", "پایان دوره"),
    ]
    events = db.session.query(AuditEvent).order_by(AuditEvent.id).all()
    assert [e.action for e in events] == [
        "outsourcing.propose",
        "outsourcing.approve",
        "outsourcing.change_fee",
        "outsourcing.revoke",
    ]
    assert {e.object_ref for e in events} == {row.public_id}
    fee_change = events[2]
    assert fee_change.before["counter_fee_rial"] == 100_000 and fee_change.after["counter_fee_rial"] == 90_000
    assert events[3].before["status"] == "approved" and events[3].after["status"] == "revoked"
    assert audit.verify().ok
