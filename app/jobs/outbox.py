"""The outbox rule: work that must happen is a Job row written in the caller's transaction; after that transaction
commits the queue is woken; run() does the work once (a row already done does nothing), retrying with exponential
backoff and jitter up to JOBS_MAX_ATTEMPTS tries, then leaves the row "failed" with its last error.

Handlers are registered per kind (`@handler("sms")`) and receive the claimed row; what they change in the session is
committed together with the row's "done". A handler must be idempotent: a
worker killed after the work but before its commit runs it again once the lease has passed (at least once).
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from flask import current_app
from sqlalchemy import CursorResult, case, func, inspect, select, update
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from app.core.db import upsert
from app.extensions import db
from app.jobs import queue
from app.models import Job, Setting, User, WorkerHeartbeat, utcnow

log = logging.getLogger("panjereh.jobs")

Handler = Callable[[Job], None]
HANDLERS: dict[str, Handler] = {}
# What an administrator reads for each kind on /admin/jobs (the kind itself when none was given).
LABELS: dict[str, object] = {}

# Jobs waiting for their transaction, kept on the session that wrote them (Session.info), as in app/adapters/sms.py.
_PENDING = "jobs_pending"


def handler(kind: str, label: object = None) -> Callable[[Handler], Handler]:
    """Register the function that does the work of one kind of job (and the kind's name on the admin page)."""

    def register(function: Handler) -> Handler:
        HANDLERS[kind] = function
        LABELS[kind] = label or kind
        return function

    return register


def schedule(kind: str, ref: object = "", *, priority: int = queue.NORMAL, not_before: datetime | None = None) -> Job:
    """Write a pending job in the caller's transaction; the queue hears of it only once that transaction commits,
    and a rollback takes the row and the wake-up with it. Nothing is flushed here (callers such as file_request
    keep their clashes to the commit). A job `not_before` a later moment wakes nobody now: the sweeper (every
    minute) hands it to a worker once that moment has come."""
    job = Job(
        kind=kind,
        ref=str(ref)[:64],
        state="pending",
        priority=priority,
        attempts=0,
        next_try_at=not_before or utcnow(),
        last_error="",
    )
    db.session.add(job)
    if not_before is None:
        db.session().info.setdefault(_PENDING, []).append((job, priority))
    return job


@sa_event.listens_for(Session, "after_commit")
def _enqueue_committed(session: Session) -> None:
    for job, priority in session.info.pop(_PENDING, []):
        identity = inspect(job).identity  # read from the identity key: no SQL, which after_commit may not emit
        if identity is not None:
            enqueue(identity[0], priority)


@sa_event.listens_for(Session, "after_rollback")
def _drop_uncommitted(session: Session) -> None:
    session.info.pop(_PENDING, None)


def enqueue(job_id: int, priority: int = queue.NORMAL, eta: datetime | None = None) -> None:
    """Wake a worker for this job (at eta, if given); in immediate mode run it now, in its own transaction.

    Never raises: the row is committed already, so a queue that is down only delays the work until the sweeper."""
    try:
        if queue.is_immediate():
            if eta is None:
                run_job.call_local(job_id)
        elif eta is None:
            queue.huey.enqueue(run_job.s(job_id, priority=priority))
        else:
            run_job.schedule((job_id,), eta=eta, priority=priority)
    except Exception:
        log.exception("could not enqueue job %s; the sweeper will", job_id)


@queue.huey.task(name="run_job")
def run_job(job_id: int) -> str:
    """The task: run one outbox row in a fresh application context (its own session and transaction)."""
    with queue.app_context():
        return run(job_id)


def retry_delay(attempts: int) -> timedelta:
    """The wait after the n-th failed try: base x 2^(n-1) seconds up to the ceiling, of which a random half is
    dropped ("equal jitter"), so messages that failed together do not all come back at the same second."""
    config = current_app.config
    ceiling = config["JOBS_RETRY_MAX_SECONDS"]
    full = min(config["JOBS_RETRY_BASE_SECONDS"] * 2 ** max(attempts - 1, 0), ceiling)
    return timedelta(seconds=full / 2 + random.uniform(0, full / 2))


def run(job_id: int) -> str:
    """Do one job's work if it is still due; "done", "retry", "failed" or "skipped" (not pending, not due yet, or
    another worker holds it). The row is claimed first (attempts + 1 and next try moved a lease ahead, in one
    UPDATE), so two workers handed the same job do not both run it."""
    now = utcnow()
    lease = timedelta(seconds=current_app.config["JOBS_LEASE_SECONDS"])
    claim = (
        update(Job)
        .where(Job.id == job_id, Job.state == "pending", Job.next_try_at <= now)
        .values(attempts=Job.attempts + 1, next_try_at=now + lease)
        .execution_options(synchronize_session=False)
    )
    # An UPDATE answers with a CursorResult (its row count); Session.execute is typed for any statement.
    claimed = cast(CursorResult[Any], db.session.execute(claim)).rowcount == 1
    db.session.commit()
    if not claimed:
        return "skipped"
    job = db.session.get(Job, job_id)
    assert job is not None
    kind, ref = job.kind, job.ref
    try:
        work = HANDLERS.get(kind)
        if work is None:
            raise LookupError(f"no handler for job kind {kind!r}")
        work(job)
        job = db.session.get(Job, job_id)
        assert job is not None
        job.state, job.done_at, job.last_error = "done", utcnow(), ""
        db.session.commit()
        return "done"
    except Exception as error:  # whatever the work raised is the row's last error, never the worker's end
        db.session.rollback()
        log.warning("job %s (%s %s) failed: %r", job_id, kind, ref, error)
        return _failed(job_id, f"{type(error).__name__}: {error}")


def _failed(job_id: int, message: str) -> str:
    job = db.session.get(Job, job_id)
    assert job is not None
    job.last_error = message[:2000]
    if job.attempts >= current_app.config["JOBS_MAX_ATTEMPTS"]:
        job.state = "failed"
        db.session.commit()
        return "failed"
    job.next_try_at = utcnow() + retry_delay(job.attempts)
    priority, eta = job.priority, job.next_try_at
    db.session.commit()
    enqueue(job_id, priority, eta=eta)
    return "retry"


def retry(job: Job) -> None:
    """Pending again with a fresh count of tries, due now; the queue is woken when the caller commits."""
    job.state, job.attempts, job.next_try_at = "pending", 0, utcnow()
    db.session().info.setdefault(_PENDING, []).append((job, job.priority))


def failed_job(job_id: int | None) -> Job | None:
    """The failed job with this id, locked until the transaction ends (two administrators pressing retry at once
    retry it once); None when there is no such failed job (never failed, or retried meanwhile)."""
    if job_id is None:
        return None
    return db.session.execute(
        select(Job).where(Job.id == job_id, Job.state == "failed").with_for_update()
    ).scalar_one_or_none()


def retry_failed(actor: User, job: Job) -> None:
    """An administrator's retry of a failed job, audited with the error it had; the caller commits."""
    from app.administration import audit

    before = {"state": job.state, "attempts": job.attempts, "last_error": job.last_error[:500]}
    audit.record(actor, "job.retry", "job", str(job.id), before, {"state": "pending", "kind": job.kind})
    retry(job)


def sweep(limit: int = 500) -> int:
    """Re-enqueue pending jobs whose next try has come (a lost wake-up, a worker killed mid-job, a retry whose
    scheduled wake-up lived in a queue that was lost); returns how many. Most urgent first."""
    rows = db.session.execute(
        select(Job.id, Job.priority)
        .where(Job.state == "pending", Job.next_try_at <= utcnow())
        .order_by(Job.priority.desc(), Job.next_try_at)
        .limit(limit)
    ).all()
    db.session.rollback()
    for job_id, priority in rows:
        enqueue(job_id, priority)
    return len(rows)


@dataclass
class KindSummary:
    kind: str
    pending: int
    failed: int
    oldest_pending: datetime | None


def summary() -> list[KindSummary]:
    """Per kind: pending and failed counts and when the oldest pending row was written (kinds with neither are
    left out)."""
    pending = Job.state == "pending"
    rows = db.session.execute(
        select(
            Job.kind,
            func.sum(case((pending, 1), else_=0)),
            func.sum(case((Job.state == "failed", 1), else_=0)),
            func.min(case((pending, Job.created_at), else_=None)),
        )
        .where(Job.state.in_(("pending", "failed")))
        .group_by(Job.kind)
        .order_by(Job.kind)
    ).all()
    return [KindSummary(kind, int(p or 0), int(f or 0), oldest) for kind, p, f, oldest in rows]


def failed_jobs(limit: int = 100) -> list[Job]:
    """The failed rows, newest first."""
    return list(
        db.session.execute(select(Job).where(Job.state == "failed").order_by(Job.id.desc()).limit(limit)).scalars()
    )


def heartbeats(limit: int = 20) -> list[WorkerHeartbeat]:
    """The workers' beats, newest first."""
    query = select(WorkerHeartbeat).order_by(WorkerHeartbeat.beat_at.desc()).limit(limit)
    return list(db.session.execute(query).scalars())


def last_heartbeat() -> datetime | None:
    """When any worker last beat."""
    return db.session.execute(select(func.max(WorkerHeartbeat.beat_at))).scalar_one_or_none()


def worker_is_alive() -> bool:
    """A worker beat within JOBS_HEARTBEAT_STALE_SECONDS."""
    beat = last_heartbeat()
    stale_after = timedelta(seconds=current_app.config["JOBS_HEARTBEAT_STALE_SECONDS"])
    return beat is not None and utcnow() - beat <= stale_after


def worker_status() -> str:
    """For /healthz: "ok" while a worker beats, else "stale"."""
    return "ok" if worker_is_alive() else "stale"


def beat(worker: str) -> None:
    """Record that this worker is alive now (one row per worker, replaced each beat)."""
    now = utcnow()
    values = {"worker": worker[:120], "started_at": now, "beat_at": now}
    db.session.execute(upsert(WorkerHeartbeat, ["worker"], values, set_={"beat_at": now}))
    db.session.commit()


def claim_period(name: str, period: str) -> bool:
    """True for the one caller that first claims `period` (e.g. a date) for the periodic job `name`; everyone
    after it, in any process, gets False. huey's lock_task keeps two workers from running a job at the same time;
    this keeps a second scheduler's copy from running it again after the first finished."""
    key = f"jobs.last_run.{name}"[:64]
    db.session.execute(upsert(Setting, ["key"], {"key": key, "value": ""}))
    won = db.session.execute(
        update(Setting)
        .where(Setting.key == key, Setting.value != period)
        .values(value=period)
        .execution_options(synchronize_session=False)
    )
    claimed = cast(CursorResult[Any], won).rowcount == 1
    db.session.commit()
    return claimed
