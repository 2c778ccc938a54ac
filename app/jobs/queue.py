"""The one huey instance, its storage chosen by configuration, and the urgency levels of the work it carries.

SQLite storage in instance/jobs.sqlite3 by default (nothing else to run; the web process and its worker share the
file), Redis when REDIS_URL is set (several machines; huey's priority storage, Redis 5 or newer). The queue only
wakes the worker: what must happen is an outbox row in the app's database first (app/jobs/outbox.py), so a queue
that loses a message only delays the work until the sweeper finds the row.
"""

from __future__ import annotations

from contextlib import AbstractContextManager

from flask import Flask, current_app, has_app_context
from flask.ctx import AppContext
from huey import Huey
from huey.storage import BaseStorage, MemoryStorage, PriorityRedisStorage, SqliteStorage

# Urgency, as huey priorities (higher first): someone is waiting at a screen for a code; a notice can wait a
# little; housekeeping waits for everything else.
URGENT = 100
NORMAL = 50
LOW = 0


class _LazyHuey(Huey):
    """A Huey whose storage opens on first use, after configure() chose it: importing the tasks (which registers
    them) must not create instance/jobs.sqlite3 or connect to Redis."""

    _storage: BaseStorage | None = None

    def create_storage(self) -> None:
        return None

    @property
    def storage(self) -> BaseStorage:
        if self._storage is None:
            self._storage = self.get_storage(**self.storage_kwargs)
        return self._storage

    @storage.setter
    def storage(self, value: BaseStorage | None) -> None:
        self._storage = value


# results=False: an outcome lives on the outbox row, so nothing is kept in the queue's result store.
huey = _LazyHuey("panjereh", results=False, utc=True, storage_class=MemoryStorage)

_app: Flask | None = None


def configure(app: Flask) -> None:
    """Choose the storage from the app's configuration (opened lazily) and remember the app for the worker."""
    global _app
    _app = app
    config = app.config
    if config["JOBS_IMMEDIATE"]:
        # Tasks run in the committing process (outbox.enqueue calls them directly); locks still need a store.
        huey.storage_class, huey.storage_kwargs = MemoryStorage, {}
    elif config["REDIS_URL"]:
        huey.storage_class, huey.storage_kwargs = PriorityRedisStorage, {"url": config["REDIS_URL"]}
    else:
        huey.storage_class, huey.storage_kwargs = SqliteStorage, {"filename": config["JOBS_SQLITE_PATH"]}
    huey.storage = None


def app_context() -> AbstractContextManager[AppContext]:
    """A fresh application context for one task: of the app in use when there is one (immediate mode runs inside
    the request that committed), else of the app the worker was started with. Fresh, so the task has its own
    database session and transaction, apart from any caller's."""
    app = current_app._get_current_object() if has_app_context() else _app  # type: ignore[attr-defined]
    if app is None:
        raise RuntimeError("app.jobs.queue.configure(app) was not called (create_app does it)")
    return app.app_context()


def is_immediate() -> bool:
    """Whether the app in use runs tasks at once in the committing process instead of through a worker."""
    app = current_app if has_app_context() else _app
    return bool(app is not None and app.config["JOBS_IMMEDIATE"])
