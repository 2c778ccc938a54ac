"""The audit log's hash chain: appends link up, verify() and `flask audit verify` find edited or removed rows."""

import threading

import pytest
from sqlalchemy import text

from app.administration import audit
from app.extensions import db
from app.models import AuditEvent, Role
from tests import factories as f


def _append(n, actor=None):
    for i in range(n):
        audit.record(actor, "office.update", "office", f"O{i}", {"name": f"دفتر {i}"}, {"name": f"دفتر {i + 1}"})
    db.session.commit()


def _events():
    return db.session.query(AuditEvent).order_by(AuditEvent.id).all()


def test_each_event_carries_the_hash_of_the_one_before(ctx):
    _append(4, f.staff(Role.NATIONAL_ADMIN))
    events = _events()
    assert events[0].prev_hash == ""
    assert [e.prev_hash for e in events[1:]] == [e.hash for e in events[:-1]]
    assert all(e.hash == audit.compute_hash(e) for e in events)
    result = audit.verify()
    assert result.ok and result.count == 4


def test_persian_text_and_nested_values_survive_the_round_trip(ctx):
    audit.record(
        None,
        "user.role_change",
        "user",
        "clerk-1",
        {"role": "clerk", "office": "۱۱۰۰۱", "n": None},
        {"role": "office_manager", "list": [1, "دو", {"سه": True}]},
    )
    db.session.commit()
    db.session.expire_all()
    assert audit.verify().ok


def test_an_edited_row_is_found(ctx):
    _append(5)
    target = _events()[2]
    with db.engine.begin() as connection:
        connection.execute(text("UPDATE audit_event SET object_ref = 'forged' WHERE id = :id"), {"id": target.id})
    db.session.expire_all()
    result = audit.verify()
    assert not result.ok and result.broken_id == target.id and result.count == 2


def test_a_row_removed_from_the_middle_is_found_at_the_next_one(ctx):
    _append(4)
    events = _events()
    with db.engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_event WHERE id = :id"), {"id": events[1].id})
    result = audit.verify()
    assert not result.ok and result.broken_id == events[2].id


def test_rows_cut_off_the_end_are_found_and_the_next_append_does_not_hide_it(ctx):
    _append(3)
    last = _events()[-1]
    with db.engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_event WHERE id = :id"), {"id": last.id})
    db.session.expunge_all()  # SQLite may hand the removed row's id to the next event
    result = audit.verify()
    assert not result.ok and result.broken_id is None and "head" in result.summary()
    _append(1)  # links to the head, i.e. to the removed row
    assert not audit.verify().ok


def test_the_orm_refuses_to_change_or_delete_an_event(ctx):
    _append(1)
    event = _events()[0]
    event.action = "forged"
    with pytest.raises(audit.AppendOnly):
        db.session.flush()
    db.session.rollback()
    db.session.delete(_events()[0])
    with pytest.raises(audit.AppendOnly):
        db.session.flush()
    db.session.rollback()
    assert audit.verify().ok


def test_concurrent_writers_keep_one_unbroken_chain(app):
    """Writers in separate threads (separate connections) append at once; the chain must not fork."""
    errors = []

    def writer(n):
        try:
            with app.app_context():
                for i in range(5):
                    audit.record(None, "office.update", "office", f"T{n}-{i}", {}, {"i": i})
                    db.session.commit()
                db.session.remove()
        except Exception as error:
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    with app.app_context():
        result = audit.verify()
        assert result.ok and result.count == 30, result.summary()
        prev_hashes = [h for (h,) in db.session.execute(text("SELECT prev_hash FROM audit_event")).all()]
        assert len(set(prev_hashes)) == 30  # no two events claim the same predecessor


def test_cli_verify_passes_on_an_intact_chain(app, runner):
    with app.app_context():
        _append(3)
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "intact: 3 events" in result.output


def test_cli_verify_fails_and_names_the_edited_row(app, runner):
    with app.app_context():
        _append(3)
        target = _events()[1]
        with db.engine.begin() as connection:
            connection.execute(
                text("UPDATE audit_event SET after = :after WHERE id = :id"),
                {"after": '{"name": "دفتر جعلی"}', "id": target.id},
            )
        db.session.remove()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code != 0
    assert f"event #{target.id}" in result.output and "edited" in result.output
