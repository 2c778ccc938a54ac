"""The participatory axis of the agency scores (issue 14), from the feedback the system holds (app/feedback):
citizens' satisfaction (their ratings) and complaints answered in time. Registered with app/evaluation/scores.py,
which imports this module through PROVIDERS."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from app.evaluation import scores
from app.evaluation.scores import DAY_SECONDS, WINDOW_DAYS, Figure
from app.feedback.complaints import escalation_days
from app.models import Complaint, Rating


@scores.indicator(
    "satisfaction",
    axis="participatory",
    title=_l("رضایت شهروندان"),
    data=_l(
        "امتیازهای ۱ تا ۵ ستاره‌ای که شهروندان در ۹۰ روز گذشته پس از تحویل به درخواست‌های دستگاه داده‌اند (بی "
        "امتیازهایی که هرزنامه علامت خورده‌اند)، روی مقیاس صفر تا یک: هر امتیاز (ستاره‌ها منهای یک) از ۴؛ همه پنج "
        "ستاره یعنی امتیاز کامل."
    ),
)
def satisfaction(session: Session, as_of: datetime) -> dict[int, Figure]:
    rows = session.execute(
        select(Rating.agency_id, func.count(), func.sum(Rating.stars - 1))
        .where(
            Rating.flag != "spam",
            Rating.created_at > as_of - timedelta(days=WINDOW_DAYS),
            Rating.created_at <= as_of,
        )
        .group_by(Rating.agency_id)
    ).all()
    return {agency: Figure(int(points or 0), 4 * int(count)) for agency, count, points in rows}


@scores.indicator(
    "complaints_in_time",
    axis="participatory",
    title=_l("پاسخ به موقع به شکایت‌ها"),
    data=_l(
        "از شکایت‌هایی که مهلت پاسخشان (مهلت ارجاع به استان پس از ثبت شکایت) در ۹۰ روز گذشته به سر رسیده، سهم "
        "آن‌ها که دستگاه در همان مهلت پاسخ داده است (شکایت‌های هرزنامه شمرده نمی‌شوند)."
    ),
)
def complaints_in_time(session: Session, as_of: datetime) -> dict[int, Figure]:
    days = escalation_days()
    answered = and_(
        Complaint.answered_at.is_not(None),
        scores._seconds_between(session, Complaint.answered_at, Complaint.created_at) <= days * DAY_SECONDS,
    )
    # Due (created_at + days) within (as_of - WINDOW_DAYS, as_of], written on created_at so the index serves it.
    rows = session.execute(
        select(Complaint.agency_id, func.count(), func.sum(case((answered, 1), else_=0)))
        .where(
            Complaint.flag != "spam",
            Complaint.created_at > as_of - timedelta(days=WINDOW_DAYS + days),
            Complaint.created_at <= as_of - timedelta(days=days),
        )
        .group_by(Complaint.agency_id)
    ).all()
    return {agency: Figure(int(done or 0), int(total)) for agency, total, done in rows}
