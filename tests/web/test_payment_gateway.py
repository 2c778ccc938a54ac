"""The HTTP adapter for a real bank gateway, against a gateway served on this machine (pytest-httpserver): the
session opened with the token and the amount, the citizen sent to the gateway's page, the payment verified
server-side with the amount we expect, and every non-answer (timeout, 5xx, garbage, a redirect) leaving the payment
pending with nothing filed. And the configuration: a public site refuses the simulator and a gateway without
HTTPS."""

import time

import pytest
from werkzeug import Response

from app import config
from app.extensions import db
from app.models import OnlinePayment, Payment, Request
from app.requests.filing import save_draft
from tests import factories as f
from tests.web.helpers import sign_in_citizen

FEE = 2_500_000
TOKEN = "gateway-secret-token"


@pytest.fixture
def bank(app, httpserver, monkeypatch):
    monkeypatch.setitem(app.config, "PAYMENT_BACKEND", "http")
    monkeypatch.setitem(app.config, "PAYMENT_GATEWAY_URL", httpserver.url_for("/ipg/v1"))
    monkeypatch.setitem(app.config, "PAYMENT_GATEWAY_TOKEN", TOKEN)
    monkeypatch.setitem(app.config, "PAYMENT_GATEWAY_TIMEOUT", 0.5)
    return httpserver


@pytest.fixture
def world(app, client):
    with app.app_context():
        service = f.service(f.agency(name="ادارهٔ راهنمایی آزمایشی"), title="تعویض گواهینامهٔ آزمایشی", fee_rial=FEE)
        person = f.citizen(8301, mobile="09120008301")
        draft = save_draft(service, person, {"description": "گواهینامهٔ پایه دو"})
        db.session.commit()
        ids = {"service": service.code, "draft": draft.public_id, "person": (person.national_code, person.mobile)}
    sign_in_citizen(client, app, *ids["person"])
    return ids


def _open_session(bank, authority="AUTH-0001", redirect_url="https://bank.example/pay/AUTH-0001"):
    bank.expect_oneshot_request(
        "/ipg/v1/payments", method="POST", headers={"Authorization": f"Bearer {TOKEN}"}
    ).respond_with_json({"authority": authority, "redirect_url": redirect_url})


def _pay(client, world):
    return client.post(f"/services/{world['service']}/apply/pay", data={"draft": world["draft"]})


def _token(app):
    with app.app_context():
        return db.session.execute(db.select(OnlinePayment.token)).scalar_one()


def _filed(app):
    with app.app_context():
        return [r.status for r in db.session.execute(db.select(Request)).scalars()]


def test_starting_sends_the_amount_and_our_callback_and_redirects_to_the_gateway(client, app, bank, world):
    _open_session(bank)
    response = _pay(client, world)
    assert response.status_code == 303
    assert response.headers["Location"] == "https://bank.example/pay/AUTH-0001"
    # Only what reached the gateway's path: a stray request from an earlier test's worker thread may share the server.
    [(sent, _answer)] = [entry for entry in bank.log if entry[0].path == "/ipg/v1/payments"]
    body = sent.get_json()
    assert body["amount_rial"] == FEE
    assert body["order_id"] == _token(app)
    assert body["callback_url"] == f"http://localhost/pay/callback/{_token(app)}"


def test_a_paid_verification_files_the_request_with_the_gateways_reference(client, app, bank, world):
    _open_session(bank)
    _pay(client, world)
    bank.expect_request(
        "/ipg/v1/payments/AUTH-0001/verify",
        method="POST",
        json={"amount_rial": FEE},
        headers={"Authorization": f"Bearer {TOKEN}"},
    ).respond_with_json({"status": "paid", "reference": "738201447719", "amount_rial": FEE})
    response = client.get(f"/pay/callback/{_token(app)}?authority=AUTH-0001&status=OK")
    assert response.status_code == 303 and "/requests/" in response.headers["Location"]
    again = client.get(f"/pay/callback/{_token(app)}?authority=AUTH-0001&status=OK")  # the gateway's retry
    assert again.headers["Location"] == response.headers["Location"]
    assert _filed(app) == ["submitted"]
    with app.app_context():
        [payment] = db.session.execute(db.select(Payment)).scalars().all()
        assert (payment.method, payment.reference, payment.amount_rial) == ("online", "738201447719", FEE)


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ({"status": "failed"}, "پرداخت انجام نشد و پولی از حساب شما برداشته نشد"),
        ({"status": "cancelled"}, "پرداخت را لغو کردید"),
        # Paid, but another amount than the one asked for: never filed on.
        ({"status": "paid", "reference": "1234567", "amount_rial": 1000}, "پرداخت انجام نشد"),
    ],
    ids=["failed", "cancelled", "other-amount"],
)
def test_an_unpaid_verification_returns_to_check_your_answers(client, app, bank, world, answer, message):
    _open_session(bank)
    _pay(client, world)
    bank.expect_request("/ipg/v1/payments/AUTH-0001/verify", method="POST").respond_with_json(answer)
    response = client.get(f"/pay/callback/{_token(app)}")
    assert response.status_code == 303 and "/apply/check?draft=" in response.headers["Location"]
    assert message in client.get(response.headers["Location"]).get_data(as_text=True)
    assert _filed(app) == ["draft"]


def _late(_request):
    time.sleep(1.5)  # a "paid" that arrives after the timeout counts for nothing yet
    return Response('{"status": "paid", "reference": "99", "amount_rial": 2500000}', content_type="application/json")


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(lambda r: r.respond_with_data("down", status=502), id="5xx"),
        pytest.param(lambda r: r.respond_with_data("<html>", content_type="text/html"), id="garbage"),
        pytest.param(lambda r: r.respond_with_json({"status": "maybe"}), id="unknown-status"),
        pytest.param(lambda r: r.respond_with_handler(_late), id="timeout"),
        pytest.param(
            lambda r: r.respond_with_data("", status=302, headers={"Location": "http://elsewhere.example/"}),
            id="redirect",
        ),
    ],
)
def test_no_answer_from_the_gateway_keeps_the_payment_pending_and_files_nothing(
    client, app, bank, world, answer, monkeypatch
):
    _open_session(bank)
    _pay(client, world)
    answer(bank.expect_oneshot_request("/ipg/v1/payments/AUTH-0001/verify", method="POST"))
    response = client.get(f"/pay/callback/{_token(app)}")
    assert response.status_code == 503
    assert "درگاه پرداخت اکنون پاسخ نمی‌دهد" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(db.select(OnlinePayment.state)).scalar_one() == "pending"
    assert _filed(app) == ["draft"]
    # Asked again once the gateway answers (the test server is still busy with a late answer: wait for it), filed.
    monkeypatch.setitem(app.config, "PAYMENT_GATEWAY_TIMEOUT", 5)
    bank.expect_request("/ipg/v1/payments/AUTH-0001/verify", method="POST").respond_with_json(
        {"status": "paid", "reference": "4455", "amount_rial": FEE}
    )
    assert client.get(f"/pay/callback/{_token(app)}").status_code == 303
    assert _filed(app) == ["submitted"]


def test_a_gateway_that_cannot_open_a_session_keeps_the_citizen_on_check_your_answers(client, app, bank, world):
    bank.expect_request("/ipg/v1/payments", method="POST").respond_with_data("down", status=503)
    response = _pay(client, world)
    assert response.status_code == 303 and "/apply/check?draft=" in response.headers["Location"]
    assert "درگاه پرداخت اکنون پاسخ نمی‌دهد" in client.get(response.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(db.select(db.func.count(OnlinePayment.id))).scalar_one() == 0


def test_a_gateway_page_that_is_not_https_is_refused(client, app, bank, world, monkeypatch):
    monkeypatch.setitem(app.config, "PAYMENT_GATEWAY_URL", "https://ipg.example/v1")
    monkeypatch.setattr(
        "app.adapters.payments._call", lambda path, body: {"authority": "A1", "redirect_url": "http://ipg.example/p"}
    )
    response = _pay(client, world)
    assert response.status_code == 303 and "/apply/check" in response.headers["Location"]


def _settings(**values):
    return {
        "PAYMENT_BACKEND": "simulator",
        "MOBILE_OWNERSHIP_BACKEND": "http",
        "MOBILE_OWNERSHIP_URL": "https://shahkar.example",
        "SMS_BACKEND": "http",
        **values,
    }


def test_a_public_site_refuses_the_payment_simulator_unless_told():
    with pytest.raises(RuntimeError, match="PAYMENT_BACKEND=simulator"):
        config.check(_settings(PREFER_HTTPS=True))
    config.check(_settings(PREFER_HTTPS=True, ALLOW_SIMULATORS=True))


def test_a_real_gateway_needs_an_https_address_on_a_public_site():
    with pytest.raises(RuntimeError, match="needs PAYMENT_GATEWAY_URL"):
        config.check(_settings(PAYMENT_BACKEND="http"))
    with pytest.raises(RuntimeError, match="https://"):
        config.check(_settings(PAYMENT_BACKEND="http", PAYMENT_GATEWAY_URL="http://ipg.example", PREFER_HTTPS=True))
    config.check(_settings(PAYMENT_BACKEND="http", PAYMENT_GATEWAY_URL="https://ipg.example", PREFER_HTTPS=True))
    with pytest.raises(RuntimeError, match="'simulator' or 'http'"):
        config.check(_settings(PAYMENT_BACKEND="paypal"))
