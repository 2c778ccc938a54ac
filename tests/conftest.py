"""Fixtures: one app per session on SQLite or PostgreSQL (--db), emptied after every test; the demo data loaded
once per session and copied in for the tests that ask for it (`seeded`)."""

import os
import shutil
import threading
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool
from werkzeug.serving import make_server

from app import create_app
from app.catalogue import version as catalogue_version
from app.extensions import db, limiter, page_cache
from tests.postgres import TemporaryPostgres
from tests.redis import TemporaryRedis

REFERENCE_TABLES = {"province", "county", "alembic_version"}


def pytest_addoption(parser):
    parser.addoption(
        "--db",
        choices=("sqlite", "postgresql"),
        default=os.environ.get("PANJEREH_TEST_DB", "sqlite"),
        help="database backend for the suite",
    )


def pytest_report_header(config):
    return f"database: {config.getoption('--db')}"


@pytest.fixture(scope="session")
def database_url(request, tmp_path_factory):
    if request.config.getoption("--db") == "sqlite":
        yield "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite3")
        return
    server = TemporaryPostgres()
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture(scope="session")
def redis_url():
    """A throw-away redis-server (tests/redis.py), started only for the tests that ask for it."""
    server = TemporaryRedis()
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture(scope="session")
def session_app(database_url, tmp_path_factory):
    from flask_migrate import upgrade

    application = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "WTF_CSRF_ENABLED": False,
            "SECRET_KEY": "test-secret",
            "JOBS_IMMEDIATE": True,
            "UPLOAD_FOLDER": str(tmp_path_factory.mktemp("uploads")),
            "KEPT_FORMS_FOLDER": str(tmp_path_factory.mktemp("kept-forms")),
        }
    )
    with application.app_context():
        upgrade()
    return application


def _empty_database():
    """Every table but the reference data emptied (in an application context)."""
    db.session.remove()
    tables = [t.name for t in reversed(db.metadata.sorted_tables) if t.name not in REFERENCE_TABLES]
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        else:
            # service and service_revision point at each other: check the keys once, at commit.
            connection.execute(text("PRAGMA defer_foreign_keys=ON"))
            for table in tables:
                connection.execute(text(f'DELETE FROM "{table}"'))


@pytest.fixture
def app(session_app):
    """The app; every test starts from the migrated schema with only reference data in it, and with the
    session's settings (a test that changes app.config without monkeypatch cannot leak into the next)."""
    settings = dict(session_app.config)
    yield session_app
    session_app.config.clear()
    session_app.config.update(settings)
    with session_app.app_context():
        _empty_database()
        page_cache.clear()  # no page kept from one test's data (or settings) into the next
        catalogue_version.read_again()
    limiter.reset()
    # A test whose rate-limit store failed (Redis down) leaves Flask-Limiter counting on its in-memory fallback until
    # a timed recheck finds the store again, which could fall in the middle of the next test and split its counts
    # between the two stores (a consent-SMS limit then let six through instead of four): each test starts on the store.
    limiter._storage_dead = False


class DatabaseCopy:
    """The test database as it is now, kept aside and put back on demand: a copy of the SQLite file, or a
    PostgreSQL template database (CREATE DATABASE … TEMPLATE). Both need every connection of the app closed."""

    def __init__(self, name, directory):
        self.url = db.engine.url
        self.postgresql = self.url.get_backend_name() == "postgresql"
        if self.postgresql:
            self.copy = f"{self.url.database}_{name}"
            with self._server() as connection:
                connection.execute(text(f'CREATE DATABASE "{self.copy}" TEMPLATE "{self.url.database}"'))
        else:
            self.copy = Path(directory) / f"{name}.sqlite3"
            with db.engine.connect() as connection:  # everything in the main file, nothing left in the -wal
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            db.engine.dispose()
            shutil.copyfile(self.url.database, self.copy)

    def _server(self):
        """A connection to the cluster's maintenance database, outside any transaction; the app's closed first."""
        db.session.remove()
        db.engine.dispose()
        engine = create_engine(self.url.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=NullPool)
        return engine.connect()

    def restore(self):
        """The test database replaced by the copy (in an application context)."""
        if self.postgresql:
            with self._server() as connection:
                connection.execute(text(f'DROP DATABASE "{self.url.database}" WITH (FORCE)'))
                connection.execute(text(f'CREATE DATABASE "{self.url.database}" TEMPLATE "{self.copy}"'))
            return
        db.session.remove()
        db.engine.dispose()
        for suffix in ("-wal", "-shm"):  # a stale log would be replayed over the copied file
            Path(self.url.database + suffix).unlink(missing_ok=True)
        shutil.copyfile(self.copy, self.url.database)


@pytest.fixture(scope="session")
def demo_copy(session_app, tmp_path_factory):
    """The demo data (seed-demo: the demo catalogue through the importer, offices, one account per role, hashed
    with the app's scrypt), loaded once per session and kept aside; the database is emptied again afterwards."""
    with session_app.app_context():
        _empty_database()
        result = session_app.test_cli_runner().invoke(args=["seed-demo"])
        assert result.exit_code == 0, result.output
        copy = DatabaseCopy("demo", tmp_path_factory.mktemp("snapshots"))
        _empty_database()
    return copy


@pytest.fixture
def seeded(app, demo_copy):
    """The demo data for this test only: the session's copy put in place (the app fixture empties it afterwards)."""
    with app.app_context():
        demo_copy.restore()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def ctx(app):
    """An application context for tests that call rule functions directly."""
    with app.app_context():
        yield
        db.session.remove()


@pytest.fixture(scope="session")
def live_server(session_app):
    """The app served over HTTP on a free local port, for the browser tests."""
    server = make_server("127.0.0.1", 0, session_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    class Live:
        url = f"http://127.0.0.1:{server.server_port}"

    yield Live
    server.shutdown()
