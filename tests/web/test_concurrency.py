"""Many clicks at once, through real threads (each request its own app context and session): one draft submitted
by twelve posts, one request taken or decided by eight officers. One wins; the others are told; no 500."""

import io
import json
import threading
from pathlib import Path

import pytest

from app.core.identifiers import format_tracking_code
from app.core.persian import to_persian_digits
from app.extensions import db
from app.models import Attachment, Request, RequestEvent, Role, Service, SmsMessage, User
from app.requests import workflow
from tests import factories as f
from tests.web.helpers import sign_in_citizen, sign_in_staff

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
FORM = [
    {"name": "plate", "type": "text", "label": "شمارهٔ پلاک", "required": True, "max_length": 20},
    {"name": "scan", "type": "file", "label": "تصویر سند", "required": True, "accept": ["pdf"]},
]
CHANGED = "این درخواست همین حالا تغییر کرد؛ صفحه را دوباره باز کنید."


@pytest.fixture
def world(app):
    with app.app_context():
        owner = f.agency(name="پلیس راهور")
        service = f.service(owner, form=FORM, title="صدور المثنی کارت خودرو")
        alice = f.citizen(4001, mobile="09120004001")
        f.staff(Role.AGENCY_OFFICER, username="officer", agency=owner)
        db.session.commit()
        return {"service": service.code, "alice": (alice.national_code, alice.mobile), "alice_id": alice.id}


@pytest.fixture
def gateway(app, httpserver, monkeypatch):
    """The SMS gateway backend, pointed at a local server that records what reaches it."""
    httpserver.expect_request("/send", method="POST").respond_with_data("ok")
    monkeypatch.setitem(app.config, "SMS_BACKEND", "http")
    monkeypatch.setitem(app.config, "SMS_HTTP_URL", httpserver.url_for("/send"))
    return lambda: [json.loads(request.data) for request, _response in httpserver.log]


def _clones(app, client, n):
    """n clients sharing the signed-in session of `client`, as n tabs or n double clicks would."""
    cookie = client.get_cookie("session")
    clones = [app.test_client() for _ in range(n)]
    for clone in clones:
        clone.set_cookie("session", cookie.value, domain=cookie.domain)
    return clones


def _at_once(calls):
    """Run every call in its own thread, released together; what each returned, or the exception it raised."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index):
        barrier.wait()
        try:
            results[index] = calls[index]()
        except BaseException as error:  # a crash is a result the test reports
            results[index] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a request never finished"
    return results


def test_twelve_concurrent_submits_of_one_draft_file_it_once_with_one_code(client, app, world, gateway):
    sign_in_citizen(client, app, *world["alice"])
    apply_url = f"/services/{world['service']}/apply"
    saved = client.post(
        apply_url,
        content_type="multipart/form-data",
        data={
            "idempotency_key": "draft-key-000000",
            "action": "draft",
            "plate": "۱۲ب۳۴۵",
            "scan": (io.BytesIO(PDF), "سند.pdf"),
        },
    )
    public_id = saved.headers["Location"].rsplit("draft=", 1)[1]
    form = {"idempotency_key": "submit-key-00000000", "draft": public_id}  # «فرستادن» on the check page
    sign_in_sms = len(gateway())

    results = _at_once([lambda c=c: c.post(apply_url + "/check", data=form) for c in _clones(app, client, 12)])

    assert [r for r in results if isinstance(r, BaseException)] == []
    assert {r.status_code for r in results} == {302}
    with app.app_context():
        filed = db.session.execute(db.select(Request)).scalar_one()
        assert filed.status == "submitted" and filed.public_id == public_id
        code = filed.tracking_code
        assert {r.headers["Location"] for r in results} == {f"/requests/{code}"}  # every code shown is this one
        assert [e.action for e in db.session.query(RequestEvent)] == ["submit"]
        texts = [m.body for m in db.session.query(SmsMessage).filter_by(purpose="tracking")]
        assert len(texts) == 1 and to_persian_digits(format_tracking_code(code)) in texts[0]
        scan = db.session.execute(db.select(Attachment)).scalar_one()  # the draft's file, kept by every loser
        assert Path(app.config["UPLOAD_FOLDER"], scan.storage_name).read_bytes() == PDF
    sent = gateway()[sign_in_sms:]
    assert len(sent) == 1 and to_persian_digits(format_tracking_code(code)) in sent[0]["text"]


def _request_in_review(app, world):
    with app.app_context():
        officer = db.session.execute(db.select(User).filter_by(username="officer")).scalar_one()
        service = db.session.execute(db.select(Service).filter_by(code=world["service"])).scalar_one()
        request = f.filed(service, db.session.get(User, world["alice_id"]), {"plate": "۱۲ب۳۴۵"})
        workflow.advance(request, "take", officer)
        db.session.commit()
        return request.tracking_code


def test_four_approvals_and_four_rejections_at_once_decide_once_and_send_one_sms(client, app, world, gateway):
    code = _request_in_review(app, world)
    filing_sms = len(gateway())
    sign_in_staff(client, "officer")
    approve = {"action": "approve", "message": ""}
    reject = {"action": "reject", "message": "مدرک ناخوانا است", "confirm": "yes"}
    clones = _clones(app, client, 8)
    url = f"/desk/requests/{code}/act"

    results = _at_once(
        [lambda c=c, data=(approve if i % 2 else reject): c.post(url, data=data) for i, c in enumerate(clones)]
    )

    assert [r for r in results if isinstance(r, BaseException)] == []
    assert sorted(r.status_code for r in results)[0] == 302
    losers = [r for r in results if r.status_code != 302]
    assert len(losers) == 7 and {r.status_code for r in losers} <= {400, 409}
    for loser in losers:  # the page as it is now, with why nothing happened
        html = loser.get_data(as_text=True)
        assert CHANGED in html or "این کار در وضعیت" in html
    with app.app_context():
        request = db.session.execute(db.select(Request)).scalar_one()
        decisions = [e for e in request.events if e.action in ("approve", "reject")]
        assert len(decisions) == 1 and request.status == decisions[0].to_status
        assert db.session.query(SmsMessage).filter_by(purpose="status").count() == 1
    assert len(gateway()) == filing_sms + 1


def test_eight_officers_taking_one_request_at_once_record_one_take(client, app, world):
    with app.app_context():
        service = db.session.execute(db.select(Service).filter_by(code=world["service"])).scalar_one()
        code = f.filed(service, db.session.get(User, world["alice_id"]), {"plate": "۱۲ب۳۴۵"}).tracking_code
    sign_in_staff(client, "officer")
    url = f"/desk/requests/{code}/act"

    results = _at_once([lambda c=c: c.post(url, data={"action": "take"}) for c in _clones(app, client, 8)])

    assert [r for r in results if isinstance(r, BaseException)] == []
    assert [r.status_code for r in results].count(302) == 1
    assert {r.status_code for r in results} <= {302, 400, 409}
    with app.app_context():
        request = db.session.execute(db.select(Request)).scalar_one()
        assert request.status == "in_review"
        assert [e.action for e in request.events] == ["submit", "take"]
