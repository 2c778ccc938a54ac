"""/admin/jobs: a message that the broken SMS gateway refused shows as failed with its error, and after the gateway
is fixed the retry button sends it (audited); pending counts and the oldest pending age per kind; the warning when
no worker beats; only national administrators see the page."""

import re
from datetime import timedelta

import pytest

from app.administration import audit
from app.extensions import db
from app.jobs import outbox
from app.models import AuditEvent, Job, Role, SmsMessage, utcnow
from tests import factories as f
from tests.web.helpers import register_mobile, sign_in_staff

CLOSED_PORT_URL = "http://127.0.0.1:9/sms"  # discard port: nothing listens
NATIONAL_CODE, MOBILE = f.national_code(4242), "09124242424"
NO_WORKER = "هیچ پردازشگر پس‌زمینه‌ای کار نمی‌کند"


@pytest.fixture
def admin(app, client):
    with app.app_context():
        f.staff(Role.NATIONAL_ADMIN, username="nadm")
        db.session.commit()
    sign_in_staff(client, "nadm")
    return client


def _gateway(app, monkeypatch, url):
    monkeypatch.setitem(app.config, "SMS_BACKEND", "http")
    monkeypatch.setitem(app.config, "SMS_HTTP_URL", url)


def test_a_message_the_broken_gateway_refused_is_failed_on_the_page_and_sent_after_retry(
    app, admin, monkeypatch, httpserver
):
    monkeypatch.setitem(app.config, "JOBS_MAX_ATTEMPTS", 1)  # fail at the first refusal, no waiting in a test
    _gateway(app, monkeypatch, CLOSED_PORT_URL)
    register_mobile(app, NATIONAL_CODE, MOBILE)
    citizen = app.test_client()
    assert citizen.post("/account/sign-in", data={"national_code": NATIONAL_CODE, "mobile": MOBILE}).status_code == 302

    page = admin.get("/admin/jobs")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "پیامک" in html and "URLError" in html and "تلاش دوباره" in html
    with app.app_context():
        job = db.session.execute(db.select(Job)).scalar_one()
        assert job.state == "failed"
        job_id = job.id
    assert f'name="job" value="{job_id}"' in html

    _gateway(app, monkeypatch, httpserver.url_for("/sms"))  # the gateway is fixed
    httpserver.expect_request("/sms", method="POST").respond_with_data("ok")
    response = admin.post("/admin/jobs/retry", data={"job": str(job_id)})
    assert response.status_code == 302 and response.headers["Location"] == "/admin/jobs"

    assert len(httpserver.log) == 1
    sent = httpserver.log[0][0].get_json()
    assert sent["to"] == MOBILE and re.search(r"\d{6}", sent["text"])
    with app.app_context():
        job = db.session.get(Job, job_id)
        assert job.state == "done" and job.attempts == 1 and job.last_error == ""
        assert db.session.execute(db.select(SmsMessage.status)).scalar_one() == "sent"
        event = db.session.execute(db.select(AuditEvent).filter_by(action="job.retry")).scalar_one()
        assert event.object_ref == str(job_id) and "URLError" in event.before["last_error"]
        assert audit.verify().ok
    html = admin.get("/admin/jobs").get_data(as_text=True)
    assert "کار ناموفقی نیست." in html


def test_retrying_a_job_that_is_not_failed_is_404_and_changes_nothing(app, admin):
    with app.app_context():
        job = outbox.schedule("probe-unknown", "x")  # no handler: it fails once, then waits for its retry
        db.session.commit()
        job_id = job.id
        assert db.session.get(Job, job_id).state == "pending"
    assert admin.post("/admin/jobs/retry", data={"job": str(job_id)}).status_code == 404
    assert admin.post("/admin/jobs/retry", data={"job": "999999"}).status_code == 404
    response = admin.post("/admin/jobs/retry", data={"job": "دو"})
    assert response.status_code == 400
    with app.app_context():
        assert db.session.get(Job, job_id).attempts == 1
        assert db.session.query(AuditEvent).filter_by(action="job.retry").count() == 0


def test_the_page_counts_pending_jobs_per_kind_with_the_oldest_age(app, admin, monkeypatch):
    _gateway(app, monkeypatch, CLOSED_PORT_URL)  # each message fails its first try and waits for the next
    with app.app_context():
        from app.adapters import sms

        sms.send(MOBILE, "یک")
        sms.send(MOBILE, "دو")
        db.session.commit()
        db.session.execute(db.update(Job).values(created_at=utcnow() - timedelta(minutes=42)))
        db.session.commit()
    html = admin.get("/admin/jobs").get_data(as_text=True)
    row = re.search(r"<td[^>]*>پیامک</td>\s*<td[^>]*>(.*?)</td>\s*<td[^>]*>(.*?)</td>\s*<td[^>]*>(.*?)</td>", html)
    assert row is not None and row.groups() == ("۲", "۰", "۴۲ دقیقه")


def test_the_warning_shows_while_no_worker_beats_and_goes_after_a_beat(app, admin):
    assert 'href="/admin/jobs"' in admin.get("/admin/").get_data(as_text=True)  # the admin nav links the page
    assert NO_WORKER in admin.get("/admin/jobs").get_data(as_text=True)
    with app.app_context():
        outbox.beat("host-a:1234")
    html = admin.get("/admin/jobs").get_data(as_text=True)
    assert NO_WORKER not in html and "host-a:1234" in html


def test_provincial_administrators_do_not_see_the_page_or_its_link(app, client):
    with app.app_context():
        f.staff(Role.PROVINCIAL_ADMIN, username="padm", province=f.province("23"))
        db.session.commit()
    sign_in_staff(client, "padm")
    assert client.get("/admin/jobs").status_code == 404
    assert "/admin/jobs" not in client.get("/admin/").get_data(as_text=True)
