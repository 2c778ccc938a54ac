"""The one state machine: every allowed transition works, every other one is refused and changes nothing."""
import pytest

from app.requests import workflow
from app.extensions import db
from app.models import RequestEvent, Role
from tests import factories as f

STATES = list(workflow.STATUS_LABELS)


@pytest.fixture
def people(ctx):
    owner = f.agency()
    return {"service": f.service(owner), "citizen": f.citizen(),
            "officer": f.staff(Role.AGENCY_OFFICER, agency=owner), "clerk": f.staff(Role.CLERK, office=f.office())}


def _request_in(people, status):
    request = f.filed(people["service"], people["citizen"])
    request.status = status
    db.session.commit()
    return request


def _actor(people, kind):
    return {"citizen": people["citizen"], "officer": people["officer"], "clerk": people["clerk"]}[kind]


CASES = [(t, state, kind) for t in workflow.TRANSITIONS if t.action != "submit"
         for state in STATES for kind in ("citizen", "officer", "clerk")]


@pytest.mark.parametrize("transition,state,kind", CASES,
                         ids=[f"{t.action}-{s}-{k}" for t, s, k in CASES])
def test_transition_table_is_enforced(people, transition, state, kind):
    request = _request_in(people, state)
    events_before = db.session.query(RequestEvent).filter_by(request_id=request.id).count()
    allowed = state in transition.sources and kind in transition.actors
    args = {"message": "متن", "result_note": "از دفتر استان تحویل بگیرید"}
    if allowed:
        workflow.advance(request, transition.action, _actor(people, kind), **args)
        db.session.commit()
        assert request.status == (transition.target or state)
        assert db.session.query(RequestEvent).filter_by(request_id=request.id).count() == events_before + 1
    else:
        with pytest.raises(workflow.WorkflowError) as error:
            workflow.advance(request, transition.action, _actor(people, kind), **args)
        assert error.value.message  # a clear Persian message, not a crash
        db.session.rollback()
        assert request.status == state
        assert db.session.query(RequestEvent).filter_by(request_id=request.id).count() == events_before


def test_rejecting_needs_a_reason(people):
    request = _request_in(people, "in_review")
    with pytest.raises(workflow.WorkflowError):
        workflow.advance(request, "reject", people["officer"], message="  ")
    assert request.status == "in_review"


def test_delivering_needs_a_document_or_a_note(people):
    request = _request_in(people, "approved")
    with pytest.raises(workflow.WorkflowError):
        workflow.advance(request, "deliver", people["officer"])
    workflow.advance(request, "deliver", people["officer"], result_note="از دفتر مرکزی تحویل بگیرید.")
    assert request.status == "delivered" and request.delivered_at is not None


def test_decisions_notify_the_applicant_by_sms(people):
    from app.models import SmsMessage
    request = _request_in(people, "in_review")
    workflow.advance(request, "ask_info", people["officer"], message="تصویر سند را بفرستید.")
    db.session.commit()
    texts = [m.body for m in db.session.query(SmsMessage).filter_by(mobile=people["citizen"].mobile)]
    assert any(request.tracking_code in text and "مدرک" in text for text in texts)


def test_timeline_names_the_agency_not_the_officer(people):
    request = _request_in(people, "submitted")
    event = workflow.advance(request, "take", people["officer"])
    assert workflow.event_actor(event, request) == request.agency.name
    assert people["officer"].full_name not in workflow.event_actor(event, request)
