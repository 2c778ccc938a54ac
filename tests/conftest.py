"""Fixtures: one app per session on SQLite or PostgreSQL (--db), emptied after every test."""
import os
import threading

import pytest
from sqlalchemy import text
from werkzeug.serving import make_server

from app import create_app
from app.extensions import db, limiter
from tests.postgres import TemporaryPostgres

REFERENCE_TABLES = {"province", "county", "alembic_version"}


def pytest_addoption(parser):
    parser.addoption("--db", choices=("sqlite", "postgresql"), default=os.environ.get("PANJEREH_TEST_DB", "sqlite"),
                     help="database backend for the suite")


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
def session_app(database_url, tmp_path_factory):
    from flask_migrate import upgrade
    application = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url,
                              "WTF_CSRF_ENABLED": False, "SECRET_KEY": "test-secret",
                              "UPLOAD_FOLDER": str(tmp_path_factory.mktemp("uploads"))})
    with application.app_context():
        upgrade()
    return application


@pytest.fixture
def app(session_app):
    """The app; every test starts from the migrated schema with only reference data in it."""
    yield session_app
    with session_app.app_context():
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
    limiter.reset()


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
