"""The data-access log as rules: one chained, append-only entry per use, a reload is not a new use, the citizen's
own entries only, filters, hiding until a date, and tampering found by verify()."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from app.adapters import ownership
from app.administration import audit
from app.counter import flow
from app.extensions import db
from app.models import Role, utcnow
from app.models.data_access import DataAccess
from app.people import data_access
from tests import factories as f
from tests.web.helpers import shown_tracking_code


def _count():
    return db.session.execute(select(func.count()).select_from(DataAccess)).scalar_one()


@pytest.fixture
def setup(ctx):
    target = f.service()
    officer = f.staff(Role.AGENCY_OFFICER, agency_id=target.agency_id)
    owner, other = f.citizen(), f.citizen()
    found = f.filed(target, owner)
    db.session.commit()
    return {"service": target, "officer": officer, "owner": owner, "other": other, "request": found}


def _use(setup):
    data_access.note_desk_use(setup["officer"], setup["request"], data_access.VIEW_REQUEST, "request")
    return db.session.execute(select(DataAccess).order_by(DataAccess.id.desc())).scalars().first()


def test_an_officer_opening_a_request_writes_one_entry_naming_the_agency(setup):
    row = _use(setup)
    assert _count() == 1
    assert row.national_code == setup["owner"].national_code
    assert row.agency_id == setup["service"].agency_id and row.office_id is None
    assert row.official_id == setup["officer"].id  # kept for audits
    assert row.tracking_code == setup["request"].tracking_code
    line = data_access.explain(row)
    assert setup["service"].agency.name in line.sentence and shown_tracking_code(row.tracking_code) in line.sentence
    assert setup["officer"].full_name not in line.sentence


def test_a_reload_within_the_window_is_not_a_second_use_but_a_later_visit_is(setup, app):
    first = _use(setup)
    _use(setup)
    assert _count() == 1
    # The officer comes back after the window: a new use.
    first_id = first.id
    db.session.execute(
        text("UPDATE data_access SET created_at = :t WHERE id = :id"),
        {"t": utcnow() - timedelta(minutes=app.config["DATA_ACCESS_REPEAT_MINUTES"] + 1), "id": first_id},
    )
    db.session.commit()
    _use(setup)
    assert _count() == 2


def test_the_citizen_reading_their_own_request_is_not_recorded(setup):
    data_access.note_desk_use(setup["owner"], setup["request"], data_access.VIEW_REQUEST, "request")
    assert _count() == 0


def test_a_clerk_identifying_a_citizen_writes_one_entry_naming_the_office_once_the_registry_confirms(ctx):
    target = f.service()
    f.outsourcing(target)
    office = f.office(name="دفتر پیشخوان شمارهٔ ۱۲")
    clerk = f.staff(Role.CLERK, office=office)
    ownership.register(f.national_code(4242), "09351234567")
    db.session.commit()
    filing = flow.begin(target, office, clerk)
    with pytest.raises(flow.CounterError):  # the registry does not confirm this pair: no use recorded
        flow.identify(filing, f.national_code(4242), "رضا پیاده", "09129998877", "paper", "1405/7")
    assert _count() == 0
    flow.identify(filing, f.national_code(4242), "رضا پیاده", "09351234567", "paper", "1405/7")
    row = db.session.execute(select(DataAccess)).scalar_one()
    assert (row.national_code, row.office_id, row.official_id, row.data_kind) == (
        f.national_code(4242),
        office.id,
        clerk.id,
        "identity",
    )
    assert "دفتر پیشخوان شمارهٔ ۱۲" in data_access.explain(row).sentence


def test_the_citizen_sees_only_their_own_entries_newest_first_and_paged(setup):
    other_request = f.filed(setup["service"], setup["other"])
    officers = [f.staff(Role.AGENCY_OFFICER, agency_id=setup["service"].agency_id) for _ in range(5)]
    db.session.commit()
    for officer in officers:
        data_access.note_desk_use(officer, setup["request"], data_access.VIEW_REQUEST, "request")
        data_access.note_desk_use(officer, other_request, data_access.VIEW_REQUEST, "request")
    page, older = data_access.entries(setup["owner"], size=3)
    assert [line.entry.official_id for line in page] == [o.id for o in reversed(officers)][:3]
    assert {line.entry.national_code for line in page} == {setup["owner"].national_code}
    rest, end = data_access.entries(setup["owner"], size=3, before_id=older)
    assert [line.entry.official_id for line in rest] == [officers[1].id, officers[0].id]
    assert end is None
    assert data_access.entries(setup["officer"])[0] == []  # staff have no log of their own here


def test_filters_by_organisation_and_period(setup):
    _use(setup)
    office = f.office(name="دفتر نمونه")
    clerk = f.staff(Role.CLERK, office=office)
    db.session.commit()
    data_access.record(
        national_code=setup["owner"].national_code,
        purpose=data_access.COUNTER_IDENTIFY,
        data_kind="identity",
        office=office,
        official=clerk,
    )
    db.session.commit()
    choices = dict(data_access.organisations(setup["owner"]))
    assert set(choices.values()) == {setup["service"].agency.name, "دفتر نمونه"}
    only_office, _ = data_access.entries(setup["owner"], f"o:{office.code}")
    assert [line.entry.office_id for line in only_office] == [office.id]
    only_agency, _ = data_access.entries(setup["owner"], f"a:{setup['service'].agency.code}")
    assert [line.entry.agency_id for line in only_agency] == [setup["service"].agency_id]
    now = utcnow()
    assert len(data_access.entries(setup["owner"], since=now - timedelta(hours=1))[0]) == 2
    assert data_access.entries(setup["owner"], until=now - timedelta(hours=1))[0] == []


def test_a_hidden_entry_is_not_shown_until_its_date_then_is(setup):
    admin = f.staff(Role.NATIONAL_ADMIN)
    row = _use(setup)
    data_access.hide(admin, row, utcnow() + timedelta(days=3), "پروندهٔ بازرسی ۱۲/۴۵")
    db.session.commit()
    logged = db.session.execute(audit.events(admin, action="data_access.hide")).scalars().all()
    assert [event.after["reason"] for event in logged] == ["پروندهٔ بازرسی ۱۲/۴۵"]  # hiding is itself audited
    assert data_access.entries(setup["owner"])[0] == []
    assert data_access.organisations(setup["owner"]) == []  # the filter does not give the hidden agency away
    hidden = db.session.execute(data_access.hidden_entries(admin)).scalars().all()
    assert [(h.id, h.hidden_reason) for h in hidden] == [(row.id, "پروندهٔ بازرسی ۱۲/۴۵")]
    assert db.session.execute(data_access.hidden_entries(setup["officer"])).scalars().all() == []
    db.session.execute(text("UPDATE data_access SET hidden_until = :t"), {"t": utcnow() - timedelta(minutes=1)})
    db.session.commit()
    assert [line.entry.id for line in data_access.entries(setup["owner"])[0]] == [row.id]
    assert [name for _value, name in data_access.organisations(setup["owner"])] == [setup["service"].agency.name]
    assert data_access.verify().ok  # hiding does not touch the chain


def test_hiding_needs_a_reason_and_a_future_date(setup):
    admin = f.staff(Role.NATIONAL_ADMIN)
    row = _use(setup)
    with pytest.raises(data_access.HideError):
        data_access.hide(admin, row, utcnow() + timedelta(days=1), "  ")
    with pytest.raises(data_access.HideError):
        data_access.hide(admin, row, utcnow() - timedelta(days=1), "پرونده")


def test_entries_are_append_only(setup):
    row = _use(setup)
    row.purpose = "something.else"
    with pytest.raises(data_access.AppendOnly):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(DataAccess, row.id))
    with pytest.raises(data_access.AppendOnly):
        db.session.flush()
    db.session.rollback()


def _three_entries(setup):
    officers = [f.staff(Role.AGENCY_OFFICER, agency_id=setup["service"].agency_id) for _ in range(3)]
    db.session.commit()
    for officer in officers:
        data_access.note_desk_use(officer, setup["request"], data_access.VIEW_REQUEST, "request")
    ids = db.session.execute(select(DataAccess.id).order_by(DataAccess.id)).scalars().all()
    assert data_access.verify().ok and data_access.verify().count == 3
    return ids


def test_an_edited_entry_is_found(setup):
    ids = _three_entries(setup)
    db.session.execute(text("UPDATE data_access SET agency_id = NULL WHERE id = :id"), {"id": ids[1]})
    db.session.commit()
    result = data_access.verify()
    assert (result.ok, result.broken_id) == (False, ids[1])
    assert "edited" in result.summary()


def test_a_removed_entry_is_found_in_the_middle_and_at_the_end(setup):
    ids = _three_entries(setup)
    db.session.execute(text("DELETE FROM data_access WHERE id = :id"), {"id": ids[2]})
    db.session.commit()
    result = data_access.verify()
    assert (result.ok, result.broken_id) == (False, None)
    db.session.execute(text("DELETE FROM data_access WHERE id = :id"), {"id": ids[0]})
    db.session.commit()
    assert (data_access.verify().ok, data_access.verify().broken_id) == (False, ids[1])


def test_the_audit_chain_is_its_own(setup):
    _three_entries(setup)
    assert audit.verify().ok
