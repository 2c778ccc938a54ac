"""Search support tables: synonyms, queries that found nothing, and the vocabulary used for typo tolerance.

The full-text index itself (FTS5 on SQLite, a tsvector table on PostgreSQL) is created by hand in migration
0002 and is not part of the model; include_name() keeps Alembic from comparing or autogenerating it.
"""

from datetime import datetime

from sqlalchemy import DateTime, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Model, created_at, pk, utcnow

# Objects that exist in the database but not in the model (see migration 0002). FTS5 also creates
# shadow tables named service_search_data, service_search_idx, ... on SQLite.
HAND_MANAGED_TABLE = "service_search"
HAND_MANAGED_INDEXES = frozenset({"ix_search_term_key_trgm"})


def include_name(name, type_, parent_names):
    """Alembic hook shared by migrations/env.py and the schema test, so both ignore the same objects."""
    if name is None:
        return True
    if type_ == "table":
        return not (name == HAND_MANAGED_TABLE or name.startswith(HAND_MANAGED_TABLE + "_"))
    if type_ == "index":
        return name not in HAND_MANAGED_INDEXES
    return True


class Synonym(Model):
    """term -> synonym, both in search-normalised form; search reads a term and its synonyms as one group."""

    __table_args__ = (UniqueConstraint("term", "synonym"),)
    id: Mapped[int] = pk()
    term: Mapped[str] = mapped_column(String(100))
    synonym: Mapped[str] = mapped_column(String(100), index=True)
    created_at = created_at()


class SearchMiss(Model):
    """A normalised query that found no service, for administrators to add synonyms or cards."""

    id: Mapped[int] = pk()
    query: Mapped[str] = mapped_column(String(200), unique=True)
    count: Mapped[int] = mapped_column(Integer, default=1)
    first_seen: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)


class SearchTerm(Model):
    """Every word the index holds. Typo tolerance looks candidates up here instead of scanning the index.

    `key` is the term folded to ASCII letters, because pg_trgm only sees alphanumerics of the database's
    locale and a C-locale database has no Persian letters; the folding loses nothing that matters, since
    candidates are checked against the real term afterwards.
    """

    term: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), default="")
