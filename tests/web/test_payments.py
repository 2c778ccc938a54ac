"""Paying a government fee online (issue 12 item 8) through the bank-gateway simulator: pay, fail and cancel from
the check-your-answers page, the request filed with its payment in one go, a double callback filing once, the
simulator refusing what a bank refuses, someone else's payment a 404, and a refund due when a paid request is
rejected (the desk records it, audited)."""

from datetime import datetime, timedelta
from urllib.parse import urlsplit

import pytest

from app.adapters import payments as gateway
from app.demo import DEMO_PASSWORD
from app.extensions import db
from app.jobs import cleanup, outbox
from app.models import AuditEvent, Job, OnlinePayment, Payment, Request, Role, SimulatedGatewayPayment, User, utcnow
from app.requests import workflow
from app.requests.filing import save_draft
from tests import factories as f
from tests.web.helpers import last_sms, sign_in_citizen, sign_in_staff

FEE = 4_000_000
FEE_SHOWN = "۴٬۰۰۰٬۰۰۰ ریال"


@pytest.fixture
def world(app):
    with app.app_context():
        agency = f.agency(name="سازمان ثبت احوال آزمایشی")
        service = f.service(agency, title="صدور المثنی آزمایشی", fee_rial=FEE)
        person = f.citizen(8201, mobile="09120008201")
        other = f.citizen(8202, mobile="09120008202")
        officer = f.staff(Role.AGENCY_OFFICER, username="officer-pay", agency=agency)
        draft = save_draft(service, person, {"description": "برای گذرنامه"})
        db.session.commit()
        return {
            "service": service.code,
            "draft": draft.public_id,
            "person": (person.national_code, person.mobile),
            "other": (other.national_code, other.mobile),
            "officer": officer.username,
        }


@pytest.fixture
def citizen(client, app, world):
    sign_in_citizen(client, app, *world["person"])
    return client


def _path(response):
    """The redirect's target on this site, path and query."""
    target = urlsplit(response.headers["Location"])
    return target.path + ("?" + target.query if target.query else "")


def _to_gateway(client, world):
    """The check page's pay button: answers 303 to the simulator's page for this session."""
    response = client.post(f"/services/{world['service']}/apply/pay", data={"draft": world["draft"]})
    assert response.status_code == 303, response.get_data(as_text=True)
    location = _path(response)
    assert location.startswith("/pay/simulator/")
    return location


def _at_gateway(client, world, action, amount=str(FEE)):
    """To the gateway, press a button there; returns the callback address the simulator sends the citizen to."""
    page = _to_gateway(client, world)
    response = client.post(page, data={"action": action, "amount": amount})
    assert response.status_code == 303, response.get_data(as_text=True)
    return _path(response)


def _requests(app):
    with app.app_context():
        return db.session.execute(db.select(Request)).scalars().all()


def _payments(app):
    with app.app_context():
        return db.session.execute(db.select(Payment)).scalars().all()


def test_the_simulator_page_is_labelled_and_asks_for_the_fee(citizen, world):
    page = citizen.get(_to_gateway(citizen, world))
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "درگاه آزمایشی — پولی جابه‌جا نمی‌شود" in html
    assert FEE_SHOWN in html
    for button in ("پرداخت ۴٬۰۰۰٬۰۰۰ ریال", "پرداخت ناموفق (کارت رد شد)", "انصراف از پرداخت"):
        assert button in html


def test_paying_files_the_request_with_its_online_payment(citizen, app, world):
    callback = _at_gateway(citizen, world, "pay")
    assert callback.startswith("/pay/callback/") and "status=OK" in callback
    response = citizen.get(callback)
    assert response.status_code == 303
    filed = _requests(app)[0]
    assert filed.status == "submitted" and filed.tracking_code
    assert _path(response) == f"/requests/{filed.tracking_code}"
    [payment] = _payments(app)
    with app.app_context():
        bank = db.session.execute(db.select(SimulatedGatewayPayment)).scalar_one()
        online = db.session.execute(db.select(OnlinePayment)).scalar_one()
    assert (payment.kind, payment.amount_rial, payment.method) == ("government_fee", FEE, "online")
    assert payment.reference == bank.reference == online.gateway_reference and len(payment.reference) == 12
    assert online.state == "verified" and online.request_id == filed.id

    page = citizen.get(f"/requests/{filed.tracking_code}").get_data(as_text=True)
    assert "درخواست شما ثبت شد" in page
    assert FEE_SHOWN in page and "پرداخت اینترنتی (درگاه بانکی)" in page
    assert payment.reference.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")) in page


def test_a_failed_payment_returns_to_check_your_answers_with_nothing_lost(citizen, app, world):
    callback = _at_gateway(citizen, world, "fail")
    response = citizen.get(callback)
    assert response.status_code == 303
    assert _path(response) == f"/services/{world['service']}/apply/check?draft={world['draft']}"
    page = citizen.get(_path(response))
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "پرداخت انجام نشد و پولی از حساب شما برداشته نشد" in html
    assert "برای گذرنامه" in html  # the answer is still there
    [draft] = _requests(app)
    assert draft.status == "draft" and draft.tracking_code is None
    assert _payments(app) == []
    with app.app_context():
        assert db.session.execute(db.select(OnlinePayment.state)).scalar_one() == "failed"


def test_cancelling_at_the_gateway_returns_to_check_your_answers(citizen, app, world):
    response = citizen.get(_at_gateway(citizen, world, "cancel"))
    page = citizen.get(_path(response)).get_data(as_text=True)
    assert "پرداخت را لغو کردید" in page and "برای گذرنامه" in page
    assert [r.status for r in _requests(app)] == ["draft"]
    with app.app_context():
        assert db.session.execute(db.select(OnlinePayment.state)).scalar_one() == "cancelled"
    # Paying again afterwards opens a new session and files.
    response = citizen.get(_at_gateway(citizen, world, "pay"))
    assert [r.status for r in _requests(app)] == ["submitted"]
    assert len(_payments(app)) == 1


def test_a_double_callback_files_one_request_and_verifies_once(citizen, app, world):
    callback = _at_gateway(citizen, world, "pay")
    first, second = citizen.get(callback), citizen.get(callback)
    assert _path(first) == _path(second)
    assert len(_requests(app)) == 1 and len(_payments(app)) == 1
    with app.app_context():
        bank = db.session.execute(db.select(SimulatedGatewayPayment)).scalar_one()
        assert bank.verified_at is not None
        # Asking the bank again about the paid session gives the same answer and takes nothing more.
        again = gateway.verify(bank.authority, FEE)
        assert again == gateway.Verdict(gateway.PAID, bank.reference)


def test_the_callbacks_own_status_is_not_believed(citizen, app, world):
    page = _to_gateway(citizen, world)
    with app.app_context():
        token = db.session.execute(db.select(OnlinePayment.token)).scalar_one()
    response = citizen.get(f"/pay/callback/{token}?status=OK&authority={page.rsplit('/', 1)[1]}")
    assert response.status_code == 200
    assert "درگاه بانک هنوز پایان این پرداخت را اعلام نکرده است" in response.get_data(as_text=True)
    assert [r.status for r in _requests(app)] == ["draft"] and _payments(app) == []


def test_a_second_click_on_pay_goes_to_the_same_gateway_session(citizen, app, world):
    assert _to_gateway(citizen, world) == _to_gateway(citizen, world)
    with app.app_context():
        assert db.session.execute(db.select(db.func.count(OnlinePayment.id))).scalar_one() == 1


def test_the_simulator_refuses_a_changed_amount(citizen, app, world):
    page = _to_gateway(citizen, world)
    response = citizen.post(page, data={"action": "pay", "amount": "1000"})
    assert response.status_code == 400
    assert "مبلغ با مبلغ درخواست‌شدهٔ پذیرنده یکی نیست" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(db.select(SimulatedGatewayPayment.state)).scalar_one() == "started"


def test_the_simulated_bank_refuses_to_verify_another_amount(app, world):
    with app.test_request_context():
        started = gateway.start("order-1", FEE, "http://localhost/pay/callback/x")
        gateway.simulator_act(gateway.simulated_session(started.authority), "pay", str(FEE))
        assert gateway.verify(started.authority, FEE - 1).state == gateway.FAILED
        assert gateway.verify(started.authority, FEE).state == gateway.PAID


def test_the_simulator_refuses_an_unknown_or_expired_session(citizen, app, world):
    assert citizen.get("/pay/simulator/no-such-session").status_code == 404
    page = _to_gateway(citizen, world)
    with app.app_context():
        row = db.session.execute(db.select(SimulatedGatewayPayment)).scalar_one()
        row.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    response = citizen.get(page)
    assert response.status_code == 410
    assert "مهلت این پرداخت در درگاه تمام شده است" in response.get_data(as_text=True)
    assert citizen.post(page, data={"action": "pay", "amount": str(FEE)}).status_code == 410
    with app.app_context():
        token = db.session.execute(db.select(OnlinePayment.token)).scalar_one()
    citizen.get(f"/pay/callback/{token}")
    assert _payments(app) == []


def test_verifying_a_cancelled_payment_is_refused(app, world):
    with app.test_request_context():
        started = gateway.start("order-2", FEE, "http://localhost/pay/callback/y")
        gateway.simulator_act(gateway.simulated_session(started.authority), "cancel", "")
        assert gateway.verify(started.authority, FEE) == gateway.Verdict(gateway.CANCELLED)
        # and pressing pay afterwards on the ended session changes nothing
        gateway.simulator_act(gateway.simulated_session(started.authority), "pay", str(FEE))
        assert gateway.verify(started.authority, FEE).state == gateway.CANCELLED


def test_someone_elses_payment_and_draft_are_not_found(client, app, world):
    sign_in_citizen(client, app, *world["person"])
    _to_gateway(client, world)
    with app.app_context():
        token = db.session.execute(db.select(OnlinePayment.token)).scalar_one()
    stranger = app.test_client()
    sign_in_citizen(stranger, app, *world["other"])
    assert stranger.get(f"/pay/callback/{token}").status_code == 404
    assert stranger.post(f"/services/{world['service']}/apply/pay", data={"draft": world["draft"]}).status_code == 404
    assert [r.status for r in _requests(app)] == ["draft"]


def test_the_simulator_pages_are_for_this_machine_and_the_simulator_only(citizen, app, world, monkeypatch):
    page = _to_gateway(citizen, world)
    assert citizen.get(page, environ_base={"REMOTE_ADDR": "192.0.2.7"}).status_code == 404
    monkeypatch.setitem(app.config, "PAYMENT_BACKEND", "http")
    assert citizen.get(page).status_code == 404


def test_a_free_service_has_nothing_to_pay(citizen, app, world):
    with app.app_context():
        free = f.service(title="خدمت رایگان آزمایشی", fee_rial=0)
        person = db.session.execute(db.select(Request)).scalar_one().applicant
        draft = save_draft(free, person, {"description": "رایگان"})
        code, public_id = free.code, draft.public_id
    response = citizen.post(f"/services/{code}/apply/pay", data={"draft": public_id})
    assert response.status_code == 303 and "/apply/check" in response.headers["Location"]
    assert "این خدمت هزینه‌ای ندارد" in citizen.get(_path(response)).get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(db.select(db.func.count(OnlinePayment.id))).scalar_one() == 0


def test_a_payment_whose_draft_cannot_file_is_kept_and_files_later_without_paying_again(citizen, app, world):
    callback = _at_gateway(citizen, world, "pay")
    with app.app_context():  # the agency closes the service while the citizen is at the bank
        db.session.execute(db.select(Request)).scalar_one().service.is_active = False
        db.session.commit()
    response = citizen.get(callback)
    assert _path(response).startswith(f"/services/{world['service']}/apply/check")
    with app.app_context():
        assert db.session.execute(db.select(OnlinePayment.state)).scalar_one() == "verified"
        db.session.execute(db.select(Request)).scalar_one().service.is_active = True
        db.session.commit()
    response = citizen.post(f"/services/{world['service']}/apply/pay", data={"draft": world["draft"]})
    assert response.status_code == 303 and _path(response).startswith("/requests/")
    assert [r.status for r in _requests(app)] == ["submitted"]
    with app.app_context():
        assert db.session.execute(db.select(db.func.count(SimulatedGatewayPayment.id))).scalar_one() == 1
        assert len(_payments(app)) == 1


def _paid_and_rejected(citizen, app, world):
    citizen.get(_at_gateway(citizen, world, "pay"))
    with app.app_context():
        filed = db.session.execute(db.select(Request)).scalar_one()
        officer = db.session.execute(db.select(User).filter_by(username=world["officer"])).scalar_one()
        workflow.advance(filed, "take", officer)
        workflow.advance(filed, "reject", officer, message="مدارک ناخواناست")
        db.session.commit()
        return filed.tracking_code


def test_a_rejected_paid_request_shows_a_refund_due_from_the_agency(citizen, app, world):
    code = _paid_and_rejected(citizen, app, world)
    page = citizen.get(f"/requests/{code}").get_data(as_text=True)
    assert "بازپرداخت ۴٬۰۰۰٬۰۰۰ ریال بر عهدهٔ سازمان ثبت احوال آزمایشی" in page
    desk = app.test_client()
    sign_in_staff(desk, world["officer"])
    page = desk.get(f"/desk/requests/{code}").get_data(as_text=True)
    assert "بازپرداخت ۴٬۰۰۰٬۰۰۰ ریال بر عهدهٔ سازمان ثبت احوال آزمایشی" in page and "ثبت بازپرداخت" in page

    asked = desk.post(f"/desk/requests/{code}/refund")  # asks once more, changes nothing yet
    assert asked.status_code == 200 and "آیا این مبلغ به متقاضی بازگردانده شده است؟" in asked.get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(db.select(OnlinePayment.refunded_at)).scalar_one() is None
    done = desk.post(f"/desk/requests/{code}/refund", data={"confirm": "yes"})
    assert done.status_code == 303
    with app.app_context():
        assert db.session.execute(db.select(OnlinePayment.refunded_at)).scalar_one() is not None
        [event] = db.session.execute(db.select(AuditEvent).filter_by(action="payment.refund")).scalars().all()
        assert event.object_ref == code and event.after["amount_rial"] == FEE
    page = citizen.get(f"/requests/{code}").get_data(as_text=True)
    assert "بر عهدهٔ" not in page and "۴٬۰۰۰٬۰۰۰ ریال بازپرداخت شد." in page
    # A second record of the same refund is refused: one audit event.
    desk.post(f"/desk/requests/{code}/refund", data={"confirm": "yes"})
    with app.app_context():
        assert db.session.execute(db.select(db.func.count()).select_from(AuditEvent)).scalar_one() == 1


def test_no_refund_is_due_before_a_paid_request_is_rejected(citizen, app, world):
    citizen.get(_at_gateway(citizen, world, "pay"))
    code = _requests(app)[0].tracking_code
    assert "بر عهدهٔ" not in citizen.get(f"/requests/{code}").get_data(as_text=True)
    desk = app.test_client()
    sign_in_staff(desk, world["officer"])
    desk.post(f"/desk/requests/{code}/refund", data={"confirm": "yes"})
    with app.app_context():
        assert db.session.execute(db.select(OnlinePayment.refunded_at)).scalar_one() is None


def test_the_demos_rejected_request_shows_the_refund_its_agency_owes(client, app, seeded):
    sign_in_staff(client, "officer", DEMO_PASSWORD)
    with app.app_context():
        # The demo officer's agency's rejected request (seed-demo's past requests of other agencies aside).
        officer = db.session.execute(db.select(User).filter_by(username="officer")).scalar_one()
        mine = db.select(Request).filter_by(status="rejected", agency_id=officer.agency_id)
        rejected = db.session.execute(mine).scalar_one()
        code, agency = rejected.tracking_code, rejected.agency.name
        paid = db.session.execute(db.select(Payment).filter_by(request_id=rejected.id)).scalar_one()
    assert paid.method == "online" and paid.amount_rial == 12_500_000
    page = client.get(f"/desk/requests/{code}").get_data(as_text=True)
    assert f"بازپرداخت ۱۲٬۵۰۰٬۰۰۰ ریال بر عهدهٔ {agency}" in page


def test_the_audit_log_tells_the_refund_in_words(citizen, app, world):
    code = _paid_and_rejected(citizen, app, world)
    desk = app.test_client()
    sign_in_staff(desk, world["officer"])
    desk.post(f"/desk/requests/{code}/refund", data={"confirm": "yes"})
    with app.app_context():
        f.staff(Role.NATIONAL_ADMIN, username="nadm-pay")
        db.session.commit()
    admin = app.test_client()
    sign_in_staff(admin, "nadm-pay")
    page = admin.get("/admin/audit").get_data(as_text=True)
    for words in ("ثبت بازپرداخت هزینهٔ درخواست", "صدور المثنی آزمایشی", "در انتظار", "انجام شده", FEE_SHOWN):
        assert words in page, words
    assert "gateway_reference" not in page and "amount_rial" not in page


def _run_payment_checks(app):
    """The payment-check jobs made due now and handed over by the sweeper (the suite runs jobs at once)."""
    with app.app_context():
        jobs = db.session.execute(db.select(Job).filter_by(kind="payment_check")).scalars().all()
        assert jobs and all(job.next_try_at > utcnow() + timedelta(minutes=14) for job in jobs)  # not before it ends
        for job in jobs:
            job.next_try_at = utcnow()
        db.session.commit()
        outbox.sweep()


def test_a_citizen_who_paid_and_never_came_back_has_the_request_filed_by_the_worker(citizen, app, world):
    _at_gateway(citizen, world, "pay")  # paid at the bank; the browser closed before the callback
    assert [r.status for r in _requests(app)] == ["draft"]
    _run_payment_checks(app)
    [filed] = _requests(app)
    assert filed.status == "submitted" and len(_payments(app)) == 1
    assert "کد رهگیری" in last_sms(app, world["person"][1])
    with app.app_context():
        assert db.session.execute(db.select(OnlinePayment.state)).scalar_one() == "verified"


def test_a_payment_left_unfinished_at_the_gateway_ends_as_failed(citizen, app, world):
    citizen.get(_to_gateway(citizen, world))  # at the bank's page, no button pressed
    with app.app_context():
        for row in db.session.execute(db.select(SimulatedGatewayPayment)).scalars():
            row.expires_at = utcnow() - timedelta(seconds=1)
        for row in db.session.execute(db.select(OnlinePayment)).scalars():
            row.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    _run_payment_checks(app)
    assert [r.status for r in _requests(app)] == ["draft"] and _payments(app) == []
    with app.app_context():
        assert db.session.execute(db.select(OnlinePayment.state)).scalar_one() == "failed"


def test_a_paid_draft_is_never_removed_by_the_nightly_cleanup_and_the_list_says_it_is_kept(citizen, app, world):
    callback = _at_gateway(citizen, world, "pay")
    with app.app_context():  # paid, but the service closed while the citizen was at the bank: the draft holds money
        draft = db.session.execute(db.select(Request)).scalar_one()
        draft.service.is_active = False
        db.session.commit()
    citizen.get(callback)
    with app.app_context():
        paid = db.session.execute(db.select(Request)).scalar_one()
        unpaid = save_draft(f.service(title="خدمت بی‌هزینهٔ آزمایشی", fee_rial=0), paid.applicant, {})
        db.session.commit()
        for old in (paid, unpaid):
            old.updated_at = datetime(2020, 1, 1)
        db.session.commit()
        paid_id, unpaid_id = paid.id, unpaid.id
        assert cleanup.expired_drafts() == 1
        assert db.session.get(Request, paid_id) is not None and db.session.get(Request, unpaid_id) is None
        assert db.session.execute(db.select(OnlinePayment.state)).scalar_one() == "verified"
    page = citizen.get("/account/requests").get_data(as_text=True)
    assert "هزینهٔ این پیش‌نویس پرداخت شده است" in page and "پاک می‌شود" not in page
