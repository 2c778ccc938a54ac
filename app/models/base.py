"""Column helpers shared by every model module."""

import secrets
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, CheckConstraint, DateTime, Integer, column
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import mapped_column

from app.extensions import Base, db

if TYPE_CHECKING:
    # Flask-SQLAlchemy builds db.Model at run time from Base, which a type checker cannot follow; to it, a model is
    # a declarative class on Base (the same metadata, with the naming convention).
    Model = Base
else:
    Model = db.Model

# jsonb on PostgreSQL (compact, validated once on write, indexable); plain JSON text on SQLite.
JSONDocument = JSON().with_variant(JSONB(), "postgresql")


def utcnow():
    """Naive UTC: both SQLite and PostgreSQL store it the same way; display converts to Tehran."""
    return datetime.now(UTC).replace(tzinfo=None)


def pk():
    return mapped_column(Integer, primary_key=True)


def created_at():
    return mapped_column(DateTime, default=utcnow, nullable=False)


def new_public_id():
    """An unguessable handle for URLs, so row ids never leave the database."""
    return secrets.token_urlsafe(12)


def one_of(name: str, values: Iterable[str]) -> CheckConstraint:
    """CHECK that a column holds one of the model's constants; named ck_<table>_<column> by the naming convention.

    The constant in the model is the single source: code validates against it and the database refuses the rest,
    so a slip in any channel (or a hand-written UPDATE) cannot store a value nothing else understands.
    """
    return CheckConstraint(column(name).in_(tuple(values)), name=name)


def not_negative(name: str) -> CheckConstraint:
    """CHECK that an amount or a count is zero or more; named ck_<table>_<column>_not_negative."""
    return CheckConstraint(column(name) >= 0, name=f"{name}_not_negative")
