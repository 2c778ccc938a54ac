"""The engine helpers: the dialect the suite runs on, and the one insert-or-update on both engines."""

from sqlalchemy import select

from app.core.db import dialect, is_postgresql, upsert
from app.extensions import db
from app.models import SearchMiss, Setting, utcnow


def test_dialect_is_the_engine_the_suite_was_started_on(ctx, request):
    expected = request.config.getoption("--db")
    assert dialect() == expected
    assert is_postgresql() is (expected == "postgresql")


def test_upsert_without_an_update_keeps_the_row_already_there(ctx):
    db.session.add(Setting(key="greeting", value="salam"))
    db.session.commit()
    db.session.execute(upsert(Setting, ["key"], {"key": "greeting", "value": "dorood"}))
    db.session.execute(upsert(Setting, ["key"], {"key": "farewell", "value": "khodahafez"}))
    db.session.commit()
    rows = db.session.execute(select(Setting.key, Setting.value).order_by(Setting.key)).all()
    assert [tuple(r) for r in rows] == [("farewell", "khodahafez"), ("greeting", "salam")]


def test_upsert_with_an_update_changes_the_row_already_there(ctx):
    now = utcnow()
    for _ in range(3):
        values = {"query": "گذرنامه", "count": 1, "first_seen": now, "last_seen": now}
        db.session.execute(upsert(SearchMiss, ["query"], values, set_={"count": SearchMiss.count + 1}))
    db.session.commit()
    assert db.session.execute(select(SearchMiss.count).filter_by(query="گذرنامه")).scalar_one() == 3


def test_upsert_update_is_skipped_where_its_condition_does_not_hold(ctx):
    db.session.add(Setting(key="cap", value="locked"))
    db.session.commit()
    statement = upsert(
        Setting, ["key"], {"key": "cap", "value": "new"}, set_={"value": "new"}, where=Setting.value != "locked"
    )
    assert db.session.execute(statement.returning(Setting.key)).first() is None
    db.session.commit()
    assert db.session.get(Setting, "cap").value == "locked"


def test_upsert_takes_many_rows_at_execution(ctx):
    db.session.execute(
        upsert(Setting, ["key"]), [{"key": "a", "value": "1"}, {"key": "b", "value": "2"}, {"key": "a", "value": "3"}]
    )
    db.session.commit()
    rows = db.session.execute(select(Setting.key, Setting.value).order_by(Setting.key)).all()
    assert [tuple(r) for r in rows] == [("a", "1"), ("b", "2")]
