"""Demo feedback (issue 14): a few hundred ratings of delivered demo requests (so cards and agency pages show their
average stars and the participatory axis of the scores has data) and about thirty complaints in every state, the
overdue ones escalated through the real rule (audited). Bulk inserts; idempotent: nothing once a rating exists."""

import random
from datetime import timedelta

from sqlalchemy import insert, select

from app.evaluation import scores
from app.extensions import db
from app.feedback import complaints
from app.models import Agency, Complaint, Office, Rating, Request, utcnow

RATINGS = 300
COMPLAINTS = 30
COMMENTS = (
    "",
    "",
    "خیلی سریع و بی‌دردسر انجام شد.",
    "کارمند دفتر پیشخوان خوب راهنمایی کرد.",
    "زمان انجام از آنچه در شناسنامه آمده بود بیشتر شد.",
    "",
    "کاش مدارک کمتری لازم بود.",
    "پیامک‌ها به موقع رسید.",
)
BODIES = (
    "بیش از زمان اعلام‌شده منتظر ماندم و کسی پاسخگو نبود.",
    "در دفتر پیشخوان کارمزدی بیشتر از تعرفه از من گرفتند.",
    "سند نتیجه ناقص به دستم رسید.",
    "برای مدرکی که استعلام می‌شد دوباره از من مدرک خواستند.",
)
REPLIES = (
    "با پوزش از تأخیر؛ موضوع بررسی شد و پیگیری می‌کنیم.",
    "سند کامل برای شما فرستاده شد.",
)


def load() -> int:
    """Write the ratings and complaints; returns the rows created (0 when there are ratings already)."""
    if db.session.execute(select(Rating.id).limit(1)).first() is not None:
        return 0
    rng = random.Random(1405)  # the same feedback on every fresh installation
    now = utcnow()
    delivered = db.session.execute(
        select(
            Request.id,
            Request.service_id,
            Request.agency_id,
            Request.applicant_id,
            Request.office_id,
            Request.delivered_at,
        )
        .where(Request.status == "delivered", Request.delivered_at.is_not(None))
        .order_by(Request.id)
        .limit(RATINGS + COMPLAINTS)
    ).all()
    if not delivered:
        return 0
    # Agencies differ in how satisfied their citizens are, so the participatory axis says something.
    mood = {agency: rng.uniform(2.8, 4.8) for agency in {row.agency_id for row in delivered}}
    rated = delivered[:RATINGS]
    ratings = [
        {
            "request_id": row.id,
            "service_id": row.service_id,
            "agency_id": row.agency_id,
            "stars": min(max(round(rng.gauss(mood[row.agency_id], 0.9)), 1), 5),
            "comment": rng.choice(COMMENTS),
            "flag": "",
            "created_at": min(row.delivered_at + timedelta(hours=rng.uniform(1, 72)), now),
        }
        for row in rated
        if rng.random() < 0.9
    ]
    db.session.execute(insert(Rating), ratings)
    provinces = dict(db.session.execute(select(Agency.id, Agency.province_id)).tuples().all())
    offices = dict(db.session.execute(select(Office.id, Office.province_id)).tuples().all())
    days = complaints.escalation_days()
    references: set[str] = set()
    while len(references) < COMPLAINTS:  # distinct among themselves (there are no complaints yet)
        references.add(complaints.new_reference())
    rows = []
    for number, row in enumerate(delivered[-COMPLAINTS:]):
        # A quarter each: open and recent, answered (some in time, some late), closed, and overdue (escalated below).
        kind = number % 4
        age = rng.uniform(0.5, days - 1) if kind == 0 else rng.uniform(days + 1, 60)
        created = now - timedelta(days=age)
        answered = None
        if kind in (1, 2):
            answered = created + timedelta(days=rng.uniform(0.2, days * (0.8 if number % 3 else 1.6)))
        rows.append(
            {
                "reference": references.pop(),
                "request_id": row.id,
                "service_id": row.service_id,
                "agency_id": row.agency_id,
                "province_id": offices.get(row.office_id) or provinces.get(row.agency_id),
                "complainant_id": row.applicant_id,
                "body": rng.choice(BODIES),
                "state": {0: "open", 1: "answered", 2: "closed", 3: "open"}[kind],
                "reply": rng.choice(REPLIES) if answered else "",
                "answered_at": answered,
                "closed_at": answered + timedelta(days=1) if kind == 2 and answered else None,
                "flag": "",
                "created_at": created,
                "updated_at": answered or created,
                "version": 1,
            }
        )
    db.session.execute(insert(Complaint), rows)
    escalated = complaints.escalate_overdue(now)
    # The scores of now again, with the participatory axis the feedback has just given data to.
    scores.store("nightly", now)
    return len(ratings) + len(rows) + escalated + 1
