"""Operations: the health check used by load balancers and monitoring."""

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import text

from app.extensions import csrf, db, limiter

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@limiter.exempt
@csrf.exempt
def healthz() -> ResponseReturnValue:
    try:
        db.session.execute(text("SELECT 1"))
        return jsonify(status="ok", database="ok")
    except Exception:  # any database failure is reported, never raised
        db.session.rollback()
        return jsonify(status="error", database="unreachable"), 503
