"""The nightly cleanup keeps what is recent and removes what is past its retention: SMS rows, expired one-time
codes, finished jobs (failed ones stay), throttle rows that make nobody wait, and untouched drafts with their files."""

import io
from datetime import timedelta

from werkzeug.datastructures import FileStorage

from app.extensions import db
from app.jobs import cleanup, tasks
from app.models import Job, Link, LinkCheck, OtpChallenge, Request, SignInThrottle, SmsMessage, WorkerHeartbeat, utcnow
from app.requests import attachments
from app.requests.filing import save_draft
from tests import factories as f

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _ago(days):
    return utcnow() - timedelta(days=days)


def test_sms_rows_past_their_retention_are_removed(ctx, app):
    keep = app.config["JOBS_SMS_RETENTION_DAYS"]
    db.session.add_all(
        [
            SmsMessage(mobile="09120000001", body="old", created_at=_ago(keep + 1)),
            SmsMessage(mobile="09120000002", body="recent", created_at=_ago(keep - 1)),
        ]
    )
    db.session.commit()
    assert cleanup.old_sms() == 1
    db.session.commit()
    assert [m.body for m in db.session.query(SmsMessage)] == ["recent"]


def test_codes_expired_longer_than_the_retention_are_removed(ctx, app):
    keep = app.config["JOBS_OTP_RETENTION_DAYS"]

    def code(public_id, expired_days_ago):
        expires = _ago(expired_days_ago)
        return OtpChallenge(
            public_id=public_id,
            national_code=f.national_code(7),
            mobile="09120000003",
            code_hash="x" * 64,
            sent_at=expires - timedelta(minutes=2),
            expires_at=expires,
        )

    db.session.add_all([code("old", keep + 1), code("recent", keep - 1)])
    db.session.commit()
    assert cleanup.old_codes() == 1
    db.session.commit()
    assert [c.public_id for c in db.session.query(OtpChallenge)] == ["recent"]


def test_done_jobs_past_the_retention_go_and_failed_ones_stay(ctx, app):
    keep = app.config["JOBS_DONE_RETENTION_DAYS"]
    db.session.add_all(
        [
            Job(kind="sms", ref="done-old", state="done", done_at=_ago(keep + 1)),
            Job(kind="sms", ref="done-recent", state="done", done_at=_ago(keep - 1)),
            Job(kind="sms", ref="failed-old", state="failed", created_at=_ago(keep + 10)),
        ]
    )
    db.session.commit()
    assert cleanup.finished_jobs() == 1
    db.session.commit()
    assert sorted(j.ref for j in db.session.query(Job)) == ["done-recent", "failed-old"]


def test_link_checks_older_than_their_retention_go_and_the_link_keeps_its_state(ctx, app):
    keep = app.config["JOBS_LINK_CHECK_RETENTION_DAYS"]
    assert keep >= 365  # an annual evaluation looks back a year
    link = Link(url="https://example.ir/a", host="example.ir", state="broken", failures=2, last_checked_at=_ago(1))
    db.session.add(link)
    db.session.flush()
    for days, result in ((keep + 1, "ok"), (keep - 1, "failure"), (1, "failure")):
        db.session.add(LinkCheck(link_id=link.id, checked_at=_ago(days), result=result, state="ok"))
    db.session.commit()
    assert cleanup.old_link_checks() == 1
    db.session.commit()
    assert sorted(c.result for c in db.session.query(LinkCheck)) == ["failure", "failure"]
    assert db.session.get(Link, link.id).state == "broken"


def test_beats_of_workers_silent_for_a_day_are_removed(ctx):
    db.session.add_all(
        [
            WorkerHeartbeat(worker="old:1", started_at=_ago(3), beat_at=_ago(2)),
            WorkerHeartbeat(worker="alive:2", started_at=_ago(3), beat_at=utcnow()),
        ]
    )
    db.session.commit()
    assert cleanup.old_heartbeats() == 1
    db.session.commit()
    assert [b.worker for b in db.session.query(WorkerHeartbeat)] == ["alive:2"]


def test_throttle_rows_are_forgotten_only_when_quiet_and_no_longer_blocking(ctx):
    db.session.add_all(
        [
            SignInThrottle(key="quiet", failures=9, last_failed_at=_ago(2), blocked_until=_ago(2)),
            SignInThrottle(key="recent", failures=2, last_failed_at=_ago(0), blocked_until=None),
            SignInThrottle(
                key="blocking", failures=30, last_failed_at=_ago(2), blocked_until=utcnow() + timedelta(minutes=5)
            ),
        ]
    )
    db.session.commit()
    assert cleanup.quiet_throttles() == 1
    db.session.commit()
    assert sorted(t.key for t in db.session.query(SignInThrottle)) == ["blocking", "recent"]


def test_untouched_drafts_go_with_their_files_and_submitted_requests_stay(ctx, app):
    keep = app.config["JOBS_DRAFT_RETENTION_DAYS"]
    citizen = f.citizen()
    target = f.service()
    upload = FileStorage(stream=io.BytesIO(PDF), filename="scan.pdf", content_type="application/pdf")
    scan = attachments.store(upload, field_name="scan", uploaded_by=citizen)
    old = save_draft(target, citizen, {"description": "old"}, files=[scan])
    save_draft(target, citizen, {"description": "recent"})
    submitted = f.filed(target, citizen)
    db.session.commit()
    stored = attachments.folder() / scan.storage_name
    assert stored.exists()
    db.session.execute(
        db.update(Request).where(Request.id.in_([old.id, submitted.id])).values(updated_at=_ago(keep + 1))
    )
    db.session.commit()
    assert cleanup.expired_drafts() == 1
    assert not stored.exists()
    remaining = {r.answers.get("description") for r in db.session.query(Request)}
    assert remaining == {"recent", "درخواست آزمایشی"}


def test_the_nightly_task_runs_every_part_once(app):
    with app.app_context():
        db.session.add(SmsMessage(mobile="09120000009", body="old", created_at=_ago(1000)))
        db.session.commit()
        counts = tasks.nightly_cleanup.call_local()
        assert counts == {
            "sms": 1,
            "codes": 0,
            "jobs": 0,
            "beats": 0,
            "throttles": 0,
            "drafts": 0,
            "scans": 0,
            "link_checks": 0,
        }
        assert db.session.query(SmsMessage).count() == 0


def test_cleanup_all_command_reports_each_part(app, runner):
    with app.app_context():
        db.session.add(SmsMessage(mobile="09120000010", body="old", created_at=_ago(1000)))
        db.session.commit()
    result = runner.invoke(args=["cleanup", "all"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "sms 1, codes 0, jobs 0, beats 0, throttles 0, drafts 0, scans 0, link_checks 0"
