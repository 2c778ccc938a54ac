"""Inquiries between agencies: a filed request gets its card's inquiries, the worker answers them in order through
the service-bus simulator, B waits for A, "not found" stops or lets go of what waits, a provider that does not
answer is retried and then failed, the HTTP adapter speaks JSON with a bearer token, and the form no longer asks
for a document an inquiry replaces."""

import ssl
import subprocess
import time
from datetime import timedelta

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from app import inquiries
from app.adapters import bus
from app.extensions import db
from app.jobs import outbox
from app.models import AuditEvent, InquiryType, Job, ServiceInquiry, utcnow
from app.requests.formdefs import definition_for
from tests import factories as f

FOUND_CITIZEN = 900000  # national code 0009000003: found by the simulator
NOT_FOUND_CITIZEN = 900009  # national code 0009000097: ends in the simulator's "not found" digit (7)
IDENTITY_FIELDS = [{"name": "alive", "label": "در قید حیات", "choices": ["بله"]}, {"name": "serial", "label": "سریال"}]


def inquiry_type(code, agency=None, subject="national_code", replaces=(), fields=None, title=None):
    row = InquiryType(
        code=code,
        agency=agency or f.agency(name="سازمان ثبت احوال کشور"),
        title=title or f"استعلام {code}",
        subject=subject,
        answer_fields=fields if fields is not None else IDENTITY_FIELDS,
        due_minutes=30,
        replaces=list(replaces),
        legal_basis="",
    )
    db.session.add(row)
    db.session.flush()
    return row


def licence(on_not_found="stop", documents=("کارت ملی", "گواهی عدم سوءپیشینه", "عکس ۳×۴")):
    """A licence whose card asks identity (A) and then criminal record (B, waiting for A)."""
    service = f.service(documents=list(documents))
    identity = inquiry_type("identity", replaces=["کارت ملی"])
    record = inquiry_type(
        "criminal_record", agency=f.agency(name="قوه قضاییه"), fields=[{"name": "status", "label": "وضعیت"}]
    )
    first = ServiceInquiry(service=service, inquiry_type=identity, position=0, on_not_found="continue", replaces=[])
    db.session.add(first)
    db.session.flush()
    second = ServiceInquiry(
        service=service, inquiry_type=record, position=1, after=first, on_not_found=on_not_found, replaces=[1]
    )
    db.session.add(second)
    db.session.flush()
    return service


def fresh(request):
    db.session.rollback()
    return {i.inquiry_type.code: i for i in inquiries.for_request(request)}


def make_due(job_id):
    job = db.session.get(Job, job_id)
    job.next_try_at = utcnow() - timedelta(seconds=1)
    db.session.commit()


def test_a_filed_request_gets_its_cards_inquiries_answered_in_order(ctx):
    service = licence()
    request = f.filed(service, f.citizen(FOUND_CITIZEN))  # immediate mode: the worker runs at commit
    found = fresh(request)
    assert set(found) == {"identity", "criminal_record"}
    identity, record = found["identity"], found["criminal_record"]
    assert identity.state == record.state == "answered"
    assert identity.subject_value == "0009000003" and identity.attempts == 1 and identity.simulated
    assert identity.answer["alive"] == "بله" and len(identity.answer["serial"]) == 6
    assert record.after_id == identity.id and record.started_at >= identity.answered_at
    assert identity.due_at is not None and identity.job.state == "done"
    # The same question gets the same answer (the simulator is deterministic).
    again = f.filed(service, db.session.get(type(request.applicant), request.applicant.id))
    assert fresh(again)["identity"].answer == identity.answer


def test_b_waits_for_a(ctx, app, monkeypatch):
    monkeypatch.setitem(app.config, "JOBS_IMMEDIATE", False)  # jobs wait for a worker: run them by hand
    request = f.filed(licence(), f.citizen(FOUND_CITIZEN))
    found = fresh(request)
    identity, record = found["identity"], found["criminal_record"]
    assert identity.job_id is not None and record.job_id is None and record.state == "queued"
    assert outbox.run(identity.job_id) == "done"
    found = fresh(request)
    assert found["identity"].state == "answered"
    record = found["criminal_record"]
    assert record.job_id is not None and record.state == "queued"  # now scheduled
    assert outbox.run(record.job_id) == "done"
    assert fresh(request)["criminal_record"].state == "answered"


@pytest.mark.parametrize(("on_not_found", "expected"), [("stop", "stopped"), ("continue", "not_found")])
def test_not_found_stops_or_lets_go_of_what_waits(ctx, on_not_found, expected):
    request = f.filed(licence(on_not_found), f.citizen(NOT_FOUND_CITIZEN))
    found = fresh(request)
    assert found["identity"].state == "not_found" and found["identity"].answer == {}
    # "continue": B is asked too (and the simulator does not find this citizen either); "stop": never asked.
    assert found["criminal_record"].state == expected
    assert (found["criminal_record"].job_id is None) == (on_not_found == "stop")


def test_a_provider_that_does_not_answer_is_retried_then_failed_and_an_officer_retries(ctx, app, monkeypatch):
    monkeypatch.setitem(app.config, "BUS_SIMULATOR_FAIL_DIGIT", "3")  # 0009000003 never answers
    request = f.filed(licence(), f.citizen(FOUND_CITIZEN))
    identity = fresh(request)["identity"]
    job_id = identity.job_id
    assert identity.state == "queued" and identity.attempts == 1 and "did not answer" in identity.last_error
    waits = []
    while (job := db.session.get(Job, job_id)).state == "pending":
        waits.append((job.next_try_at - utcnow()).total_seconds())
        make_due(job_id)
        outbox.run(job_id)
        db.session.rollback()
    found = fresh(request)
    identity = found["identity"]
    assert identity.state == "failed" and identity.attempts == app.config["INQUIRY_MAX_ATTEMPTS"] == 3
    assert len(waits) == 2 and 0 < waits[0] < waits[1]  # the outbox's backoff between tries
    assert found["criminal_record"].state == "queued" and found["criminal_record"].job_id is None
    # The provider is back; the officer retries: A answers, then B runs.
    monkeypatch.setitem(app.config, "BUS_SIMULATOR_FAIL_DIGIT", "")
    officer = f.staff("agency_officer", agency_id=request.agency_id)
    assert inquiries.retry(identity, officer)
    db.session.commit()
    retried = db.session.execute(db.select(AuditEvent).filter_by(action="inquiry.retry")).scalar_one()
    assert (retried.actor_id, retried.object_ref, retried.after) == (
        officer.id,
        request.tracking_code,
        {"inquiry": "identity"},
    )
    found = fresh(request)
    assert found["identity"].state == "answered" and found["identity"].attempts == 1
    assert found["criminal_record"].state == "answered"
    assert not inquiries.retry(found["identity"], officer)  # only a failed one is retried


def test_an_officer_adds_an_inquiry(ctx):
    request = f.filed(licence(), f.citizen(FOUND_CITIZEN))
    postal = inquiry_type("postal", agency=f.agency(name="شرکت ملی پست"), subject="postal_code")
    officer = f.staff("agency_officer", agency_id=request.agency_id)
    inquiries.add(request, postal, officer)
    db.session.commit()
    added = db.session.execute(db.select(AuditEvent).filter_by(action="inquiry.add")).scalar_one()
    assert (added.actor_id, added.object_ref, added.after) == (officer.id, request.tracking_code, {"inquiry": "postal"})
    found = fresh(request)
    # The form has no postal code to ask by: failed at once with that said, not retried.
    assert found["postal"].position == 2 and found["postal"].state == "failed"
    assert "postal_code" in found["postal"].last_error


def test_the_form_no_longer_asks_for_a_replaced_document(ctx):
    service = licence()
    labels = [s["label"] for s in definition_for(service.current_revision) if s["type"] == "file"]
    assert labels == ["عکس ۳×۴"]  # کارت ملی by the type's text, the record by the card's index
    plain = f.service(documents=["کارت ملی", "عکس ۳×۴"])
    assert [s["label"] for s in definition_for(plain.current_revision) if s["type"] == "file"] == [
        "کارت ملی",
        "عکس ۳×۴",
    ]


# --- the HTTP adapter ---------------------------------------------------------------------------------------


QUESTION = bus.Question("identity", "1001", "national_code", "0009000003", IDENTITY_FIELDS, issue="123456789012")


@pytest.fixture
def http_bus(app, httpserver, monkeypatch):
    monkeypatch.setitem(app.config, "BUS_ADAPTER", "http")
    monkeypatch.setitem(app.config, "BUS_URL", httpserver.url_for("/gsb"))
    monkeypatch.setitem(app.config, "BUS_TOKEN", "secret-token")
    monkeypatch.setitem(app.config, "BUS_TIMEOUT", 5.0)
    return httpserver


def test_http_adapter_good_answer(ctx, http_bus):
    http_bus.expect_request(
        "/gsb/inquiries", method="POST", headers={"Authorization": "Bearer secret-token"}
    ).respond_with_json({"status": "found", "fields": {"alive": "بله", "serial": "123456"}})
    answer = bus.ask(QUESTION)
    assert answer == bus.Answer("found", {"alive": "بله", "serial": "123456"}, simulated=False)
    sent = http_bus.log[0][0].get_json()
    assert sent == {
        "type": "identity",
        "provider": "1001",
        "subject": "national_code",
        "value": "0009000003",
        "issue": "123456789012",
    }


def test_http_adapter_not_found(ctx, http_bus):
    http_bus.expect_request("/gsb/inquiries", method="POST").respond_with_json({"status": "not_found"})
    assert bus.ask(QUESTION).status == "not_found"


def test_http_adapter_500_and_nonsense_are_no_answer(ctx, http_bus):
    http_bus.expect_ordered_request("/gsb/inquiries").respond_with_data("down", status=500)
    http_bus.expect_ordered_request("/gsb/inquiries").respond_with_json({"status": "maybe"})
    with pytest.raises(bus.BusUnavailable):
        bus.ask(QUESTION)
    with pytest.raises(bus.BusUnavailable):
        bus.ask(QUESTION)


def test_an_inquiry_through_the_http_bus_is_answered(ctx, http_bus):
    http_bus.expect_request("/gsb/inquiries").respond_with_json({"status": "found", "fields": {"status": "ندارد"}})
    request = f.filed(licence(), f.citizen(FOUND_CITIZEN))
    found = fresh(request)
    assert found["criminal_record"].answer == {"status": "ندارد"} and not found["criminal_record"].simulated
    assert len(http_bus.log) == 2


def test_http_adapter_timeout_is_no_answer(ctx, app, http_bus, monkeypatch):
    monkeypatch.setitem(app.config, "BUS_TIMEOUT", 0.2)

    def slow(_request):
        time.sleep(0.6)
        return Response("{}", content_type="application/json")

    http_bus.expect_request("/gsb/inquiries").respond_with_handler(slow)
    started = time.monotonic()
    with pytest.raises(bus.BusUnavailable):
        bus.ask(QUESTION)
    assert time.monotonic() - started < 0.55
    time.sleep(0.5)  # the test server answers one request at a time: let the slow one end before the next test


def test_a_public_site_refuses_the_bus_simulator_and_a_bus_in_the_clear():
    from app import config

    real = {"SMS_BACKEND": "http", "MOBILE_OWNERSHIP_BACKEND": "http", "MOBILE_OWNERSHIP_URL": "https://shahkar"}
    real |= {"PAYMENT_BACKEND": "http", "PAYMENT_GATEWAY_URL": "https://ipg", "PREFER_HTTPS": True}
    with pytest.raises(RuntimeError, match="BUS_ADAPTER=simulator"):
        config.check({**real, "BUS_ADAPTER": "simulator"})
    with pytest.raises(RuntimeError, match="needs BUS_URL"):
        config.check({**real, "BUS_ADAPTER": "http"})
    with pytest.raises(RuntimeError, match="https://"):
        config.check({**real, "BUS_ADAPTER": "http", "BUS_URL": "http://gsb"})
    with pytest.raises(RuntimeError, match="'simulator' or 'http'"):
        config.check({**real, "BUS_ADAPTER": "soap"})
    config.check({**real, "BUS_ADAPTER": "http", "BUS_URL": "https://gsb"})


# --- the HTTP adapter over TLS with a client certificate (X-Road style) -------------------------------------


def _openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture
def pki(tmp_path):
    """A throw-away CA, a server certificate for 127.0.0.1 and a client certificate, all signed by the CA."""
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "1",
             "-subj", "/CN=Test GSB CA", cwd=tmp_path)  # fmt: skip
    for name, extra in (("server", "subjectAltName=IP:127.0.0.1"), ("client", "extendedKeyUsage=clientAuth")):
        _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr",
                 "-subj", f"/CN={name}", cwd=tmp_path)  # fmt: skip
        (tmp_path / f"{name}.ext").write_text(extra + "\n")
        _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                 "-out", f"{name}.pem", "-days", "1", "-extfile", f"{name}.ext", cwd=tmp_path)  # fmt: skip
    return tmp_path


@pytest.fixture
def tls_bus(app, pki, monkeypatch):
    """The bus over HTTPS, refusing any caller without a client certificate signed by its CA."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(pki / "ca.pem"))
    context.load_cert_chain(str(pki / "server.pem"), str(pki / "server.key"))
    context.verify_mode = ssl.CERT_REQUIRED
    server = HTTPServer(host="127.0.0.1", port=0, ssl_context=context)
    server.start()
    monkeypatch.setitem(app.config, "BUS_ADAPTER", "http")
    monkeypatch.setitem(app.config, "BUS_URL", f"https://127.0.0.1:{server.port}/gsb")
    monkeypatch.setitem(app.config, "BUS_TOKEN", "secret-token")
    monkeypatch.setitem(app.config, "BUS_TIMEOUT", 5.0)
    monkeypatch.setitem(app.config, "BUS_CA_FILE", str(pki / "ca.pem"))
    yield server
    server.clear()
    if server.is_running():
        server.stop()


def test_the_http_bus_presents_the_client_certificate_and_trusts_only_its_ca(ctx, app, tls_bus, pki, monkeypatch):
    tls_bus.expect_request("/gsb/inquiries", method="POST").respond_with_json({"status": "not_found"})
    with pytest.raises(bus.BusUnavailable):  # no client certificate: the bus refuses the handshake
        bus.ask(QUESTION)
    monkeypatch.setitem(app.config, "BUS_CLIENT_CERT", str(pki / "client.pem"))
    monkeypatch.setitem(app.config, "BUS_CLIENT_KEY", str(pki / "client.key"))
    assert bus.ask(QUESTION).status == "not_found"
    monkeypatch.setitem(app.config, "BUS_CA_FILE", "")  # the system's CAs do not vouch for this bus
    with pytest.raises(bus.BusUnavailable):
        bus.ask(QUESTION)


def test_a_bus_certificate_setting_that_names_no_file_stops_the_start():
    from app import config

    real = {"SMS_BACKEND": "http", "MOBILE_OWNERSHIP_BACKEND": "http", "MOBILE_OWNERSHIP_URL": "https://shahkar"}
    real |= {"PAYMENT_BACKEND": "http", "PAYMENT_GATEWAY_URL": "https://ipg", "BUS_ADAPTER": "http"}
    with pytest.raises(RuntimeError, match="BUS_CLIENT_CERT names no file"):
        config.check({**real, "BUS_URL": "https://gsb", "BUS_CLIENT_CERT": "/nonexistent/client.pem"})
