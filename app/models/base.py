"""Column helpers shared by every model module."""

import secrets
from datetime import UTC, datetime

from sqlalchemy import DateTime, Integer
from sqlalchemy.orm import mapped_column


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
