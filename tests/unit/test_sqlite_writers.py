"""SQLite writers of one process wait in line on a lock (app/core/sqlite_writers.py): a second writer waits for the
first one's commit or rollback and then goes on, never reaching SQLite's busy handler meanwhile; a thread that
would wait on itself goes ahead to SQLite's own "database is locked" instead of hanging."""

import sqlite3
import threading
import time

import pytest

from app.core import sqlite_writers
from app.extensions import db


def connect(path, timeout=10.0):
    connection = sqlite3.connect(path, timeout=timeout, factory=sqlite_writers.Connection, check_same_thread=False)
    connection.execute("PRAGMA journal_mode=WAL")
    return connection


@pytest.fixture
def database(tmp_path):
    path = str(tmp_path / "line.sqlite3")
    setup = sqlite3.connect(path)
    setup.execute("CREATE TABLE filing (code TEXT PRIMARY KEY)")
    setup.close()
    return path


def second_writer(path, code, seen):
    """In another thread: one INSERT and its commit, noting each statement as it reaches SQLite."""
    connection = connect(path)
    connection.set_trace_callback(seen.append)
    connection.execute("INSERT INTO filing VALUES (?)", (code,))
    connection.commit()
    connection.close()


@pytest.mark.parametrize("ending", ["commit", "rollback"])
def test_a_second_writer_waits_in_line_until_the_first_transaction_ends(database, ending):
    first = connect(database)
    first.execute("INSERT INTO filing VALUES ('first')")  # holds the line until its transaction ends
    seen: list[str] = []
    thread = threading.Thread(target=second_writer, args=(database, "second", seen))
    thread.start()
    time.sleep(0.3)  # time to reach its INSERT
    assert thread.is_alive()
    assert not any("INSERT" in statement for statement in seen)  # waiting in line, not in SQLite's busy handler
    getattr(first, ending)()
    thread.join(timeout=5)
    assert not thread.is_alive()
    assert any("INSERT" in statement for statement in seen)
    codes = {row[0] for row in first.execute("SELECT code FROM filing")}
    assert codes == ({"first", "second"} if ending == "commit" else {"second"})
    first.close()


def test_readers_never_wait_in_line(database):
    writer = connect(database)
    writer.execute("INSERT INTO filing VALUES ('held')")
    reader = connect(database)
    assert reader.execute("SELECT count(*) FROM filing").fetchone() == (0,)  # WAL: the committed state, at once
    writer.rollback()
    reader.close()
    writer.close()


def test_a_failed_write_rolled_back_gives_the_line_back(database):
    first = connect(database)
    first.execute("INSERT INTO filing VALUES ('same')")
    first.commit()
    with pytest.raises(sqlite3.IntegrityError):
        first.execute("INSERT INTO filing VALUES ('same')")
    first.rollback()
    seen: list[str] = []
    thread = threading.Thread(target=second_writer, args=(database, "next", seen))
    thread.start()
    thread.join(timeout=5)
    assert not thread.is_alive() and any("INSERT" in statement for statement in seen)
    first.close()


def test_one_thread_writing_on_two_connections_gets_sqlites_answer_not_a_hang(database, monkeypatch):
    monkeypatch.setattr(sqlite_writers, "WAIT_SECONDS", 0.1)
    first = connect(database)
    first.execute("INSERT INTO filing VALUES ('first')")
    second = connect(database, timeout=0.1)
    started = time.monotonic()
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        second.execute("INSERT INTO filing VALUES ('second')")
    assert time.monotonic() - started < 3
    second.rollback()
    first.commit()
    second.execute("INSERT INTO filing VALUES ('second')")  # the line is free again for the other connection
    second.commit()
    assert {row[0] for row in first.execute("SELECT code FROM filing")} == {"first", "second"}
    first.close()
    second.close()


def test_the_apps_connections_to_sqlite_wait_in_line(ctx):
    raw = db.engine.raw_connection()
    try:
        assert isinstance(raw.driver_connection, sqlite_writers.Connection) == (db.engine.dialect.name == "sqlite")
    finally:
        raw.close()
