"""Background work: the queue (huey), the outbox of work that must happen, and the tasks the worker runs."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Point the queue at this app's storage, hook the outbox to commits and report the worker on /healthz."""
    from app.core import health
    from app.jobs.outbox import worker_status
    from app.jobs.queue import configure
    from app.jobs.tasks import heartbeat  # noqa: F401  (importing the module registers the periodic tasks)

    configure(app)
    health.register_check("worker", worker_status)
