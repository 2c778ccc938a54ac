"""The honest SLA clock: lateness counts started days (one rule, tested at its boundaries), the clock stops while
the request waits for the citizen and the due date moves on by that time, and the daily summary job tells each
agency manager their agency's overdue count by SMS."""

from datetime import datetime, timedelta

import pytest

from app.extensions import db
from app.models import Request, Role, SmsMessage
from app.requests import sla, workflow
from tests import factories as f

DUE = datetime(2026, 11, 20, 12, 0)


@pytest.mark.parametrize(
    ("now", "late"),
    [
        (DUE - timedelta(days=2), 0),
        (DUE, 0),  # at the due moment: not late yet
        (DUE + timedelta(seconds=1), 1),  # a second late is a started day
        (DUE + timedelta(hours=23, minutes=59), 1),
        (DUE + timedelta(days=1), 1),  # exactly one day: that day, no more
        (DUE + timedelta(days=1, seconds=1), 2),
        (DUE + timedelta(days=3, hours=5), 4),  # "3 days late today shows 4"
        (DUE + timedelta(days=3), 3),
    ],
)
def test_days_late_counts_started_days(now, late):
    assert sla.days_late(DUE, now) == late


def test_days_late_without_a_due_date_is_zero():
    assert sla.days_late(None, DUE) == 0


@pytest.mark.parametrize(
    ("now", "left"),
    [(DUE - timedelta(days=5) + timedelta(minutes=1), 5), (DUE - timedelta(hours=1), 1), (DUE, 0)],
)
def test_days_remaining_counts_started_days(now, left):
    assert sla.days_remaining(DUE, now) == left


def _filed_and_taken(days=5):
    target = f.service(duration_days=days)
    officer = f.staff(Role.AGENCY_OFFICER, agency_id=target.agency_id)
    applicant = f.citizen(mobile="09120007001")
    found = f.filed(target, applicant)
    workflow.advance(found, "take", officer)
    db.session.commit()
    return found, officer, applicant


def test_the_clock_stops_while_waiting_for_the_citizen_and_the_due_date_moves_by_the_pause(app):
    with app.app_context():
        found, officer, applicant = _filed_and_taken(days=5)
        due = found.due_at
        workflow.advance(found, "ask_info", officer, message="تصویر سند را بفرستید")
        db.session.commit()
        assert sla.is_paused(found)
        # Ten days pass while the citizen looks for the document: the request is not late meanwhile.
        found.clock_paused_at = found.clock_paused_at - timedelta(days=10)
        paused_at = found.clock_paused_at
        db.session.commit()
        assert workflow.days_left(found, now=due + timedelta(days=4)) >= 0
        assert db.session.execute(db.select(Request.id).where(sla.overdue(due + timedelta(days=4)))).all() == []

        workflow.advance(found, "answer", applicant, message="فرستادم")
        db.session.commit()
        assert found.clock_paused_at is None and not sla.is_paused(found)
        moved = found.due_at - due
        assert abs(moved - (found.updated_at - paused_at)) < timedelta(seconds=1)
        assert timedelta(days=10) <= moved < timedelta(days=10, minutes=5)


def test_a_second_question_does_not_restart_the_pause(app):
    with app.app_context():
        found, officer, _applicant = _filed_and_taken()
        workflow.advance(found, "ask_info", officer, message="مدرک اول")
        db.session.commit()
        first = found.clock_paused_at
        workflow.advance(found, "message", officer, message="یادآوری")
        db.session.commit()
        assert found.clock_paused_at == first


def test_the_paused_clock_shows_the_days_it_had_when_it_stopped(app):
    with app.app_context():
        found, officer, _applicant = _filed_and_taken(days=5)
        workflow.advance(found, "ask_info", officer, message="مدرک")
        db.session.commit()
        found.clock_paused_at = found.due_at - timedelta(days=2, hours=3)
        db.session.commit()
        assert workflow.days_left(found, now=found.due_at + timedelta(days=30)) == 3


def _overdue_in(target, count, days_late):
    for _ in range(count):
        found = f.filed(target, f.citizen())
        found.due_at = sla.utcnow() - timedelta(days=days_late, hours=2)


def test_the_daily_summary_sends_each_manager_their_agencys_overdue_count(app):
    with app.app_context():
        roads, tax = f.agency(name="پلیس راهور"), f.agency(name="امور مالیاتی")
        roads_service, tax_service = f.service(roads), f.service(tax)
        manager = f.staff(Role.AGENCY_MANAGER, agency=roads, mobile="09120007101")
        second = f.staff(Role.AGENCY_MANAGER, agency=roads, mobile="09120007102")
        f.staff(Role.AGENCY_MANAGER, agency=roads, mobile="09120007103", is_active_account=False)
        f.staff(Role.AGENCY_OFFICER, agency=roads, mobile="09120007104")  # not a manager: no summary
        tax_manager = f.staff(Role.AGENCY_MANAGER, agency=tax, mobile="09120007201")
        _overdue_in(roads_service, 3, days_late=3)  # 3 days and 2 hours late: 4 days
        f.filed(roads_service, f.citizen())  # on time
        paused = f.filed(roads_service, f.citizen())
        paused.due_at = sla.utcnow() - timedelta(days=9)
        paused.clock_paused_at = sla.utcnow() - timedelta(days=20)  # waiting for the citizen: not counted
        paused.status = "needs_info"
        f.filed(tax_service, f.citizen())  # tax has nothing overdue: its manager hears nothing
        db.session.commit()

        job = sla.schedule_summary("2026-11-21")
        db.session.commit()  # immediate mode: the job runs at commit
        db.session.refresh(job)
        assert job.state == "done"

        sent = {m.mobile: m.body for m in db.session.execute(db.select(SmsMessage)).scalars()}
        assert set(sent) >= {manager.mobile, second.mobile}
        assert "09120007103" not in sent and "09120007104" not in sent and tax_manager.mobile not in sent
        assert "پلیس راهور" in sent[manager.mobile]
        assert "۳ درخواست" in sent[manager.mobile] and "۴ روز" in sent[manager.mobile]


def test_the_morning_task_schedules_the_summary_once_a_day(app):
    from app.jobs import tasks
    from app.models import Job

    with app.app_context():
        assert tasks.desk_overdue_summary.call_local() is True
        assert tasks.desk_overdue_summary.call_local() is False
        jobs = db.session.execute(db.select(Job).filter_by(kind=sla.SUMMARY_KIND)).scalars().all()
        assert len(jobs) == 1 and jobs[0].state == "done"
