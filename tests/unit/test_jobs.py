"""The outbox and the worker: a row written in a rolled-back transaction never runs, a committed one runs once
(at commit in immediate mode, and through a real huey consumer thread), failures back off and end "failed", the
sweeper finds a row whose wake-up was lost, the heartbeat drives /healthz, and the nightly job runs once however
many workers try."""

import signal
import threading
import time
from datetime import timedelta

import pytest
from huey.exceptions import TaskLockedException
from huey.storage import PriorityRedisStorage, SqliteStorage
from sqlalchemy import update

from app.adapters import sms
from app.extensions import db
from app.jobs import cleanup, outbox, queue, tasks
from app.models import Job, Setting, SmsMessage, WorkerHeartbeat, utcnow

MOBILE = "09121234567"
CLOSED_PORT_URL = "http://127.0.0.1:9/sms"  # discard port: nothing listens, the connection is refused


@pytest.fixture
def probe(monkeypatch):
    """A job kind whose handler records each run (and fails while `failing` holds)."""
    runs = []
    state = {"failing": False}

    def work(job):
        runs.append(job.ref)
        if state["failing"]:
            raise ConnectionError("gateway down")

    monkeypatch.setitem(outbox.HANDLERS, "probe", work)
    return runs, state


def _job(job_id):
    db.session.rollback()
    return db.session.get(Job, job_id)


def test_a_job_written_in_a_rolled_back_transaction_never_runs(ctx, probe):
    runs, _ = probe
    outbox.schedule("probe", "rolled-back")
    sms.send(MOBILE, "never", purpose="otp")
    db.session.rollback()
    db.session.commit()  # a later commit of the same session must not wake anything either
    assert runs == []
    assert db.session.query(Job).count() == 0 and db.session.query(SmsMessage).count() == 0


def test_a_committed_job_runs_once_and_a_second_run_does_nothing(ctx, probe):
    runs, _ = probe
    job = outbox.schedule("probe", "once")
    db.session.commit()
    job_id = job.id
    assert runs == ["once"]
    assert _job(job_id).state == "done" and _job(job_id).attempts == 1
    assert outbox.run(job_id) == "skipped"
    assert runs == ["once"]


def test_a_sent_sms_is_not_sent_again(ctx, app, httpserver, monkeypatch):
    monkeypatch.setitem(app.config, "SMS_BACKEND", "http")
    monkeypatch.setitem(app.config, "SMS_HTTP_URL", httpserver.url_for("/sms"))
    httpserver.expect_request("/sms", method="POST").respond_with_data("ok")
    message = sms.send(MOBILE, "کد ورود: 123456", purpose="otp")
    db.session.commit()
    assert len(httpserver.log) == 1
    sent = httpserver.log[0][0].get_json()
    assert {k: sent[k] for k in ("to", "text")} == {"to": MOBILE, "text": "کد ورود: 123456"}
    job = _job(message.job_id)
    job.state, job.next_try_at = "pending", utcnow() - timedelta(seconds=1)  # as if the done mark had been lost
    db.session.commit()
    assert outbox.run(job.id) == "done"
    assert len(httpserver.log) == 1


def test_a_message_resent_after_a_lost_commit_carries_the_same_idempotency_key(ctx, app, httpserver, monkeypatch):
    """A worker killed between the gateway's answer and its own commit sends again: the gateway can deduplicate."""
    monkeypatch.setitem(app.config, "SMS_BACKEND", "http")
    monkeypatch.setitem(app.config, "SMS_HTTP_URL", httpserver.url_for("/sms"))
    httpserver.expect_request("/sms", method="POST").respond_with_data("ok")
    message = sms.send(MOBILE, "کد ورود: 654321", purpose="otp")
    other = sms.send(MOBILE, "کد ورود: 111111", purpose="otp")
    db.session.commit()
    job = _job(message.job_id)
    # As if the worker had died between the gateway's answer and committing "sent".
    db.session.execute(update(SmsMessage).where(SmsMessage.id == message.id).values(status="stored"))
    job.state, job.next_try_at = "pending", utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert outbox.run(job.id) == "done"
    keys = [request.headers["Idempotency-Key"] for request, _response in httpserver.log]
    bodies = [request.get_json()["id"] for request, _response in httpserver.log]
    assert len(keys) == 3 and keys == bodies
    assert keys[0] == keys[2] != keys[1]  # the same message twice, the other message its own key
    assert str(message.id) not in keys and str(other.id) not in keys  # no row id leaves the app


def test_retry_delays_grow_and_stay_under_the_ceiling(app):
    with app.app_context():
        delays = [outbox.retry_delay(n).total_seconds() for n in range(1, 12)]
    base, ceiling = app.config["JOBS_RETRY_BASE_SECONDS"], app.config["JOBS_RETRY_MAX_SECONDS"]
    assert base / 2 <= delays[0] <= base
    assert all(later >= earlier for earlier, later in zip(delays[:5], delays[1:6], strict=True))
    assert max(delays) <= ceiling


def test_a_failing_gateway_is_retried_with_growing_waits_then_failed(ctx, app, monkeypatch):
    monkeypatch.setitem(app.config, "SMS_BACKEND", "http")
    monkeypatch.setitem(app.config, "SMS_HTTP_URL", CLOSED_PORT_URL)
    monkeypatch.setitem(app.config, "JOBS_MAX_ATTEMPTS", 4)
    message = sms.send(MOBILE, "کد ورود: 654321", purpose="otp")
    db.session.commit()  # the first try runs at commit (immediate mode) and fails
    job_id = message.job_id
    waits = []
    while (job := _job(job_id)).state == "pending":
        waits.append((job.next_try_at - utcnow()).total_seconds())
        job.next_try_at = utcnow() - timedelta(seconds=1)  # the wait is over
        db.session.commit()
        outbox.run(job_id)
    job = _job(job_id)
    assert job.state == "failed" and job.attempts == 4
    assert "URLError" in job.last_error or "refused" in job.last_error.lower()
    assert len(waits) == 3 and waits[0] < waits[1] < waits[2]
    assert db.session.get(SmsMessage, message.id).status == "stored"  # never pretended sent


def test_the_sweeper_runs_a_pending_job_whose_wake_up_was_lost(ctx, probe):
    runs, _ = probe
    job = outbox.schedule("probe", "lost")
    db.session().info.pop(outbox._PENDING)  # the wake-up is lost (a queue down, a process killed after commit)
    db.session.commit()
    assert runs == [] and _job(job.id).state == "pending"
    assert tasks.sweep_outbox.call_local() == 1
    assert runs == ["lost"] and _job(job.id).state == "done"
    assert tasks.sweep_outbox.call_local() == 0


def test_the_sweeper_leaves_a_job_whose_lease_or_wait_has_not_passed(ctx, probe):
    runs, state = probe
    state["failing"] = True
    job = outbox.schedule("probe", "later")
    db.session.commit()
    assert _job(job.id).next_try_at > utcnow()
    assert tasks.sweep_outbox.call_local() == 0 and runs == ["later"]


def test_healthz_says_stale_without_a_heartbeat_and_ok_after_one(app, client):
    assert client.get("/healthz").get_json()["worker"] == "stale"
    with app.app_context():
        tasks.heartbeat.call_local()
    body = client.get("/healthz").get_json()
    assert body == {"status": "ok", "database": "ok", "worker": "ok"}
    with app.app_context():
        old = utcnow() - timedelta(seconds=app.config["JOBS_HEARTBEAT_STALE_SECONDS"] + 1)
        db.session.execute(db.update(WorkerHeartbeat).values(beat_at=old))
        db.session.commit()
    assert client.get("/healthz").get_json()["worker"] == "stale"


def test_two_workers_do_not_both_run_the_nightly_cleanup(app, monkeypatch):
    ran = []

    def slow_cleanup():
        ran.append(threading.get_ident())
        time.sleep(0.3)
        return {}

    monkeypatch.setattr(cleanup, "run_all", slow_cleanup)
    monkeypatch.setattr(queue, "_app", app)  # the threads have no app context: the worker's app is this one
    outcomes = []

    def worker():
        try:
            outcomes.append(tasks.nightly_cleanup.call_local())
        except TaskLockedException:
            outcomes.append("locked")

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(ran) == 1 and "locked" in outcomes
    # A third copy after the first finished (another scheduler's, late) finds today claimed.
    assert tasks.nightly_cleanup.call_local() is None and len(ran) == 1
    with app.app_context():
        assert db.session.get(Setting, "jobs.last_run.nightly_cleanup").value == utcnow().date().isoformat()


def _storage(request, tmp_path, kind):
    """The queue's storage as production builds it: SQLite in a file, or Redis with priorities (a throw-away
    redis-server, tests/redis.py)."""
    if kind == "redis":
        return PriorityRedisStorage("panjerehtest", url=request.getfixturevalue("redis_url"))
    return SqliteStorage("panjereh", filename=str(tmp_path / "jobs.sqlite3"))


@pytest.fixture(params=["sqlite", "redis"])
def real_queue(request, app, tmp_path, monkeypatch):
    """The app out of immediate mode, its queue on a real storage."""
    monkeypatch.setitem(app.config, "JOBS_IMMEDIATE", False)
    monkeypatch.setattr(queue, "_app", app)
    saved = queue.huey.storage
    queue.huey.storage = _storage(request, tmp_path, request.param)
    yield queue.huey
    queue.huey.storage.flush_all()
    queue.huey.storage = saved


@pytest.fixture
def real_worker(real_queue):
    """A huey consumer with one worker thread on that queue."""
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    consumer = real_queue.create_consumer(workers=1, periodic=False, initial_delay=0.02, max_delay=0.1)
    consumer.start()
    yield consumer
    consumer.stop(graceful=True)
    for number, handler in handlers.items():
        signal.signal(number, handler)


def test_sign_in_codes_leave_the_queue_before_notices(app, real_queue):
    with app.app_context():
        notice = sms.send(MOBILE, "درخواست ثبت شد", purpose="tracking")
        code = sms.send(MOBILE, "کد ورود: 333444", purpose="otp")
        db.session.commit()
        order = [real_queue.dequeue().args[0] for _ in range(2)]
        assert order == [code.job_id, notice.job_id]


def _wait_for(predicate, seconds=10.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def test_a_committed_sms_is_sent_by_a_real_worker_thread(app, real_worker, monkeypatch):
    senders = []
    monkeypatch.setattr(sms.log, "info", lambda *args: senders.append(threading.current_thread().name))
    with app.app_context():
        message = sms.send(MOBILE, "کد ورود: 111222", purpose="otp")
        db.session.commit()
        message_id = message.id

        def done():
            db.session.rollback()
            return db.session.get(SmsMessage, message_id).job.state == "done"

        assert _wait_for(done)
        db.session.rollback()  # done() read the message before its job: read both again, after the commit
        message = db.session.get(SmsMessage, message_id)
        job = message.job
        assert (message.status, job.attempts, job.last_error) == ("sent", 1, "")
    assert senders == ["Worker-1"]  # huey's worker thread sent it, not the committing one


def test_the_worker_command_refuses_to_start_in_immediate_mode(runner):
    result = runner.invoke(args=["worker"])
    assert result.exit_code == 2 and "JOBS_IMMEDIATE" in result.output
