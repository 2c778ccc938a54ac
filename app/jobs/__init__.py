"""Background work: the queue (huey), the outbox of work that must happen, and the tasks the worker runs."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Point the queue at this app's storage, hook the outbox to commits and report the worker on /healthz."""
    from app.core import health
    from app.jobs import outbox, queue, tasks  # noqa: F401  (tasks registers itself on the queue)

    queue.configure(app)
    health.register_check("worker", outbox.worker_status)
