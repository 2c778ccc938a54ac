"""The database refuses what the models' constants do not allow, on both engines: unknown statuses, roles, channels,
payment kinds and methods, negative money. The CHECK constraints the migrations built are the ones the models
declare (Alembic's compare_metadata does not look at CHECK constraints, so this test does); JSON is jsonb on
PostgreSQL; the inbox query can use its partial index."""

import re

import pytest
from sqlalchemy import CheckConstraint, insert, inspect, text, update
from sqlalchemy.exc import IntegrityError

from app.administration import offices
from app.catalogue import queries as catalogue
from app.counter import fees, ledger
from app.extensions import db
from app.models import (
    Agency,
    Office,
    Payment,
    Request,
    RequestEvent,
    Role,
    ServiceRevision,
    User,
    new_public_id,
)
from app.requests import workflow
from tests import factories as f


def _meaning(sql):
    """What a CHECK says, the same for the model's SQL and either database's reflected text: the column and the
    set of allowed values for a list, else the expression without brackets, spaces and identifier quotes."""
    values = re.findall(r"'([^']*)'", sql)
    if values:
        return re.search(r"[a-z_]+", sql).group(0), frozenset(values)
    return re.sub(r'[()\s"]', "", sql)  # PostgreSQL quotes a column named like a keyword ("position")


def test_the_databases_check_constraints_are_the_models(app):
    with app.app_context():
        inspector = inspect(db.engine)
        names = set()
        for table in db.metadata.sorted_tables:
            declared = {
                c.name: _meaning(str(c.sqltext.compile(db.engine, compile_kwargs={"literal_binds": True})))
                for c in table.constraints
                if isinstance(c, CheckConstraint)
            }
            found = {c["name"]: _meaning(c["sqltext"]) for c in inspector.get_check_constraints(table.name)}
            assert found == declared, table.name
            names |= set(found)
    assert {
        "ck_request_status",
        "ck_request_channel",
        "ck_user_role",
        "ck_payment_kind",
        "ck_payment_method",
        "ck_payment_amount_rial_not_negative",
        "ck_service_revision_fee_rial_not_negative",
        "ck_day_close_difference",
        "ck_job_state",
        "ck_job_attempts_not_negative",
        "ck_data_access_data_kind",
        "ck_inquiry_state",
        "ck_rating_stars_range",
        "ck_complaint_state",
    } <= names
    # agency 2, service_revision 12, user 1, office 1, outsourcing 2, outsourcing_decision 2, request 3,
    # request_event 4, attachment 2, payment 3, sms_message 2, otp_challenge 2, day_close 3, job 2,
    # online_payment 2, simulated_gateway_payment 2, data_access 1, inquiry_type 2, service_inquiry 2, inquiry 3,
    # link 2, link_check 2, agency_connection_change 1, score_snapshot 1, rating 2, complaint 2
    assert len(names) == 63


def _request_values():
    target = f.service()
    return {
        "public_id": new_public_id(),
        "service_id": target.id,
        "revision_id": target.current_revision_id,
        "agency_id": target.agency_id,
        "applicant_id": f.citizen().id,
        "status": "submitted",
        "answers": {},
    }


def test_database_refuses_a_request_with_an_unknown_status(ctx):
    db.session.execute(insert(Request).values(**_request_values()))  # the same row with a known status goes in
    with pytest.raises(IntegrityError, match="ck_request_status"):
        db.session.execute(insert(Request).values(**{**_request_values(), "status": "lost"}))
    db.session.rollback()


def test_database_refuses_changing_a_request_to_an_unknown_status(ctx):
    db.session.execute(insert(Request).values(**_request_values()))
    with pytest.raises(IntegrityError, match="ck_request_status"):
        db.session.execute(update(Request).values(status="Submitted"))
    db.session.rollback()


def test_database_refuses_a_request_from_an_unknown_channel(ctx):
    with pytest.raises(IntegrityError, match="ck_request_channel"):
        db.session.execute(insert(Request).values(**{**_request_values(), "channel": "fax"}))
    db.session.rollback()


def _payment_values():
    request_id = db.session.execute(insert(Request).values(**_request_values()).returning(Request.id)).scalar_one()
    return {"request_id": request_id, "kind": "government_fee", "amount_rial": 150_000, "method": "cash"}


def test_database_refuses_a_negative_payment(ctx):
    db.session.execute(insert(Payment).values(**{**_payment_values(), "amount_rial": 0}))
    with pytest.raises(IntegrityError, match="ck_payment_amount_rial_not_negative"):
        db.session.execute(insert(Payment).values(**{**_payment_values(), "amount_rial": -150_000}))
    db.session.rollback()


def test_database_refuses_an_unknown_payment_method(ctx):
    db.session.execute(insert(Payment).values(**{**_payment_values(), "method": "online"}))
    with pytest.raises(IntegrityError, match="ck_payment_method"):
        db.session.execute(insert(Payment).values(**{**_payment_values(), "method": "cheque"}))
    db.session.rollback()


def test_database_refuses_an_unknown_payment_kind(ctx):
    with pytest.raises(IntegrityError, match="ck_payment_kind"):
        db.session.execute(insert(Payment).values(**{**_payment_values(), "kind": "tip"}))
    db.session.rollback()


def test_database_refuses_an_unknown_role(ctx):
    with pytest.raises(IntegrityError, match="ck_user_role"):
        db.session.execute(insert(User).values(public_id=new_public_id(), role="superuser", username="root"))
    db.session.rollback()


def test_database_refuses_a_negative_card_fee(ctx):
    service = f.service()
    with pytest.raises(IntegrityError, match="ck_service_revision_fee_rial_not_negative"):
        db.session.execute(update(ServiceRevision).where(ServiceRevision.service_id == service.id).values(fee_rial=-1))
    db.session.rollback()


def test_every_enumerated_value_has_its_label(app):
    """The labels the pages show and the constants the database enforces name the same values."""
    assert set(workflow.STATUS_LABELS) == set(Request.STATUSES)
    assert {t.action for t in workflow.TRANSITIONS} == set(RequestEvent.ACTIONS)
    assert set(workflow.OPEN_STATES) | {"approved"} == set(Request.DESK_STATUSES)
    assert set(catalogue.SERVICE_TYPES) == set(ServiceRevision.SERVICE_TYPES)
    assert set(catalogue.LEVELS) == set(ServiceRevision.LEVELS)
    assert set(catalogue.NATURES) == set(ServiceRevision.NATURES)
    assert set(catalogue.STAGES) == set(ServiceRevision.STAGES)
    assert set(catalogue.STAGE_MODES) == set(ServiceRevision.STAGE_MODES)
    assert set(catalogue.CONNECTION_STATUSES) == set(Agency.CONNECTION_STATUSES)
    assert set(catalogue.AGENCY_LEVELS) == set(Agency.LEVELS)
    assert set(offices.STATUS_LABELS) == set(Office.STATUSES)
    with app.test_request_context():
        assert {method: ledger.method_label(method) for method in Payment.METHODS} == {
            "cash": "نقد",
            "card": "کارت (پایانهٔ فروش)",
            "online": "پرداخت اینترنتی (درگاه بانکی)",
        }
    assert fees.COUNTER_METHODS == ("cash", "card")  # a counter never takes a fee "online"
    assert Payment.METHODS == ("cash", "card", "online")
    assert set(Role.ALL) == {
        "citizen",
        "clerk",
        "office_manager",
        "agency_officer",
        "agency_manager",
        "provincial_admin",
        "national_admin",
    }


JSON_COLUMNS = {
    "request": {"answers"},
    "day_close": {"totals"},
    "audit_event": {"before", "after"},
    "service_revision": {
        "keywords",
        "conditions",
        "documents",
        "procedure",
        "channels",
        "cluster_slugs",
        "life_event_slugs",
        "province_codes",
        "form_definition",
    },
}


def test_json_columns_are_jsonb_on_postgresql(app):
    with app.app_context():
        inspector = inspect(db.engine)
        expected = "JSONB" if db.engine.dialect.name == "postgresql" else "JSON"
        for table, columns in JSON_COLUMNS.items():
            types = {c["name"]: type(c["type"]).__name__ for c in inspector.get_columns(table)}
            assert {name: types[name] for name in columns} == dict.fromkeys(columns, expected), table


def test_inbox_query_can_use_its_partial_index(ctx):
    """The inbox's condition reaches the database with the statuses as literals, which is what lets either planner
    prove it implies the partial index's WHERE (with seq scans off, PostgreSQL must then choose the index)."""
    officer = f.staff(Role.AGENCY_OFFICER, agency_id=f.agency().id)
    query = (
        db.select(Request.id)
        .where(Request.agency_id == officer.agency_id, Request.awaiting_desk())
        .order_by(Request.submitted_at, Request.id)
        .limit(51)
    )
    compiled = query.compile(db.engine, compile_kwargs={"render_postcompile": True})
    sql = str(compiled)
    assert "IN ('submitted', 'in_review', 'needs_info', 'resubmitted', 'approved')" in sql
    connection = db.session.connection()
    params = tuple(compiled.params[name] for name in compiled.positiontup) if compiled.positional else compiled.params
    if db.engine.dialect.name == "postgresql":
        connection.execute(text("SET LOCAL enable_seqscan = off"))
        plan = [row[0] for row in connection.exec_driver_sql("EXPLAIN " + sql, params)]
    else:
        plan = [row[-1] for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params)]
    assert any("ix_request_desk_inbox" in line for line in plan), plan
    db.session.rollback()
