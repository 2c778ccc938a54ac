"""Retention: what the nightly cleanup removes (each part also callable on its own), with the periods from
app/config.py (JOBS_*_DAYS)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from flask import current_app
from sqlalchemy import CursorResult, Delete, delete, or_, select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import (
    Job,
    LinkCheck,
    OnlinePayment,
    OtpChallenge,
    Request,
    SignInThrottle,
    SmsMessage,
    WorkerHeartbeat,
    utcnow,
)
from app.requests import attachments

# A throttle row whose wait is over and that saw no wrong password for this long is forgotten: the next wrong
# password starts the count afresh.
THROTTLE_QUIET = timedelta(days=1)


def _days(setting: str) -> timedelta:
    return timedelta(days=max(int(current_app.config[setting]), 1))


def _removed(statement: Delete) -> int:
    # A DELETE answers with a CursorResult (its row count); Session.execute is typed for any statement.
    return cast(CursorResult[Any], db.session.execute(statement)).rowcount


def old_sms() -> int:
    """SMS rows older than JOBS_SMS_RETENTION_DAYS (their jobs, if any still wait, then find nothing to send)."""
    cutoff = utcnow() - _days("JOBS_SMS_RETENTION_DAYS")
    return _removed(delete(SmsMessage).where(SmsMessage.created_at < cutoff))


def old_codes() -> int:
    """One-time codes that expired more than JOBS_OTP_RETENTION_DAYS ago (only their hashes were kept)."""
    cutoff = utcnow() - _days("JOBS_OTP_RETENTION_DAYS")
    return _removed(delete(OtpChallenge).where(OtpChallenge.expires_at < cutoff))


def finished_jobs() -> int:
    """Outbox rows done more than JOBS_DONE_RETENTION_DAYS ago; failed ones stay for an administrator."""
    cutoff = utcnow() - _days("JOBS_DONE_RETENTION_DAYS")
    return _removed(delete(Job).where(Job.state == "done", Job.done_at < cutoff))


def old_link_checks() -> int:
    """Link-check history older than JOBS_LINK_CHECK_RETENTION_DAYS (a year and more by default, so an annual
    evaluation can look back); each link's own row keeps its state, failure count and last check."""
    cutoff = utcnow() - _days("JOBS_LINK_CHECK_RETENTION_DAYS")
    return _removed(delete(LinkCheck).where(LinkCheck.checked_at < cutoff))


def old_heartbeats() -> int:
    """Beats of workers silent for a day (each restart beats under a new host:pid, so stopped ones pile up)."""
    cutoff = utcnow() - timedelta(days=1)
    return _removed(delete(WorkerHeartbeat).where(WorkerHeartbeat.beat_at < cutoff))


def quiet_throttles() -> int:
    """Sign-in throttle rows no longer making anybody wait and quiet for THROTTLE_QUIET."""
    cutoff = utcnow() - THROTTLE_QUIET
    return _removed(
        delete(SignInThrottle).where(
            or_(SignInThrottle.blocked_until.is_(None), SignInThrottle.blocked_until < cutoff),
            or_(SignInThrottle.last_failed_at.is_(None), SignInThrottle.last_failed_at < cutoff),
        )
    )


def draft_kept_until(draft: Request) -> datetime:
    """The day an untouched draft is removed; the citizen's list says so beside each draft."""
    return draft.updated_at + _days("JOBS_DRAFT_RETENTION_DAYS")


# A draft with a payment that is, or may still become, money taken (verified and not yet filed, or pending at the
# gateway) is never removed: the citizen sends it later without paying again, or the worker files it.
_MONEY_STATES = ("verified", "pending")


def drafts_holding_money(draft_ids: list[int]) -> set[int]:
    """Which of these drafts the nightly cleanup keeps however old, for the citizen's money they hold."""
    if not draft_ids:
        return set()
    found = db.session.execute(
        select(OnlinePayment.request_id).where(
            OnlinePayment.request_id.in_(draft_ids), OnlinePayment.state.in_(_MONEY_STATES)
        )
    )
    return set(found.scalars())


def expired_drafts() -> int:
    """Drafts untouched for JOBS_DRAFT_RETENTION_DAYS, with their attachments' rows and files (the files go once
    the rows' removal is committed, so a rollback leaves nothing pointing at a missing file). Drafts holding the
    citizen's money stay (_MONEY_STATES)."""
    cutoff = utcnow() - _days("JOBS_DRAFT_RETENTION_DAYS")
    paid = select(OnlinePayment.id).where(
        OnlinePayment.request_id == Request.id, OnlinePayment.state.in_(_MONEY_STATES)
    )
    drafts = (
        db.session.execute(
            select(Request)
            .where(Request.status == "draft", Request.updated_at < cutoff, ~paid.exists())
            .options(selectinload(Request.attachments))  # one query for every draft's files, not one per draft
        )
        .scalars()
        .all()
    )
    names = []
    for draft in drafts:
        for attachment in draft.attachments:
            names.append(attachment.storage_name)
            db.session.delete(attachment)
        db.session.delete(draft)
    db.session.commit()
    folder = attachments.folder()
    for name in names:
        (folder / name).unlink(missing_ok=True)
    return len(drafts)


def orphan_scans() -> int:
    """Uploaded scans no request references, older than a day (app/counter/flow.py)."""
    from app.counter.flow import remove_orphan_scans

    return len(remove_orphan_scans(timedelta(hours=24)).removed)


def run_all() -> dict[str, int]:
    """Every part, each committed on its own so one failing part does not undo the others."""
    counts: dict[str, int] = {}
    for name, part in (
        ("sms", old_sms),
        ("codes", old_codes),
        ("jobs", finished_jobs),
        ("beats", old_heartbeats),
        ("throttles", quiet_throttles),
        ("drafts", expired_drafts),
        ("scans", orphan_scans),
        ("link_checks", old_link_checks),
    ):
        try:
            counts[name] = part()
            db.session.commit()
        except Exception:
            db.session.rollback()
            current_app.logger.exception("cleanup of %s failed", name)
            counts[name] = -1
    return counts
