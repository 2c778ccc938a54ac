"""Background work: the outbox of work that must happen (Job) and the workers' heartbeats."""

from datetime import datetime

from sqlalchemy import DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Model, created_at, not_negative, one_of, pk, utcnow


class Job(Model):
    """One piece of work that must happen (send this SMS, run tonight's cleanup), written in the same transaction
    as the change that needs it; the queue only wakes the worker, and the sweeper re-enqueues what is overdue.

    `kind` names the handler (app/jobs/outbox.py HANDLERS) and is not a CHECK: new capabilities add kinds without a
    migration, and a row of a kind nothing handles fails with that said in last_error."""

    STATES = ("pending", "done", "failed")
    __table_args__ = (
        one_of("state", STATES),
        not_negative("attempts"),
        # The sweeper's question (pending rows whose next try has come) and the admin page's counts per kind.
        Index("ix_job_state_next_try_at", "state", "next_try_at"),
        Index("ix_job_kind_state", "kind", "state"),
    )
    id: Mapped[int] = pk()
    kind: Mapped[str] = mapped_column(String(40))
    ref: Mapped[str] = mapped_column(String(64), default="")  # what the work is about, e.g. an SmsMessage id
    state: Mapped[str] = mapped_column(String(10), default="pending")
    priority: Mapped[int] = mapped_column(Integer, default=0)  # higher runs first (huey priority)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_try_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at = created_at()
    done_at: Mapped[datetime | None] = mapped_column(DateTime)


class WorkerHeartbeat(Model):
    """The last beat of each worker process (host:pid); /healthz and the admin page read the newest."""

    worker: Mapped[str] = mapped_column(String(120), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    beat_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
