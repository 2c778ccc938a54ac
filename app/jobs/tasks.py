"""The periodic tasks: the sweeper and the heartbeat every minute, the cleanup every night (the task that runs one
outbox row is app.jobs.outbox.run_job). Each runs in a fresh application context of its own."""

from __future__ import annotations

import logging
import os
import socket

from huey import crontab

from app.jobs import outbox, queue
from app.jobs.queue import huey
from app.models import utcnow

log = logging.getLogger("panjereh.jobs")

WORKER = f"{socket.gethostname()}:{os.getpid()}"


@huey.periodic_task(crontab(), priority=queue.URGENT, name="sweep_outbox")
def sweep_outbox() -> int:
    """Every minute: re-enqueue pending rows past their next try."""
    with queue.app_context():
        count = outbox.sweep()
    if count:
        log.info("sweeper re-enqueued %s jobs", count)
    return count


@huey.periodic_task(crontab(), priority=queue.URGENT, name="heartbeat")
def heartbeat() -> None:
    """Every minute: this worker's beat, for /healthz and /admin/jobs."""
    with queue.app_context():
        outbox.beat(WORKER)


@huey.on_startup("heartbeat")
def _beat_at_start() -> None:
    # At once, so /healthz says ok as soon as a worker is up, not a minute later.
    try:
        with queue.app_context():
            outbox.beat(WORKER)
    except Exception:
        log.exception("first heartbeat failed")


# Midnight UTC is 03:30 in Tehran: the quietest hour.
@huey.periodic_task(crontab(minute="0", hour="0"), priority=queue.LOW, name="nightly_cleanup")
@huey.lock_task("nightly_cleanup")
def nightly_cleanup() -> dict[str, int] | None:
    """Every night, once however many workers run a scheduler: the retention cleanups (app/jobs/cleanup.py)."""
    from app.jobs import cleanup

    with queue.app_context():
        if not outbox.claim_period("nightly_cleanup", utcnow().date().isoformat()):
            log.info("nightly cleanup already ran today")
            return None
        counts = cleanup.run_all()
    log.info("nightly cleanup: %s", counts)
    return counts


# 04:30 UTC is 08:00 in Tehran: the agency managers read it as their working day begins.
@huey.periodic_task(crontab(minute="30", hour="4"), priority=queue.LOW, name="desk_overdue_summary")
@huey.lock_task("desk_overdue_summary")
def desk_overdue_summary() -> bool:
    """Every morning, once however many schedulers run: the outbox job that sends each agency manager one SMS with
    their agency's overdue requests (app/requests/sla.py send_summary; retries are the outbox's)."""
    from app.extensions import db
    from app.requests import sla

    with queue.app_context():
        day = utcnow().date().isoformat()
        if not outbox.claim_period("desk_overdue_summary", day):
            return False
        sla.schedule_summary(day)
        db.session.commit()
    return True


# 00:30 UTC (04:00 in Tehran): the day's link checks, each at its own moment of the next 24 hours.
@huey.periodic_task(crontab(minute="30", hour="0"), priority=queue.LOW, name="daily_link_checks")
@huey.lock_task("daily_link_checks")
def daily_link_checks() -> int | None:
    """Every day, once however many schedulers run: one outbox job per link (app/evaluation/links.py), spread
    over the day with each host's links apart; the checks' retries are the outbox's."""
    from app.evaluation import links
    from app.extensions import db

    with queue.app_context():
        if not outbox.claim_period("daily_link_checks", utcnow().date().isoformat()):
            return None
        count = links.schedule_day()
        db.session.commit()
    log.info("link checks scheduled: %s", count)
    return count


def _schedule_once(name: str, period: str, kind: str) -> bool:
    """The outbox job `kind` for `period`, scheduled once however many schedulers run (in an application context);
    the job's retries are the outbox's."""
    from app.extensions import db

    if not outbox.claim_period(name, period):
        return False
    outbox.schedule(kind, period, priority=queue.LOW)
    db.session.commit()
    return True


# 01:00 UTC (04:30 in Tehran): the public dashboard's figures for the day that has just begun.
@huey.periodic_task(crontab(minute="0", hour="1"), priority=queue.LOW, name="nightly_dashboard")
@huey.lock_task("nightly_dashboard")
def nightly_dashboard() -> bool:
    """Every night: the outbox job that computes the dashboard's snapshots for every scope
    (app/evaluation/dashboard.py)."""
    from app.evaluation import dashboard

    with queue.app_context():
        return _schedule_once("nightly_dashboard", utcnow().date().isoformat(), dashboard.JOB_KIND)


# 00:15 UTC (03:45 in Tehran): the agency scores as of the night that has just passed.
@huey.periodic_task(crontab(minute="15", hour="0"), priority=queue.LOW, name="nightly_scores")
@huey.lock_task("nightly_scores")
def nightly_scores() -> bool:
    """Every night: the outbox job that stores a score snapshot of every agency (app/evaluation/scores.py)."""
    from app.evaluation import scores

    with queue.app_context():
        return _schedule_once("nightly_scores", utcnow().date().isoformat(), scores.JOB_KIND)


# 21:00 UTC (00:30 on Saturday in Tehran, the first day of the Iranian week), checked every day: the report of the
# week that has just ended, so a day the scheduler missed is caught up the next.
@huey.periodic_task(crontab(minute="0", hour="21"), priority=queue.LOW, name="weekly_connection_report")
@huey.lock_task("weekly_connection_report")
def weekly_connection_report() -> bool:
    """Every day: the outbox job that stores the last finished week's connection report, once per week
    (app/evaluation/weekly.py; a stored week is never written again)."""
    from app.evaluation import weekly

    with queue.app_context():
        return _schedule_once("weekly_connection_report", weekly.last_complete_week().key, weekly.JOB_KIND)


# 02:00 UTC (05:30 in Tehran): complaints left unanswered past their days go to their province's administrators.
@huey.periodic_task(crontab(minute="0", hour="2"), priority=queue.LOW, name="daily_complaint_escalation")
@huey.lock_task("daily_complaint_escalation")
def daily_complaint_escalation() -> bool:
    """Every day, once however many schedulers run: the outbox job that escalates the overdue open complaints
    (app/feedback/complaints.py, each escalation audited; its retries are the outbox's)."""
    from app.extensions import db
    from app.feedback import complaints

    with queue.app_context():
        day = utcnow().date().isoformat()
        if not outbox.claim_period("daily_complaint_escalation", day):
            return False
        outbox.schedule(complaints.JOB_KIND, day, priority=queue.LOW)
        db.session.commit()
    return True
