"""Panjereh: the single window for government services. create_app() builds the one Flask app."""

import logging
import sqlite3
import sys
import time
from pathlib import Path

from flask import Flask, g, request
from flask.templating import Environment
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

from app import config, jobs, permissions
from app.catalogue import version as catalogue_version
from app.core import assets, errors, i18n, page_cache, persian, security, sqlite_writers
from app.extensions import compress, csrf, db, limiter, login_manager, migrate
from app.people import auth
from app.requests import workflow

ROOT = Path(__file__).resolve().parent.parent
log = logging.getLogger("panjereh")


class TemplateEnvironment(Environment):
    """Flask's Jinja environment, with each template's globals a plain dict rather than Jinja's ChainMap over the
    environment's. Every render copies its template's globals into the context, and every {% from … import %} sets
    them against the importing template's: over a ChainMap of some fifty names that was about 4% of a card page's
    CPU. A template loaded before a global was added would not see it: create_app adds them all before any page is
    drawn."""

    def make_globals(self, d):
        return {**self.globals, **(d or {})}


def create_app(overrides=None):
    app = Flask(__name__, instance_path=str(ROOT / "instance"), static_folder=None)
    app.jinja_environment = TemplateEnvironment  # before anything reads app.jinja_env
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.update(config.settings(app.instance_path))
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(ROOT / "translations")
    if overrides:
        app.config.update(overrides)
    config.check(app.config)  # before anything starts: a public site must not run on simulators by mistake
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # This process's writers wait in line on a lock, not in SQLite's busy handler (app/core/sqlite_writers.py).
        options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        options["connect_args"] = {"factory": sqlite_writers.Connection, **options.get("connect_args", {})}
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options

    _configure_logging(app)
    if app.config["TRUSTED_PROXIES"]:
        n = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    compress.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    i18n.init_app(app)
    persian.register_filters(app)
    assets.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    auth.init_app(app)
    permissions.init_app(app)
    workflow.register_template_helpers(app)
    jobs.init_app(app)
    # Last: its after_request hook then runs first and keeps the page as the view made it, before compression. What
    # cached pages show: the catalogue, and the site-wide demo notice's simulators.
    page_cache.init_app(
        app, version=lambda: catalogue_version.current() + "/" + ",".join(config.simulators_in_use(app.config))
    )
    app.jinja_env.globals["simulators_in_use"] = lambda: config.simulators_in_use(app.config)

    from app import models  # noqa: F401  (registers the tables on the metadata)

    # The session's account, while the session stands (version and absolute lifetime; see auth.sign_in).
    login_manager.user_loader(auth.user_for_session)

    from app.core.health import bp as health_bp
    from app.web.account import bp as account_bp
    from app.web.admin import bp as admin_bp
    from app.web.counter import bp as counter_bp
    from app.web.desk import bp as desk_bp
    from app.web.public import bp as public_bp
    from app.web.transparency import bp as transparency_bp

    app.register_blueprint(health_bp)
    app.register_blueprint(public_bp)
    app.register_blueprint(account_bp)
    app.register_blueprint(counter_bp)
    app.register_blueprint(desk_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(transparency_bp)

    from app.cli import register as register_cli

    register_cli(app)
    return app


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record):
    """WAL lets readers run beside the writer; foreign keys are off in SQLite unless asked for."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def _configure_logging(app):
    if not log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        log.addHandler(handler)
        log.propagate = False
    log.setLevel(app.config["LOG_LEVEL"])

    @app.before_request
    def _start_timer():
        g.started = time.perf_counter()

    @app.after_request
    def _log_request(response):
        elapsed = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
        log.info(
            '%s "%s %s" %s %.1fms',
            request.remote_addr,
            request.method,
            request.full_path.rstrip("?"),
            response.status_code,
            elapsed,
        )
        return response
