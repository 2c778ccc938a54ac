"""Mobile ownership at sign-in (the registry simulator and the HTTP adapter), changing the mobile, and honest
simulators: the SMS outbox only for this machine, the demo notice, no public site on simulators by mistake."""

import logging
import time

import pytest
from werkzeug import Response

from app import create_app
from app.adapters import ownership
from app.demo import DEMO_CITIZEN
from app.extensions import db
from app.models import AuditEvent, MobileOwnership, OtpChallenge, Role, SmsMessage, User
from tests import factories as f
from tests.web.helpers import last_sms, otp_from_sms, register_mobile, sign_in_citizen, sign_in_staff

VICTIM_MOBILE, ATTACKER_MOBILE, NEW_MOBILE = "09121000001", "09351000002", "09191000003"


def _ask(client, national_code, mobile):
    return client.post("/account/sign-in", data={"national_code": national_code, "mobile": mobile})


def _sms_to(app, mobile):
    with app.app_context():
        return db.session.execute(db.select(SmsMessage).filter_by(mobile=mobile)).scalars().all()


def _stored_mobile(app, national_code):
    with app.app_context():
        return db.session.execute(db.select(User.mobile).filter_by(national_code=national_code)).scalar_one()


@pytest.fixture
def victim(app):
    """A citizen with an account and status SMS going to their own, registered mobile."""
    with app.app_context():
        person = f.citizen(31001, mobile=VICTIM_MOBILE)
        db.session.commit()
        code = person.national_code
    register_mobile(app, code, VICTIM_MOBILE)
    return code


# --- the simulator refuses every pair it does not know --------------------------------------------------------


def test_victims_national_code_with_the_attackers_mobile_is_refused_and_nothing_changes(client, app, victim):
    response = _ask(client, victim, ATTACKER_MOBILE)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "شاهکار" in html and 'id="mobile-error"' in html  # the message sits next to the mobile field
    assert f'value="{victim}"' in html and f'value="{ATTACKER_MOBILE}"' in html  # what was typed is kept
    assert _sms_to(app, ATTACKER_MOBILE) == []  # no code went to the attacker
    assert client.get("/account/requests").status_code == 302  # not signed in
    assert _stored_mobile(app, victim) == VICTIM_MOBILE


def test_registered_pair_signs_in_and_a_new_citizen_gets_that_mobile(client, app):
    code = f.national_code(31002)
    register_mobile(app, code, "۰۹۱۲ ۳۴۵ ۶۷۸۹")  # the registry list takes any digits
    sign_in_citizen(client, app, code, "09123456789")
    assert client.get("/account/requests").status_code == 200
    assert _stored_mobile(app, code) == "09123456789"


def test_signing_in_with_another_registered_number_keeps_the_stored_mobile(client, app, victim):
    # The registry says the second number is theirs too: they may sign in, but their SMS stay where they were.
    sign_in_citizen(client, app, victim, ATTACKER_MOBILE)
    page = client.get("/account/requests").get_data(as_text=True)
    assert _stored_mobile(app, victim) == VICTIM_MOBILE
    assert "همچنان به شمارهٔ" in page and "تغییر شمارهٔ همراه" in page
    # Both numbers, masked, so they know where their SMS go; isolated so that 09 stays in front in Persian text.
    assert "\u2066۰۹*****۰۰۰۲\u2069" in page and "\u2066۰۹*****۰۰۰۱\u2069" in page


def test_a_pair_removed_from_the_registry_no_longer_signs_in(client, app, victim):
    with app.app_context():
        assert ownership.unregister(victim, VICTIM_MOBILE) is True
        db.session.commit()
    assert _ask(client, victim, VICTIM_MOBILE).status_code == 400


def test_a_staff_members_national_code_does_not_sign_in_as_a_citizen(client, app):
    code = f.national_code(31008)
    with app.app_context():
        f.staff(Role.CLERK, office=f.office(), national_code=code)
        db.session.commit()
    register_mobile(app, code, "09123456789")
    assert _ask(client, code, "09123456789").status_code == 302
    response = client.post("/account/sign-in/code", data={"code": otp_from_sms(app, "09123456789")})
    assert response.status_code == 400 and "حساب یک کارمند" in response.get_data(as_text=True)
    assert client.get("/account/requests").status_code == 302


# --- the HTTP adapter for the real registry -------------------------------------------------------------------


@pytest.fixture
def registry(app, httpserver, monkeypatch):
    """The app pointed at a registry served on this machine."""
    monkeypatch.setitem(app.config, "MOBILE_OWNERSHIP_BACKEND", "http")
    monkeypatch.setitem(app.config, "MOBILE_OWNERSHIP_URL", httpserver.url_for("/shahkar/match"))
    monkeypatch.setitem(app.config, "MOBILE_OWNERSHIP_TOKEN", "registry-token")
    monkeypatch.setitem(app.config, "MOBILE_OWNERSHIP_TIMEOUT", 0.5)
    return httpserver


def test_http_registry_confirmation_lets_the_person_in(client, app, registry):
    code = f.national_code(31003)
    registry.expect_request(
        "/shahkar/match",
        method="POST",
        json={"national_code": code, "mobile": "09123456789"},
        headers={"Authorization": "Bearer registry-token"},
    ).respond_with_json({"match": True})
    assert _ask(client, code, "۰۹۱۲۳۴۵۶۷۸۹").status_code == 302  # canonical digits sent to the registry
    registry.check_assertions()
    assert otp_from_sms(app, "09123456789")


def test_http_registry_denial_is_refused_with_the_ownership_message(client, app, registry, victim):
    registry.expect_request("/shahkar/match", method="POST").respond_with_json({"match": False})
    # The simulator's table knows this pair, but with the real registry configured only its answer counts.
    response = _ask(client, victim, VICTIM_MOBILE)
    assert response.status_code == 400 and "شاهکار" in response.get_data(as_text=True)
    assert _sms_to(app, VICTIM_MOBILE) == []


def _late_confirmation(_request):
    time.sleep(1.5)  # a "yes" that comes after the timeout counts for nothing
    return Response('{"match": true}', content_type="application/json")


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(lambda r: r.respond_with_data("registry down", status=503), id="5xx"),
        pytest.param(lambda r: r.respond_with_data("<html>not json</html>", content_type="text/html"), id="garbage"),
        pytest.param(lambda r: r.respond_with_json({"match": "yes"}), id="match-not-a-boolean"),
        pytest.param(lambda r: r.respond_with_json([True]), id="not-an-object"),
        pytest.param(lambda r: r.respond_with_data("", status=302, headers={"Location": "/elsewhere"}), id="redirect"),
        pytest.param(lambda r: r.respond_with_handler(_late_confirmation), id="timeout"),
    ],
)
def test_http_registry_without_a_clear_answer_fails_closed(client, app, registry, answer, caplog):
    answer(registry.expect_request("/shahkar/match", method="POST"))
    logger = logging.getLogger("panjereh.ownership")  # "panjereh" does not propagate to the root logger
    logger.addHandler(caplog.handler)
    try:
        response = _ask(client, f.national_code(31004), "09123456789")
    finally:
        logger.removeHandler(caplog.handler)
    html = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "اکنون قابل بررسی نیست" in html and 'value="09123456789"' in html
    assert _sms_to(app, "09123456789") == []
    assert any("registry" in record.getMessage() for record in caplog.records)


def test_http_registry_that_cannot_be_reached_fails_closed(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "MOBILE_OWNERSHIP_BACKEND", "http")
    monkeypatch.setitem(app.config, "MOBILE_OWNERSHIP_URL", "http://127.0.0.1:9/nothing-listens-here")
    response = _ask(client, f.national_code(31005), "09123456789")
    assert response.status_code == 503 and "اکنون قابل بررسی نیست" in response.get_data(as_text=True)


# --- changing the mobile ---------------------------------------------------------------------------------------


def _signed_in_victim(client, app, victim):
    sign_in_citizen(client, app, victim, VICTIM_MOBILE)


def test_mobile_change_end_to_end_notifies_the_old_number_and_is_audited(client, app, victim):
    _signed_in_victim(client, app, victim)
    register_mobile(app, victim, NEW_MOBILE)
    assert "تغییر شمارهٔ همراه" in client.get("/account/mobile").get_data(as_text=True)

    response = client.post("/account/mobile", data={"mobile": "۰۹۱۹ ۱۰۰ ۰۰۰۳"})
    assert response.status_code == 302 and response.headers["Location"] == "/account/mobile/code"
    assert _stored_mobile(app, victim) == VICTIM_MOBILE  # nothing changes before the code comes back
    code = otp_from_sms(app, NEW_MOBILE)
    response = client.post("/account/mobile/code", data={"code": code})
    assert response.status_code == 302 and response.headers["Location"] == "/account/requests"

    assert _stored_mobile(app, victim) == NEW_MOBILE
    notice = last_sms(app, VICTIM_MOBILE)
    assert "تغییر کرد" in notice and "0003" in notice and code not in notice
    with app.app_context():
        event = db.session.execute(db.select(AuditEvent).filter_by(action="user.mobile_change")).scalar_one()
        user = db.session.execute(db.select(User).filter_by(national_code=victim)).scalar_one()
        assert (event.actor_id, event.object_type, event.object_ref) == (user.id, "user", user.public_id)
        assert (event.before, event.after) == ({"mobile": VICTIM_MOBILE}, {"mobile": NEW_MOBILE})
    assert "۰۰۰۳" in client.get("/account/requests").get_data(as_text=True)


def test_the_audit_log_shows_a_changed_mobile_masked(client, app, victim):
    _signed_in_victim(client, app, victim)
    register_mobile(app, victim, NEW_MOBILE)
    client.post("/account/mobile", data={"mobile": NEW_MOBILE})
    client.post("/account/mobile/code", data={"code": otp_from_sms(app, NEW_MOBILE)})
    with app.app_context():
        f.staff(Role.NATIONAL_ADMIN, username="auditor")
        db.session.commit()
    admin = app.test_client()
    sign_in_staff(admin, "auditor")
    page = admin.get("/admin/audit").get_data(as_text=True)
    assert "۰۹*****۰۰۰۱" in page and "۰۹*****۰۰۰۳" in page  # before and after, recognisable
    assert "۰۹۱۲۱۰۰۰۰۰۱" not in page and "۰۹۱۹۱۰۰۰۰۰۳" not in page and NEW_MOBILE not in page


def test_mobile_change_to_an_unregistered_number_is_refused_next_to_the_field(client, app, victim):
    _signed_in_victim(client, app, victim)
    response = client.post("/account/mobile", data={"mobile": ATTACKER_MOBILE})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "شاهکار" in html and f'value="{ATTACKER_MOBILE}"' in html
    assert _sms_to(app, ATTACKER_MOBILE) == []
    assert _stored_mobile(app, victim) == VICTIM_MOBILE


def test_mobile_change_refuses_the_current_number_and_bad_input(client, app, victim):
    _signed_in_victim(client, app, victim)
    same = client.post("/account/mobile", data={"mobile": VICTIM_MOBILE})
    assert same.status_code == 400 and "همان شماره‌ای است" in same.get_data(as_text=True)
    bad = client.post("/account/mobile", data={"mobile": "12345"})
    assert bad.status_code == 400 and "شماره موبایل معتبر نیست" in bad.get_data(as_text=True)
    assert 'value="12345"' in bad.get_data(as_text=True)


def test_mobile_change_with_a_wrong_code_changes_nothing(client, app, victim):
    _signed_in_victim(client, app, victim)
    register_mobile(app, victim, NEW_MOBILE)
    client.post("/account/mobile", data={"mobile": NEW_MOBILE})
    right = otp_from_sms(app, NEW_MOBILE)
    response = client.post("/account/mobile/code", data={"code": "000000" if right != "000000" else "111111"})
    assert response.status_code == 400 and "کد درست نیست" in response.get_data(as_text=True)
    assert _stored_mobile(app, victim) == VICTIM_MOBILE
    assert "تغییر کرد" not in (last_sms(app, VICTIM_MOBILE) or "")


def test_a_sign_in_code_cannot_confirm_a_mobile_change(client, app, victim):
    # A code for another purpose, even the person's own, is not a confirmation of the new number.
    _signed_in_victim(client, app, victim)
    with app.app_context():
        sign_in_challenge = db.session.execute(db.select(OtpChallenge).filter_by(purpose="sign_in")).scalar_one()
    with client.session_transaction() as session:
        session["mobile_change"] = sign_in_challenge.public_id
    assert client.get("/account/mobile/code").headers["Location"] == "/account/mobile"


def test_mobile_change_form_needs_its_csrf_token(client, app, victim, monkeypatch):
    _signed_in_victim(client, app, victim)
    register_mobile(app, victim, NEW_MOBILE)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    assert client.post("/account/mobile", data={"mobile": NEW_MOBILE}).status_code == 400
    assert _sms_to(app, NEW_MOBILE) == []


def test_mobile_change_is_only_for_signed_in_citizens(client):
    response = client.get("/account/mobile")
    assert response.status_code == 302 and "/account/sign-in" in response.headers["Location"]


def test_mobile_change_fails_closed_when_the_registry_cannot_answer(client, app, victim, monkeypatch):
    _signed_in_victim(client, app, victim)
    monkeypatch.setitem(app.config, "MOBILE_OWNERSHIP_BACKEND", "http")
    monkeypatch.setitem(app.config, "MOBILE_OWNERSHIP_URL", "http://127.0.0.1:9/nothing-listens-here")
    response = client.post("/account/mobile", data={"mobile": NEW_MOBILE})
    assert response.status_code == 503 and "اکنون قابل بررسی نیست" in response.get_data(as_text=True)
    assert _sms_to(app, NEW_MOBILE) == []


# --- the registry list: seed-demo and the ownership commands --------------------------------------------------


def test_seed_demo_registers_the_demo_citizen(client, app, seeded):
    # No register_mobile here: the demo data itself told the simulator.
    assert _ask(client, DEMO_CITIZEN["national_code"], DEMO_CITIZEN["mobile"]).status_code == 302
    assert _ask(client, DEMO_CITIZEN["national_code"], ATTACKER_MOBILE).status_code == 400


def test_ownership_commands_register_list_and_remove(runner, app):
    code = f.national_code(31006)
    persian = code.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    first = runner.invoke(args=["ownership", "register", persian, "+98 912 555 0101"])
    again = runner.invoke(args=["ownership", "register", code, "09125550101"])
    assert first.exit_code == 0 and "registered" in first.output
    assert again.exit_code == 0 and "already registered" in again.output
    with app.app_context():
        assert db.session.query(MobileOwnership).count() == 1
    listed = runner.invoke(args=["ownership", "list"])
    assert listed.output == f"{code}\t09125550101\n"
    assert runner.invoke(args=["ownership", "remove", code, "09125550101"]).exit_code == 0
    assert runner.invoke(args=["ownership", "remove", code, "09125550101"]).exit_code == 1
    assert runner.invoke(args=["ownership", "list"]).output == ""


def test_ownership_register_refuses_invalid_codes(runner, app):
    bad_code = runner.invoke(args=["ownership", "register", "1234567890", "09125550101"])
    bad_mobile = runner.invoke(args=["ownership", "register", f.national_code(31007), "0912"])
    assert bad_code.exit_code != 0 and "کد ملی معتبر نیست" in bad_code.output
    assert bad_mobile.exit_code != 0 and "شماره موبایل معتبر نیست" in bad_mobile.output
    with app.app_context():
        assert db.session.query(MobileOwnership).count() == 0


# --- the SMS outbox page is for this machine only ------------------------------------------------------------


def test_sms_outbox_is_not_found_for_a_client_on_another_machine(app, client, victim):
    _ask(client, victim, VICTIM_MOBILE)
    assert client.get("/_dev/sms").status_code == 200  # the test client is 127.0.0.1
    remote = app.test_client()
    remote.environ_base = {"REMOTE_ADDR": "203.0.113.9"}
    assert remote.get("/_dev/sms").status_code == 404
    assert app.test_client().get("/_dev/sms", environ_base={"REMOTE_ADDR": "::1"}).status_code == 200


def test_sms_outbox_is_not_found_with_a_real_sms_gateway(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "SMS_BACKEND", "http")
    assert client.get("/_dev/sms").status_code == 404


def test_sms_outbox_behind_a_trusted_proxy_judges_the_forwarded_client(app):
    # With TRUSTED_PROXIES the proxy itself is on this machine; what counts is the client it forwards.
    proxied = create_app({**_test_overrides(app), "TRUSTED_PROXIES": 1})
    try:
        client = proxied.test_client()
        assert client.get("/_dev/sms", headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 404
        assert client.get("/_dev/sms", headers={"X-Forwarded-For": "127.0.0.1"}).status_code == 200
    finally:
        with proxied.app_context():
            db.session.remove()
            db.engine.dispose()


def test_code_page_links_the_outbox_only_for_this_machine(app, victim):
    remote = app.test_client()
    remote.environ_base = {"REMOTE_ADDR": "203.0.113.9"}
    _ask(remote, victim, VICTIM_MOBILE)
    page = remote.get("/account/sign-in/code").get_data(as_text=True)
    assert "شبیه‌ساز پیامک" in page and "/_dev/sms" not in page


# --- the demo notice and refusing to run a public site on simulators ---------------------------------------------


def test_demo_notice_shows_while_simulators_are_configured(client, app, monkeypatch):
    page = client.get("/").get_data(as_text=True)
    assert "نسخهٔ نمایشی" in page and "پیامک‌ها شبیه‌سازی می‌شوند" in page and "شبیه‌ساز شاهکار" in page
    monkeypatch.setitem(app.config, "MOBILE_OWNERSHIP_BACKEND", "http")
    page = client.get("/").get_data(as_text=True)
    assert "پیامک‌ها شبیه‌سازی می‌شوند" in page and "شبیه‌ساز شاهکار" not in page
    monkeypatch.setitem(app.config, "SMS_BACKEND", "http")
    monkeypatch.setitem(app.config, "PAYMENT_BACKEND", "http")
    monkeypatch.setitem(app.config, "BUS_ADAPTER", "http")
    monkeypatch.setitem(app.config, "LINK_CHECK_BACKEND", "http")
    assert "نسخهٔ نمایشی" not in client.get("/").get_data(as_text=True)


def _test_overrides(app):
    keys = ("TESTING", "SQLALCHEMY_DATABASE_URI", "WTF_CSRF_ENABLED", "SECRET_KEY", "UPLOAD_FOLDER")
    return {key: app.config[key] for key in keys}


def test_app_refuses_to_start_with_https_and_simulators_unless_allowed(app):
    base = _test_overrides(app)
    with pytest.raises(RuntimeError, match="SMS_BACKEND=local.*MOBILE_OWNERSHIP_BACKEND=simulator"):
        create_app({**base, "PREFER_HTTPS": True, "ALLOW_SIMULATORS": False})
    with pytest.raises(RuntimeError, match="MOBILE_OWNERSHIP_BACKEND=simulator"):
        create_app({**base, "PREFER_HTTPS": True, "ALLOW_SIMULATORS": False, "SMS_BACKEND": "http"})
    assert create_app({**base, "PREFER_HTTPS": True, "ALLOW_SIMULATORS": True}).config["PREFER_HTTPS"]
    real = {
        "SMS_BACKEND": "http",
        "MOBILE_OWNERSHIP_BACKEND": "http",
        "MOBILE_OWNERSHIP_URL": "https://registry",
        "PAYMENT_BACKEND": "http",
        "PAYMENT_GATEWAY_URL": "https://gateway",
        "PAYMENT_GATEWAY_TOKEN": "t",
        "BUS_ADAPTER": "http",
        "BUS_URL": "https://gsb",
        "LINK_CHECK_BACKEND": "http",
    }
    with pytest.raises(RuntimeError, match="LINK_CHECK_BACKEND=simulator"):
        create_app({**base, "PREFER_HTTPS": True, "ALLOW_SIMULATORS": False, **real, "LINK_CHECK_BACKEND": "simulator"})
    assert create_app({**base, "PREFER_HTTPS": True, "ALLOW_SIMULATORS": False, **real}).config["PREFER_HTTPS"]


def test_app_refuses_an_unknown_or_incomplete_ownership_backend(app):
    base = _test_overrides(app)
    with pytest.raises(RuntimeError, match="MOBILE_OWNERSHIP_BACKEND"):
        create_app({**base, "MOBILE_OWNERSHIP_BACKEND": "accept-all"})
    with pytest.raises(RuntimeError, match="MOBILE_OWNERSHIP_URL"):
        create_app({**base, "MOBILE_OWNERSHIP_BACKEND": "http", "MOBILE_OWNERSHIP_URL": ""})
