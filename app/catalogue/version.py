"""The catalogue version: one Setting row that changes in the same transaction as anything a public page shows
(cards and their revisions, agencies, clusters, life events, places, offices, outsourcings, synonyms), so
that a cache keyed by it never serves a page from before a published revision or an import."""

import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from flask import current_app
from sqlalchemy import Connection, event, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, UOWTransaction

from app.extensions import db
from app.models import (
    Agency,
    Cluster,
    County,
    InquiryType,
    LifeEvent,
    Office,
    Outsourcing,
    OutsourcingDecision,
    Province,
    Service,
    ServiceInquiry,
    ServiceRevision,
    Setting,
    Synonym,
)

KEY = "catalogue_version"
# Rows that some public page draws. A new model a public page reads joins this list.
WATCHED = (
    Agency,
    Cluster,
    County,
    InquiryType,
    LifeEvent,
    Office,
    Outsourcing,
    OutsourcingDecision,
    Province,
    Service,
    ServiceInquiry,  # a card says which of its documents an inquiry to another agency replaces
    ServiceRevision,
    Synonym,
)


# The version each database had when this process last read it: (value, time read). A process reads it again at
# most every CATALOGUE_VERSION_MAX_AGE seconds (another process's change shows that late), and at once after a change
# of its own commits.
_seen: dict[int, tuple[str, float]] = {}


def current() -> str:
    """The version in force ("" before the first change)."""
    engine = id(db.engine)
    seen = _seen.get(engine)
    now = time.monotonic()
    if seen is not None and now - seen[1] < current_app.config["CATALOGUE_VERSION_MAX_AGE"]:
        return seen[0]
    value = db.session.execute(select(Setting.value).where(Setting.key == KEY)).scalar_one_or_none() or ""
    _seen[engine] = (value, now)
    return value


# Figures only the catalogue changes, computed once per catalogue version and process: (engine, version, name) ->
# value, the least recently used first. A new version is a new key, so nothing is ever stale for longer than current()
# itself may be; the old version's values age out. PER_VERSION_ENTRIES bounds the store: per-card figures (a card's
# related services) take one entry each, so it holds a national catalogue's cards and its local ones.
PER_VERSION_ENTRIES = 50_000
_per_version: OrderedDict[tuple[int, str, str], Any] = OrderedDict()
_per_version_lock = threading.Lock()


def per_version(name: str, compute: Callable[[], Any]) -> Any:
    """compute() the first time this catalogue version asks for `name` (e.g. how many cards are published), then
    the stored value until the version changes. The value is shared by every thread: plain data, never rows of a
    session."""
    return per_version_many([name], lambda missing: [compute()])[0]


def per_version_many(names: list[str], compute: Callable[[list[str]], list[Any]]) -> list[Any]:
    """per_version for several names at once: compute(missing) gets the names this version does not know yet, in
    order, and returns their values in the same order (one statement for them all, say)."""
    if db.session.info.get("catalogue_bumped"):
        # This transaction changed the catalogue and has not committed: it sees what is not yet any version.
        return compute(list(names))
    engine, version = id(db.engine), current()
    found: dict[str, Any] = {}
    with _per_version_lock:
        for name in names:
            key = (engine, version, name)
            if key in _per_version:
                _per_version.move_to_end(key)
                found[name] = _per_version[key]
    missing = list(dict.fromkeys(name for name in names if name not in found))
    if missing:
        values = compute(missing)  # outside the lock: two threads may both compute a new key; either answer is the same
        found.update(zip(missing, values, strict=True))
        if not db.session.info.get("catalogue_bumped"):  # compute() flushed a change of this transaction's
            with _per_version_lock:
                for name, value in zip(missing, values):
                    _per_version[(engine, version, name)] = value
                while len(_per_version) > PER_VERSION_ENTRIES:
                    _per_version.popitem(last=False)
    return [found[name] for name in names]


def bump() -> None:
    """A new version, written in the session's transaction: for changes made with bulk SQL, which the ORM never sees
    (every ORM change to a WATCHED row bumps it by itself)."""
    _write(db.session.connection())
    db.session.info["catalogue_bumped"] = True


def _write(connection: Connection) -> None:
    # A random token, not a counter: two transactions bumping at once both end on a value no cached page carries.
    token = secrets.token_hex(8)
    insert = postgresql.insert(Setting) if connection.dialect.name == "postgresql" else sqlite.insert(Setting)
    connection.execute(
        insert.values(key=KEY, value=token).on_conflict_do_update(index_elements=["key"], set_={"value": token})
    )


def _touches_catalogue(session: Session) -> bool:
    return any(isinstance(row, WATCHED) for row in (*session.new, *session.dirty, *session.deleted))


@event.listens_for(Session, "before_flush")
def _note_catalogue_change(session: Session, _flush: UOWTransaction, _instances: object) -> None:
    if _touches_catalogue(session):
        session.info["catalogue_changed"] = True


@event.listens_for(Session, "after_flush")
def _bump_on_catalogue_change(session: Session, _flush: UOWTransaction) -> None:
    # After the flush, in its transaction: the new version commits (or rolls back) with the change itself.
    if session.info.pop("catalogue_changed", False):
        _write(session.connection())
        session.info["catalogue_bumped"] = True


def read_again() -> None:
    """The next current() reads the database: after a change no session made (a database restored from a copy)."""
    _seen.clear()


@event.listens_for(Session, "after_commit")
def _read_again_after_own_change(session: Session) -> None:
    if session.info.pop("catalogue_bumped", False):
        read_again()


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back_change(session: Session) -> None:
    session.info.pop("catalogue_bumped", None)
