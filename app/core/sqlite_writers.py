"""SQLite writers of one process wait in line for each other on a lock, instead of in SQLite's busy handler.

SQLite lets one writer at a time into a database. A second writer's INSERT gets SQLITE_BUSY, and the busy handler
behind busy_timeout sleeps and tries again: 1, 2, 5, 10, 15, 20, 25 … ms, whether the first writer needed 0.3 ms
more or 30. At the counter's rate of filings most writes are that short, so the sleeps, not the work, made the
slow filings: the wait doubled from two waitress threads to four.

Connections made with `Connection` (create_app passes it as sqlite3's `factory`) take a lock shared by every
connection of the process to the same file before their first write statement, and give it back when the
transaction ends (commit, rollback, close). The next writer in line wakes the moment it is free. The lock only
orders this process's writers; another process (the worker, a second server) still meets them in SQLite's own lock,
as before. A writer that waits longer than busy_timeout goes ahead without the lock and so leaves it to SQLite: two
connections of one thread writing at once end in "database is locked" as they would without the line, never in a
hang.
"""

import re
import sqlite3
import threading
from typing import Any

# The statements that take SQLite's write lock. Reads (SELECT, WITH … SELECT, PRAGMA) never queue.
_WRITE = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER)\b", re.IGNORECASE)
WAIT_SECONDS = 10.0  # as the app's busy_timeout (app/__init__.py)

_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def _lock_for(database: str) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(database, threading.Lock())


class Connection(sqlite3.Connection):
    """A sqlite3 connection whose writes wait in this process's line for its database file."""

    def __init__(self, database: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(database, *args, **kwargs)
        # A file's writers share a line; each in-memory database is its own.
        name = str(database)
        self._line = threading.Lock() if name in ("", ":memory:") or "mode=memory" in name else _lock_for(name)
        self._holding = False

    def cursor(self, factory: Any = None) -> Any:  # typeshed overloads it by factory
        return super().cursor(factory or Cursor)

    # sqlite3's own shortcuts run their statement in C, past the cursor's execute: through a cursor, they queue too.
    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
        return self.cursor().execute(sql, parameters)

    def executemany(self, sql: str, parameters: Any, /) -> sqlite3.Cursor:
        return self.cursor().executemany(sql, parameters)

    def wait_to_write(self, statement: str) -> None:
        if self._holding or not _WRITE.match(statement):
            return
        self._holding = self._line.acquire(timeout=WAIT_SECONDS)

    def done_writing(self) -> None:
        if self._holding:
            self._holding = False
            self._line.release()

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self.done_writing()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self.done_writing()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.done_writing()


class Cursor(sqlite3.Cursor):
    connection: Connection

    def execute(self, sql: str, parameters: Any = (), /) -> "Cursor":
        self.connection.wait_to_write(sql)
        return super().execute(sql, parameters)

    def executemany(self, sql: str, parameters: Any, /) -> "Cursor":
        self.connection.wait_to_write(sql)
        return super().executemany(sql, parameters)
