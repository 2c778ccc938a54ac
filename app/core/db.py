"""Database helpers that know the engine but no domain: which dialect this session runs on, and the one
insert-or-update (INSERT … ON CONFLICT) that both engines understand."""

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.dialects import postgresql, sqlite

from app.extensions import db


def dialect() -> str:
    """The engine the session is bound to: "postgresql" or "sqlite"."""
    return db.session.get_bind().dialect.name


def is_postgresql() -> bool:
    return dialect() == "postgresql"


def upsert(
    table: Any,
    index_elements: Sequence[str],
    values: Mapping[str, Any] | None = None,
    set_: Mapping[str, Any] | None = None,
    where: ColumnElement[bool] | None = None,
) -> postgresql.Insert | sqlite.Insert:
    """INSERT … ON CONFLICT (index_elements) DO UPDATE SET `set_` [WHERE `where`], or DO NOTHING without `set_`, in
    the session's dialect (both spell it the same way). `values` may instead be given at execution (many rows);
    the caller may add RETURNING."""
    insert = postgresql.insert(table) if is_postgresql() else sqlite.insert(table)
    if values is not None:
        insert = insert.values(**values)
    if set_ is None:
        return insert.on_conflict_do_nothing(index_elements=list(index_elements))
    return insert.on_conflict_do_update(index_elements=list(index_elements), set_=dict(set_), where=where)
