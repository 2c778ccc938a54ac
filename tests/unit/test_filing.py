"""The one filing path: validation, tracking codes, one transaction, idempotency, counter rules."""

import pytest

from app.core.identifiers import is_valid_tracking_code
from app.core.persian import to_persian_digits
from app.extensions import db
from app.models import Payment, Request, RequestEvent, Role, SmsMessage
from app.requests.filing import Filing, FilingError, file_request
from tests import factories as f

FORM = [
    {"name": "plate", "type": "text", "label": "شمارهٔ پلاک", "required": True, "max_length": 20},
    {"name": "visits", "type": "number", "label": "تعداد", "required": False, "min": 1, "max": 9},
]


@pytest.fixture
def service(ctx):
    return f.service(form=FORM, duration_days=10)


def test_filing_writes_request_event_and_sms_with_a_valid_tracking_code(service):
    applicant = f.citizen()
    request = f.filed(service, applicant, {"plate": "۱۲ب۳۴۵"})
    assert is_valid_tracking_code(request.tracking_code)
    assert request.status == "submitted" and request.revision == service.current_revision
    assert [e.action for e in request.events] == ["submit"]
    assert request.due_at is not None
    sms = db.session.query(SmsMessage).filter_by(mobile=applicant.mobile).one()
    assert to_persian_digits(request.tracking_code) in sms.body.replace(" ", "")  # the Persian digits the page shows


def test_answers_that_the_form_refuses_are_refused_by_the_filing_path_too(service):
    with pytest.raises(FilingError) as error:
        f.filed(service, f.citizen(), {"visits": 50})
    assert set(error.value.field_errors) == {"plate", "visits"}
    assert db.session.query(Request).count() == 0


def test_same_idempotency_key_files_one_request(service):
    applicant = f.citizen()
    first = f.filed(service, applicant, {"plate": "x"}, idempotency_key="k" * 20)
    second = f.filed(service, applicant, {"plate": "x"}, idempotency_key="k" * 20)
    assert first.id == second.id
    assert db.session.query(Request).count() == 1
    assert db.session.query(RequestEvent).count() == 1


def test_a_key_reused_for_someone_else_is_refused(service):
    f.filed(service, f.citizen(), {"plate": "x"}, idempotency_key="z" * 20)
    with pytest.raises(FilingError):
        f.filed(service, f.citizen(), {"plate": "x"}, idempotency_key="z" * 20)


def test_filed_before_finds_the_applicants_own_earlier_filing_only(service):
    from app.requests.filing import filed_before

    applicant, other = f.citizen(), f.citizen()
    first = f.filed(service, applicant, {"plate": "x"}, idempotency_key="q" * 20)
    assert filed_before("q" * 20, applicant) == first
    assert filed_before("q" * 20, other) is None  # someone else's key: file_request refuses it, the form stays
    assert filed_before("r" * 20, applicant) is None
    assert filed_before("", applicant) is None and filed_before(None, applicant) is None


def test_a_draft_is_locked_again_after_a_tracking_code_collision(service, monkeypatch):
    from sqlalchemy import event
    from sqlalchemy.dialects import postgresql

    from app.requests import filing as filing_module
    from app.requests.filing import save_draft

    taken = f.filed(service, f.citizen(), {"plate": "x"}).tracking_code
    applicant = f.citizen()
    draft = save_draft(service, applicant, {"plate": "y"})
    draws = [taken]  # the first code drawn is already stored; the next one is random again
    real = filing_module.new_tracking_code
    monkeypatch.setattr(filing_module, "new_tracking_code", lambda: draws.pop() if draws else real())
    seen = []
    session = db.session()

    def on_execute(state):
        # Compiled for PostgreSQL, where FOR UPDATE is rendered (SQLite's compiler leaves it out).
        if state.is_select and "FOR UPDATE" in str(state.statement.compile(dialect=postgresql.dialect())):
            seen.append("lock")

    def on_rollback(_session):
        seen.append("rollback")

    event.listen(session, "do_orm_execute", on_execute)
    event.listen(session, "after_rollback", on_rollback)
    try:
        filed = file_request(
            Filing(service=service, applicant=applicant, answers={"plate": "y"}, actor=applicant, draft=draft)
        )
    finally:
        event.remove(session, "do_orm_execute", on_execute)
        event.remove(session, "after_rollback", on_rollback)
    assert seen[:3] == ["lock", "rollback", "lock"]
    assert filed.id == draft.id and filed.status == "submitted" and filed.tracking_code not in (None, taken)
    assert db.session.query(RequestEvent).filter_by(request_id=draft.id).count() == 1


def test_a_request_keeps_the_revision_it_was_filed_under(service):
    from app.catalogue.queries import publish_revision
    from app.models import ServiceRevision

    request = f.filed(service, f.citizen(), {"plate": "x"})
    newer = ServiceRevision(
        service=service,
        number=2,
        status="approved",
        title="عنوان تازه",
        form_version=2,
        form_definition=[{"name": "other", "type": "text", "label": "دیگر", "required": True}],
    )
    db.session.add(newer)
    db.session.flush()
    publish_revision(service, newer, [], [], [])
    db.session.commit()
    db.session.refresh(request)
    assert request.revision.number == 1 and request.form_version == 1
    assert request.answers == {"plate": "x"}


def _counter_filing(service, office, clerk, key=None, applicant=None):
    return Filing(
        service=service,
        applicant=applicant or f.citizen(),
        answers={"plate": "x"},
        channel="counter",
        actor=clerk,
        office=office,
        idempotency_key=key,
        consent_method="paper",
        consent_reference="P-1",
        payments=[Payment(kind="counter_fee", amount_rial=50000, method="cash")],
    )


@pytest.mark.parametrize("status", [None, "pending", "rejected", "revoked"])
def test_counter_cannot_file_a_service_without_an_approved_outsourcing(service, status):
    office = f.office()
    if status:
        f.outsourcing(service, status=status)
    with pytest.raises(FilingError):
        file_request(_counter_filing(service, office, f.staff(Role.CLERK, office=office)))
    assert db.session.query(Request).count() == 0 and db.session.query(Payment).count() == 0


def test_counter_cannot_file_outside_the_outsourcing_provinces(service):
    f.outsourcing(service, provinces=["10"])  # Isfahan only
    tehran = f.office("23")
    with pytest.raises(FilingError):
        file_request(_counter_filing(service, tehran, f.staff(Role.CLERK, office=tehran)))


def test_counter_filing_records_office_clerk_and_one_payment_per_double_submit(service):
    f.outsourcing(service, provinces=["23"])
    office = f.office("23")
    clerk = f.staff(Role.CLERK, office=office)
    applicant = f.citizen()
    first = file_request(_counter_filing(service, office, clerk, key="c" * 24, applicant=applicant))
    second = file_request(_counter_filing(service, office, clerk, key="c" * 24, applicant=applicant))
    assert first.id == second.id
    assert first.channel == "counter" and first.office == office and first.filed_by == clerk
    assert db.session.query(Payment).count() == 1


def test_a_submitted_draft_sent_again_under_another_key_is_refused(service):
    from app.requests.filing import save_draft

    applicant = f.citizen()
    draft = save_draft(service, applicant, {"plate": "x"})
    first = file_request(
        Filing(
            service=service,
            applicant=applicant,
            answers={"plate": "x"},
            actor=applicant,
            idempotency_key="a" * 20,
            draft=draft,
        )
    )
    with pytest.raises(FilingError) as error:
        file_request(
            Filing(
                service=service,
                applicant=applicant,
                answers={"plate": "y"},
                actor=applicant,
                idempotency_key="b" * 20,
                draft=draft,
            )
        )
    assert error.value.message == "این پیش‌نویس قبلاً فرستاده شده است."
    db.session.rollback()
    assert db.session.query(RequestEvent).count() == 1 and first.answers == {"plate": "x"}


def test_saving_a_draft_changed_meanwhile_in_another_tab_does_not_overwrite_it(service):
    from sqlalchemy import update

    from app.requests.filing import save_draft

    applicant = f.citizen()
    draft = save_draft(service, applicant, {"plate": "first"})
    assert draft.answers == {"plate": "first"}  # read, as the apply page reads it
    with db.engine.begin() as other:  # the other tab saves first
        other.execute(
            update(Request)
            .where(Request.id == draft.id)
            .values(answers={"plate": "other tab"}, version=Request.version + 1)
        )
    with pytest.raises(FilingError) as error:
        save_draft(service, applicant, {"plate": "this tab"}, draft)
    assert error.value.message == "این درخواست همین حالا تغییر کرد؛ صفحه را دوباره باز کنید."
    assert db.session.get(Request, draft.id).answers == {"plate": "other tab"}


def test_no_draft_is_started_for_a_service_without_a_published_card(service):
    from app.requests.filing import save_draft

    service.current_revision = None
    db.session.flush()
    with pytest.raises(FilingError) as error:
        save_draft(service, f.citizen(), {"plate": "x"})
    assert error.value.message == "این خدمت اکنون پذیرش درخواست ندارد."
    assert db.session.query(Request).count() == 0


def test_a_counter_filing_whose_service_was_unpublished_meanwhile_has_no_form(service):
    from app.counter.flow import CounterFiling
    from app.requests.formdefs import FormUnavailable

    office = f.office()
    filing = CounterFiling(service, office, f.staff(Role.CLERK, office=office), {})
    service.current_revision = None
    db.session.flush()
    with pytest.raises(FormUnavailable) as error:
        _ = filing.definition
    assert error.value.message == "این خدمت اکنون پذیرش درخواست ندارد."
