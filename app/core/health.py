"""Operations: the health check used by load balancers and monitoring."""

from collections.abc import Callable

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import text

from app.extensions import csrf, db, limiter

bp = Blueprint("health", __name__)

# Further parts reported next to the database, registered by the packages that own them (core knows no domain):
# name -> a function answering e.g. "ok" or "stale". They inform monitoring; only the database decides the status.
CHECKS: dict[str, Callable[[], str]] = {}


def register_check(name: str, check: Callable[[], str]) -> None:
    CHECKS[name] = check


@bp.get("/healthz")
@limiter.exempt
@csrf.exempt
def healthz() -> ResponseReturnValue:
    try:
        db.session.execute(text("SELECT 1"))
        parts = {name: check() for name, check in CHECKS.items()}
        return jsonify(status="ok", database="ok", **parts)
    except Exception:  # any database failure is reported, never raised
        db.session.rollback()
        return jsonify(status="error", database="unreachable"), 503
