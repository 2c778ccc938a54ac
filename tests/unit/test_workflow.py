"""The one state machine: every allowed transition works, every other one is refused and changes nothing."""

from datetime import datetime, timedelta

import pytest

from app.core.persian import to_persian_digits
from app.extensions import db
from app.models import Request, RequestEvent, Role
from app.requests import workflow
from tests import factories as f

# Written out by hand from the domain, never read from workflow.TRANSITIONS: the table under test.
STATES = (
    "draft",
    "submitted",
    "in_review",
    "needs_info",
    "resubmitted",
    "approved",
    "rejected",
    "delivered",
    "withdrawn",
)
ACTIONS = ("submit", "take", "ask_info", "answer", "approve", "reject", "deliver", "withdraw", "message")
# Who acts: the applicant, the agency's staff, the counter's staff, the administrators, and nobody signed in.
ACTORS = (
    "citizen",
    "agency_officer",
    "agency_manager",
    "clerk",
    "office_manager",
    "provincial_admin",
    "national_admin",
    "system",
)
APPLICANT = {"citizen"}
AGENCY = {"agency_officer", "agency_manager"}
BOTH_SIDES = {"citizen", "agency_officer", "agency_manager"}

# (state, action) -> (state afterwards, who may do it). Every pair not listed is refused to everyone, and
# nothing is open to the administrators: they run the system, they do not decide requests.
EXPECTED = {
    # ("draft", "submit") is refused here to everyone: only filing.file_request submits, through
    # workflow.record_submission, once the answers are checked and the tracking code allocated (test_filing.py).
    ("submitted", "take"): ("in_review", AGENCY),
    ("resubmitted", "take"): ("in_review", AGENCY),
    ("in_review", "ask_info"): ("needs_info", AGENCY),
    ("needs_info", "answer"): ("resubmitted", APPLICANT),
    ("in_review", "approve"): ("approved", AGENCY),
    ("in_review", "reject"): ("rejected", AGENCY),
    ("approved", "deliver"): ("delivered", AGENCY),
    # The applicant may withdraw while the request is open, not once it is decided.
    ("submitted", "withdraw"): ("withdrawn", APPLICANT),
    ("in_review", "withdraw"): ("withdrawn", APPLICANT),
    ("needs_info", "withdraw"): ("withdrawn", APPLICANT),
    ("resubmitted", "withdraw"): ("withdrawn", APPLICANT),
    # A message changes no state; it is possible while the request is open and until the approved result is
    # delivered.
    ("submitted", "message"): ("submitted", BOTH_SIDES),
    ("in_review", "message"): ("in_review", BOTH_SIDES),
    ("needs_info", "message"): ("needs_info", BOTH_SIDES),
    ("resubmitted", "message"): ("resubmitted", BOTH_SIDES),
    ("approved", "message"): ("approved", BOTH_SIDES),
}


@pytest.fixture
def people(ctx):
    owner, office = f.agency(), f.office()
    return {
        "service": f.service(owner),
        "citizen": f.citizen(),
        "system": None,
        "agency_officer": f.staff(Role.AGENCY_OFFICER, agency=owner),
        "agency_manager": f.staff(Role.AGENCY_MANAGER, agency=owner),
        "clerk": f.staff(Role.CLERK, office=office),
        "office_manager": f.staff(Role.OFFICE_MANAGER, office=office),
        "provincial_admin": f.staff(Role.PROVINCIAL_ADMIN, province=f.province()),
        "national_admin": f.staff(Role.NATIONAL_ADMIN),
    }


def _request_in(people, status):
    request = f.filed(people["service"], people["citizen"])
    request.status = status
    db.session.commit()
    return request


def _events(request):
    return db.session.query(RequestEvent).filter_by(request_id=request.id).count()


def test_the_expected_table_names_every_state_and_action_of_the_workflow():
    assert set(workflow.STATUS_LABELS) == set(STATES)
    assert set(workflow.BY_ACTION) == set(ACTIONS)


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("state", STATES)
def test_transition_table_is_enforced(people, state, action):
    target, allowed = EXPECTED.get((state, action), (None, set()))
    args = {"message": "متن", "result_note": "از دفتر استان تحویل بگیرید"}
    shared = _request_in(people, state)  # a refusal changes nothing, so one request serves every refusal
    outcome = {}
    for actor in ACTORS:
        request = _request_in(people, state) if actor in allowed else shared
        before = _events(request)
        try:
            event = workflow.advance(request, action, people[actor], **args)
        except workflow.WorkflowError as error:
            assert error.message, actor  # a clear Persian message, not a crash
            db.session.rollback()
            unchanged = request.status == state and _events(request) == before
            outcome[actor] = "refused" if unchanged else "refused, but changed the request"
        else:
            db.session.commit()
            recorded = (event.from_status, event.to_status, _events(request)) == (state, request.status, before + 1)
            outcome[actor] = request.status if recorded else "done, without its event"
    assert outcome == {actor: target if actor in allowed else "refused" for actor in ACTORS}


def test_rejecting_needs_a_reason(people):
    request = _request_in(people, "in_review")
    with pytest.raises(workflow.WorkflowError):
        workflow.advance(request, "reject", people["agency_officer"], message="  ")
    assert request.status == "in_review"


def test_delivering_needs_a_document_or_a_note(people):
    request = _request_in(people, "approved")
    with pytest.raises(workflow.WorkflowError):
        workflow.advance(request, "deliver", people["agency_officer"])
    workflow.advance(request, "deliver", people["agency_officer"], result_note="از دفتر مرکزی تحویل بگیرید.")
    assert request.status == "delivered" and request.delivered_at is not None


def test_decisions_notify_the_applicant_by_sms(people):
    from app.models import SmsMessage

    request = _request_in(people, "in_review")
    workflow.advance(request, "ask_info", people["agency_officer"], message="تصویر سند را بفرستید.")
    db.session.commit()
    texts = [m.body for m in db.session.query(SmsMessage).filter_by(mobile=people["citizen"].mobile)]
    assert any(to_persian_digits(request.tracking_code) in text and "مدرک" in text for text in texts)


def test_timeline_names_the_agency_not_the_officer(people):
    request = _request_in(people, "submitted")
    event = workflow.advance(request, "take", people["agency_officer"])
    assert workflow.event_actor(event, request) == request.agency.name
    assert people["agency_officer"].full_name not in workflow.event_actor(event, request)


def test_advance_refuses_to_submit_a_draft_whoever_asks(people):
    from app.requests.filing import save_draft

    draft = save_draft(people["service"], people["citizen"], {"description": "x" * 5000})
    for actor in ACTORS:
        with pytest.raises(workflow.WorkflowError) as error:
            workflow.advance(draft, "submit", people[actor])
        assert "فقط با فرستادن فرم" in error.value.message, actor
        db.session.rollback()
    assert draft.status == "draft" and draft.tracking_code is None and _events(draft) == 0


def test_check_gives_the_reason_an_action_is_refused_and_none_when_it_is_allowed(people):
    request = _request_in(people, "in_review")
    officer = people["agency_officer"]
    assert workflow.check(request, "approve", officer) is None
    assert workflow.check(request, "reject", officer, message="مدرک ناخوانا است") is None
    assert workflow.check(request, "reject", officer, message="  ") == "متن پیام یا دلیل را بنویسید."
    assert (
        workflow.check(request, "approve", people["citizen"]) == "شما نمی‌توانید این کار را روی این درخواست انجام دهید."
    )
    assert workflow.check(request, "deliver", officer) == "این کار در وضعیت «در حال بررسی» ممکن نیست."
    assert workflow.check(request, "fly", officer) == "این کار شناخته نیست."


def test_an_action_on_a_request_changed_meanwhile_is_refused_without_event_or_sms(people):
    from sqlalchemy import update

    from app.models import Request, SmsMessage

    request = _request_in(people, "in_review")
    assert request.status == "in_review"  # read, as the desk page reads it
    with db.engine.begin() as other:  # another officer approves it in the meantime
        other.execute(
            update(Request).where(Request.id == request.id).values(status="approved", version=Request.version + 1)
        )
    with pytest.raises(workflow.ChangedError) as error:
        workflow.advance(request, "reject", people["agency_officer"], message="مدرک ناخوانا است")
    assert error.value.message == "این درخواست همین حالا تغییر کرد؛ صفحه را دوباره باز کنید."
    db.session.rollback()
    assert request.status == "approved"
    assert _events(request) == 1  # the submission only
    assert db.session.query(SmsMessage).filter_by(purpose="status").count() == 0


def test_a_status_sms_leaves_only_with_the_commit_that_made_the_change(people, app, httpserver, monkeypatch):
    import json

    request = _request_in(people, "in_review")
    httpserver.expect_request("/send", method="POST").respond_with_data("ok")
    monkeypatch.setitem(app.config, "SMS_BACKEND", "http")
    monkeypatch.setitem(app.config, "SMS_HTTP_URL", httpserver.url_for("/send"))
    workflow.advance(request, "approve", people["agency_officer"])
    db.session.rollback()  # the approval did not happen, so its SMS must not leave either
    f.citizen()
    db.session.commit()  # a later, unrelated commit
    assert httpserver.log == []
    workflow.advance(request, "approve", people["agency_officer"])
    db.session.commit()
    assert len(httpserver.log) == 1
    sent = json.loads(httpserver.log[0][0].data)
    assert sent["to"] == people["citizen"].mobile and to_persian_digits(request.tracking_code) in sent["text"]


# --- the SLA clock ---------------------------------------------------------------------------------------------

NOW = datetime(2026, 3, 1, 8, 0)  # naive UTC, as stored


def _due(status, **offset):
    return Request(status=status, due_at=NOW + timedelta(**offset))


@pytest.mark.parametrize(
    ("offset", "expected"),
    [
        ({"days": 5}, 5),  # due exactly five days from now
        ({"days": 4, "hours": 23, "minutes": 59}, 5),  # a day begun counts as a day
        ({"days": 4, "hours": 1}, 5),
        ({"hours": 1}, 1),
        ({"seconds": 0}, 0),  # due this very moment: not late yet
        ({"minutes": -1}, -1),  # a minute late is a day late
        ({"hours": -23}, -1),
        ({"hours": -24}, -1),
        ({"hours": -25}, -2),
        ({"days": -10}, -10),
    ],
)
def test_days_left_counts_whole_days_and_days_late(offset, expected):
    assert workflow.days_left(_due("in_review", **offset), now=NOW) == expected


@pytest.mark.parametrize("status", ["submitted", "in_review", "needs_info", "resubmitted"])
def test_every_open_request_has_a_clock(status):
    assert workflow.days_left(_due(status, days=3), now=NOW) == 3


@pytest.mark.parametrize("status", ["draft", "approved", "rejected", "delivered", "withdrawn"])
def test_a_draft_or_decided_request_has_no_clock(status):
    assert workflow.days_left(_due(status, days=-3), now=NOW) is None


def test_a_service_without_a_declared_duration_has_no_clock():
    assert workflow.days_left(Request(status="submitted", due_at=None), now=NOW) is None
