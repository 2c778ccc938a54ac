"""Only the filing path submits a draft, and the request lists survive rows written outside the state machine."""

import pytest

from app.extensions import db
from app.models import Request, RequestEvent, Role, Service, User, new_public_id
from tests import factories as f
from tests.web.helpers import sign_in_citizen, sign_in_staff

FORM = [
    {"name": "plate", "type": "text", "label": "شمارهٔ پلاک", "required": True, "max_length": 20},
    {"name": "reason", "type": "textarea", "label": "شرح", "required": False, "max_length": 2000},
]


@pytest.fixture
def world(app):
    with app.app_context():
        owner = f.agency(name="پلیس راهور")
        service = f.service(owner, form=FORM, title="صدور المثنی کارت خودرو")
        office = f.office()
        f.outsourcing(service)
        alice = f.citizen(3001, mobile="09120003001")
        f.staff(Role.AGENCY_OFFICER, username="officer", agency=owner)
        f.staff(Role.CLERK, username="clerk", office=office)
        db.session.commit()
        return {
            "service": service.code,
            "service_id": service.id,
            "revision_id": service.current_revision.id,
            "agency_id": owner.id,
            "office_id": office.id,
            "alice": (alice.national_code, alice.mobile),
            "alice_id": alice.id,
        }


def _save_draft(client, world, **answers):
    response = client.post(
        f"/services/{world['service']}/apply", data={"idempotency_key": "d" * 24, "action": "draft", **answers}
    )
    assert response.status_code == 302
    return response.headers["Location"].rsplit("draft=", 1)[1]


def test_posting_submit_to_a_draft_is_refused_and_leaves_it_a_draft(client, app, world):
    sign_in_citizen(client, app, *world["alice"])
    public_id = _save_draft(client, world, plate="۱۲ب۳۴۵", reason="x" * 5000)  # a draft keeps what was typed
    response = client.post(f"/requests/{public_id}/act", data={"action": "submit"})
    assert response.status_code == 400
    assert "پیش‌نویس فقط با فرستادن فرم درخواست ثبت می‌شود" in response.get_data(as_text=True)
    with app.app_context():
        draft = db.session.execute(db.select(Request)).scalar_one()
        assert (draft.status, draft.tracking_code, draft.submitted_at) == ("draft", None, None)
        assert db.session.query(RequestEvent).count() == 0
    assert client.get("/account/requests").status_code == 200


@pytest.mark.parametrize("action", ["withdraw", "message", "answer"])
def test_no_other_action_reaches_a_draft_either(client, app, world, action):
    sign_in_citizen(client, app, *world["alice"])
    public_id = _save_draft(client, world, plate="۱۲ب۳۴۵")
    response = client.post(f"/requests/{public_id}/act", data={"action": action, "message": "سلام", "confirm": "yes"})
    assert response.status_code == 400 and "در وضعیت «پیش‌نویس» ممکن نیست" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(db.select(Request.status)).scalar_one() == "draft"
        assert db.session.query(RequestEvent).count() == 0


def _odd_row(world, **columns):
    """A request as no code path writes it: submitted without a tracking code or dates, inserted directly."""
    values = {
        "public_id": new_public_id(),
        "service_id": world["service_id"],
        "revision_id": world["revision_id"],
        "agency_id": world["agency_id"],
        "applicant_id": world["alice_id"],
        "status": "in_review",
        "tracking_code": None,
        "submitted_at": None,
        "due_at": None,
        "answers": {},
    }
    db.session.execute(db.insert(Request).values(**{**values, **columns}))
    db.session.commit()


def test_my_requests_desk_and_counter_lists_show_a_request_without_tracking_code_or_dates(client, app, world):
    with app.app_context():
        _odd_row(world)
        _odd_row(world, channel="counter", office_id=world["office_id"], status="submitted")
    sign_in_citizen(client, app, *world["alice"])
    mine = client.get("/account/requests")
    assert mine.status_code == 200 and mine.get_data(as_text=True).count("صدور المثنی کارت خودرو") == 2
    officer = app.test_client()
    sign_in_staff(officer, "officer")
    for url in ("/desk/", "/desk/?status=in_review", "/desk/?status=any"):
        desk = officer.get(url)
        assert desk.status_code == 200 and "صدور المثنی کارت خودرو" in desk.get_data(as_text=True), url
    clerk = app.test_client()
    sign_in_staff(clerk, "clerk")
    counter = clerk.get("/counter/requests")
    assert counter.status_code == 200 and "صدور المثنی کارت خودرو" in counter.get_data(as_text=True)


def test_a_status_the_lists_do_not_know_is_shown_as_stored(app, world):
    # The database is to refuse unknown statuses (a CHECK constraint), so this row is built in memory and
    # rendered through the status macro every list uses.
    with app.test_request_context():
        macro = app.jinja_env.get_template("components/requests.html").module.status_tag
        from app.requests.workflow import STATUS_LABELS

        html = str(macro(Request(status="archived"), STATUS_LABELS))
        assert ">archived</span>" in html
        assert ">در حال بررسی</span>" in str(macro(Request(status="in_review"), STATUS_LABELS))


def test_acting_on_a_request_decided_meanwhile_says_why_on_the_page(client, app, world):
    from app.requests import workflow

    with app.app_context():
        service = db.session.get(Service, world["service_id"])
        filed = f.filed(service, db.session.get(User, world["alice_id"]), {"plate": "۱۲ب۳۴۵"})
        officer = db.session.execute(db.select(User).filter_by(username="officer")).scalar_one()
        workflow.advance(filed, "take", officer)
        workflow.advance(filed, "reject", officer, message="مدرک ناخوانا است")
        db.session.commit()
        code = filed.tracking_code
    sign_in_staff(client, "officer")
    response = client.post(f"/desk/requests/{code}/act", data={"action": "approve"})  # from a page read before
    assert response.status_code == 400
    assert "این کار در وضعیت «رد شده» ممکن نیست." in response.get_data(as_text=True)
