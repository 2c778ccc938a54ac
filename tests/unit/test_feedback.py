"""Feedback rules (issue 14): a rating only after delivery and only once, complaints about a request or a service,
the reply and close, flags, the daily escalation to the province (audited, scoped to that province's
administrators), the agency's complaints scoped to it, and the two participatory indicators' points."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from werkzeug.exceptions import NotFound

from app import permissions
from app.core.persian import to_persian_digits
from app.evaluation import scores
from app.extensions import db
from app.feedback import complaints, ratings
from app.jobs import tasks
from app.models import AuditEvent, Complaint, Job, Rating, Role, ScoreLine, SmsMessage, utcnow
from tests import factories as f


def _delivered(service, citizen, days_ago=1):
    now = utcnow()
    request = f.decided(
        service, citizen, now - timedelta(days=days_ago + 2), now - timedelta(days=days_ago), "delivered"
    )
    request.delivered_at = now - timedelta(days=days_ago)
    db.session.flush()
    return request


def _count(model):
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def test_a_request_is_rated_only_after_delivery(ctx):
    service, citizen = f.service(), f.citizen()
    filed = f.filed(service, citizen)
    with pytest.raises(ratings.RatingError) as refused:
        ratings.rate(filed, 5)
    assert "پس از تحویل" in refused.value.message and refused.value.field == "stars"
    assert _count(Rating) == 0


def test_a_second_rating_is_refused_and_one_row_stays(ctx):
    request = _delivered(f.service(), f.citizen())
    ratings.rate(request, 4, "خوب بود")
    with pytest.raises(ratings.AlreadyRated):
        ratings.rate(request, 1, "دوباره")  # the second click of a double submit
    db.session.commit()
    assert [(r.stars, r.comment) for r in db.session.execute(select(Rating)).scalars()] == [(4, "خوب بود")]
    assert ratings.refusal(request) == "به این درخواست قبلاً امتیاز داده‌اید."


def test_stars_outside_one_to_five_are_refused(ctx):
    request = _delivered(f.service(), f.citizen())
    for stars in (0, 6):
        with pytest.raises(ratings.RatingError):
            ratings.rate(request, stars)
    assert _count(Rating) == 0


def test_a_complaint_about_a_request_and_one_about_a_service(ctx):
    owner = f.agency()
    owner.province = f.province("10")
    service, citizen = f.service(owner), f.citizen()
    office = f.office("03")
    f.outsourcing(service, provinces=("03",))
    filed = f.filed(service, citizen, channel="counter", office=office, actor=f.staff(Role.CLERK, office=office))
    about_request = complaints.file_complaint(citizen, "  پاسخی نگرفتم  ", request=filed)
    about_service = complaints.file_complaint(f.citizen(), "شکایت از خدمت", service=service)
    assert about_request.state == "open" and about_request.body == "پاسخی نگرفتم"
    assert about_request.service_id == service.id and about_request.agency_id == owner.id
    # Escalated to the province of the counter office where the request was filed; without a request, the agency's.
    assert about_request.province_id == office.province_id
    assert about_service.request_id is None and about_service.province_id == owner.province_id
    assert len(about_request.reference) == 8 and about_request.reference != about_service.reference


def test_a_citizen_cannot_complain_about_someone_elses_request(ctx):
    service = f.service()
    filed = f.filed(service, f.citizen())
    with pytest.raises(complaints.ComplaintError):
        complaints.file_complaint(f.citizen(), "شکایت", request=filed)


def test_reply_answers_and_close_closes_each_audited(ctx):
    service, citizen = f.service(), f.citizen()
    officer = f.staff(Role.AGENCY_OFFICER, agency=service.agency)
    complaint = complaints.file_complaint(citizen, "شکایت", service=service)
    complaints.reply(complaint, "پوزش؛ پیگیری شد.", officer)
    assert complaint.state == "answered" and complaint.reply == "پوزش؛ پیگیری شد." and complaint.answered_at
    complaints.close(complaint, citizen)
    assert complaint.state == "closed"
    with pytest.raises(complaints.ComplaintError):
        complaints.reply(complaint, "دوباره", officer)
    db.session.commit()
    actions = db.session.execute(select(AuditEvent.action).order_by(AuditEvent.id)).scalars().all()
    assert actions == ["complaint.reply", "complaint.close"]


def test_the_complainant_gets_an_sms_that_the_answer_is_there_but_not_the_answer(ctx):
    service, citizen = f.service(), f.citizen()
    officer = f.staff(Role.AGENCY_OFFICER, agency=service.agency)
    complaint = complaints.file_complaint(citizen, "شکایت", service=service)
    complaints.reply(complaint, "پروندهٔ شما در بایگانی مرکزی است.", officer)
    db.session.commit()
    (message,) = db.session.execute(select(SmsMessage)).scalars().all()
    assert message.mobile == citizen.mobile and message.purpose == "status"
    assert to_persian_digits(complaint.reference) in message.body and "شکایت‌های من" in message.body
    # The answer is read on the site, never on a lock screen (a word, not digits,
    # so a reference that happens to hold the same digits cannot trip it).
    assert "بایگانی" not in message.body
    assert message.job is not None  # queued in the reply's transaction, sent by the worker


def test_no_sms_for_a_complainant_without_a_mobile_and_the_reply_still_stands(ctx):
    service, citizen = f.service(), f.citizen()
    citizen.mobile = None
    complaint = complaints.file_complaint(citizen, "شکایت", service=service)
    complaints.reply(complaint, "پیگیری شد.", f.staff(Role.AGENCY_OFFICER, agency=service.agency))
    db.session.commit()
    assert complaint.state == "answered" and _count(SmsMessage) == 0


def test_another_agencys_officer_gets_404_on_a_complaint(ctx):
    service = f.service()
    complaint = complaints.file_complaint(f.citizen(), "شکایت", service=service)
    own = f.staff(Role.AGENCY_OFFICER, agency=service.agency)
    other = f.staff(Role.AGENCY_OFFICER, agency=f.agency())
    assert permissions.complaint_for(own, complaint.reference) is complaint
    with pytest.raises(NotFound):
        permissions.complaint_for(other, complaint.reference)


def test_the_daily_job_escalates_an_unanswered_complaint_to_its_province_only(app, ctx):
    owner = f.agency()
    owner.province = f.province("23")
    service = f.service(owner)
    late = complaints.file_complaint(f.citizen(), "بی‌پاسخ", service=service)
    recent = complaints.file_complaint(f.citizen(), "تازه", service=service)
    answered = complaints.file_complaint(f.citizen(), "پاسخ‌داده", service=service)
    days = app.config["COMPLAINT_ESCALATION_DAYS"]
    assert days == 7
    late.created_at = answered.created_at = utcnow() - timedelta(days=days, hours=1)
    recent.created_at = utcnow() - timedelta(days=days - 1)
    complaints.reply(answered, "پاسخ", f.staff(Role.AGENCY_OFFICER, agency=owner))
    tehran_admin = f.staff(Role.PROVINCIAL_ADMIN, province=f.province("23"))
    tabriz_admin = f.staff(Role.PROVINCIAL_ADMIN, province=f.province("03"))
    national = f.staff(Role.NATIONAL_ADMIN)
    db.session.commit()

    assert tasks.daily_complaint_escalation.call_local() is True
    assert tasks.daily_complaint_escalation.call_local() is False  # a second scheduler the same day does nothing
    db.session.rollback()
    assert db.session.query(Job).filter_by(kind=complaints.JOB_KIND, state="done").count() == 1
    states = {c.body: c.state for c in db.session.execute(select(Complaint)).scalars()}
    assert states == {"بی‌پاسخ": "escalated", "تازه": "open", "پاسخ‌داده": "answered"}
    event = db.session.execute(select(AuditEvent).filter_by(action="complaint.escalate")).scalar_one()
    assert event.object_ref == late.reference and event.actor_id is None

    def seen(user):
        return [c.body for c in db.session.execute(permissions.complaints_visible_to(user)).scalars()]

    assert seen(tehran_admin) == ["بی‌پاسخ"] and seen(national) == ["بی‌پاسخ"]
    assert seen(tabriz_admin) == []


def test_a_flag_is_audited_and_hides_the_text(ctx):
    request = _delivered(f.service(), f.citizen())
    officer = f.staff(Role.AGENCY_OFFICER, agency=request.agency)
    rating = ratings.rate(request, 5, "شمارهٔ من ۰۹۱۲۰۰۰۰۰۰۰ است")
    ratings.flag(rating, "personal", officer)
    assert ratings.shown_comment(rating) == "" and rating.comment  # kept, never shown outside the desk
    complaint = complaints.file_complaint(request.applicant, "تبلیغ", request=request)
    complaints.flag(complaint, "spam", officer)
    assert complaints.shown_body(complaint) == ""
    db.session.commit()
    assert {e.action for e in db.session.execute(select(AuditEvent)).scalars()} == {"rating.flag", "complaint.flag"}


def test_aggregates_are_hidden_below_the_minimum_sample_and_skip_spam(app, ctx):
    service = f.service()
    made = [ratings.rate(_delivered(service, f.citizen()), stars) for stars in (5, 4, 4, 3)]
    assert ratings.service_stars(service.id) is None  # 4 ratings, the minimum is 5
    fifth = ratings.rate(_delivered(service, f.citizen()), 5)
    assert ratings.service_stars(service.id) == ratings.Stars(4.2, 5)  # (5+4+4+3+5) / 5
    assert ratings.agency_stars(service.agency_id) == ratings.Stars(4.2, 5)
    ratings.flag(fifth, "spam", f.staff(Role.AGENCY_OFFICER, agency=service.agency))
    assert ratings.service_stars(service.id) is None
    ratings.flag(made[0], "personal", f.staff(Role.AGENCY_OFFICER, agency=service.agency))
    app.config["RATINGS_MIN_SAMPLE"] = 4
    assert ratings.service_stars(service.id) == ratings.Stars(4.0, 4)  # a personal-data flag still counts


def _line(snapshot, agency, key):
    return db.session.execute(
        select(ScoreLine).filter_by(snapshot_id=snapshot.id, agency_id=agency.id, indicator=key)
    ).scalar_one()


def test_all_five_stars_earn_the_full_satisfaction_points(ctx):
    happy, mixed, silent = f.agency(), f.agency(), f.agency()
    for _ in range(3):
        ratings.rate(_delivered(f.service(happy), f.citizen()), 5)
    mixed_service = f.service(mixed)
    for stars in (5, 3, 2, 4):
        ratings.rate(_delivered(mixed_service, f.citizen()), stars)
    old = ratings.rate(_delivered(f.service(mixed), f.citizen()), 1)
    old.created_at = utcnow() - timedelta(days=91)  # outside the 90-day window
    snapshot = scores.store()
    # Weight 10 (the method's table); all 5s: (3 × 4) / (4 × 3) = 1 → 10 points.
    line = _line(snapshot, happy, "satisfaction")
    assert (line.numerator, line.denominator, line.points) == (12, 12, 10.0)
    # 5, 3, 2, 4 → (4 + 2 + 1 + 3) / 16 = 0.625 → 6.25 points; the 1 of 91 days ago is outside the window.
    line = _line(snapshot, mixed, "satisfaction")
    assert (line.numerator, line.denominator, line.points) == (10, 16, 6.25)
    assert _line(snapshot, silent, "satisfaction").denominator == 0  # no data: 0 points


def test_complaints_answered_within_the_days_earn_their_share(ctx):
    owner = f.agency()
    service = f.service(owner)
    officer = f.staff(Role.AGENCY_OFFICER, agency=owner)
    now = utcnow()

    def complaint(age_days, answered_after_days=None):
        made = complaints.file_complaint(f.citizen(), "شکایت", service=service)
        made.created_at = now - timedelta(days=age_days)
        if answered_after_days is not None:
            complaints.reply(made, "پاسخ", officer)
            made.answered_at = made.created_at + timedelta(days=answered_after_days)
        return made

    complaint(20, answered_after_days=2)  # due 13 days ago, answered in time
    complaint(20, answered_after_days=9)  # answered, but after the 7 days
    complaint(30)  # never answered
    complaint(10, answered_after_days=6.5)  # due 3 days ago, in time
    complaint(3)  # not due yet: not counted
    complaint(200, answered_after_days=1)  # due before the 90-day window: not counted
    spam = complaint(15)
    spam.flag = "spam"  # spam does not count against the agency
    db.session.flush()
    snapshot = scores.store()
    # 2 of the 4 due in the window answered within 7 days: weight 10 × 2/4 = 5 points.
    line = _line(snapshot, owner, "complaints_in_time")
    assert (line.numerator, line.denominator, line.points) == (2, 4, 5.0)
    participatory = next(total for total, found in scores.ranking(snapshot) if found.id == owner.id).participatory
    assert participatory == 5.0  # no ratings: satisfaction earns nothing


def test_the_indicators_are_registered_on_the_participatory_axis(ctx):
    scores.load_providers()
    for key in ("satisfaction", "complaints_in_time"):
        indicator = scores.INDICATORS[key]
        assert indicator.axis == "participatory" and str(indicator.title) == str(scores.EXPECTED[key][1])
        assert str(indicator.data)
