"""Demo history for the agency scores (app/evaluation/scores.py): eight weeks of decided requests across several demo
agencies, each agency with its own share decided within the declared time, then one score snapshot as of the end of
each past week and one now, so /ranking is meaningful and every agency page shows its weekly history on a fresh
bin/serve.

Past requests are written as the one path leaves them (submitted, then approved and delivered, or rejected, with
their timeline events at those times), as app/demo/processing_times.py does; only decided requests, so no desk inbox
changes. They belong to demo applicants of their own. Idempotent: nothing when the first of them exists already.
"""

import random
from datetime import timedelta

from sqlalchemy import func, select

from app.demo import processing_times
from app.evaluation import scores
from app.extensions import db
from app.models import Request, Service, User, utcnow

AGENCIES = 8  # the demo agencies with the most published cards
SERVICES_PER_AGENCY = 2
REQUESTS_PER_SERVICE = 16
WEEKS = 8
APPLICANTS = 6
KEY = "demo-scores-{}"


def _services() -> list[list[Service]]:
    busiest = db.session.execute(
        select(Service.agency_id)
        .where(Service.is_active.is_(True), Service.current_revision_id.is_not(None))
        # Not the demo staff's agencies: their desk shows the demo stories, not a backlog of history.
        .where(Service.agency_id.not_in(select(User.agency_id).where(User.agency_id.is_not(None))))
        .group_by(Service.agency_id)
        .order_by(func.count().desc(), Service.agency_id)
        .limit(AGENCIES)
    ).scalars()
    groups = []
    for agency_id in busiest:
        services = db.session.execute(
            select(Service)
            .where(Service.agency_id == agency_id, Service.current_revision_id.is_not(None))
            .order_by(Service.yearly_volume.desc(), Service.id)
            .limit(SERVICES_PER_AGENCY)
        ).scalars()
        groups.append(list(services))
    return groups


def load() -> int:
    """Write the requests and the weekly snapshots; returns the rows created (0 when they are there already)."""
    if db.session.execute(select(Request.id).filter_by(idempotency_key=KEY.format(0))).first():
        return 0
    rng = random.Random(1404)  # the same history on every fresh installation
    now = utcnow()
    people = processing_times.applicants(4910001, APPLICANTS, "متقاضی نمونهٔ ارزیابی")
    db.session.add_all(people)
    created, number = len(people), 0
    for position, services in enumerate(_services()):
        on_time = 0.95 - 0.08 * position  # agencies differ, so the ranking says something
        for service in services:
            assert service.current_revision is not None
            declared = service.current_revision.duration_days or 1
            for _ in range(REQUESTS_PER_SERVICE):
                late = rng.random() > on_time
                days = declared * (rng.uniform(1.1, 2.0) if late else rng.uniform(0.2, 0.95))
                decided_at = now - timedelta(days=rng.uniform(0.5, WEEKS * 7), minutes=rng.randrange(600))
                submitted_at = decided_at - timedelta(days=days)
                approved = rng.random() < 0.85
                delivered_at = min(decided_at + timedelta(hours=rng.uniform(2, 48)), now) if approved else None
                request = processing_times.decided_request(
                    service,
                    people[number % APPLICANTS],
                    KEY.format(number),
                    submitted_at,
                    decided_at,
                    delivered_at,
                    "درخواست نمونه برای نمایش امتیاز دستگاه‌ها.",
                )
                db.session.add(request)
                created += 1 + len(request.events)
                number += 1
    db.session.flush()
    # One snapshot as of the end of each past week (Friday night), oldest first, then one now.
    friday = (now - timedelta(days=(now.weekday() - 4) % 7)).replace(hour=20, minute=30, second=0, microsecond=0)
    if friday > now:
        friday -= timedelta(days=7)
    for week in range(WEEKS - 1, -1, -1):
        scores.store("nightly", friday - timedelta(days=7 * week))
        created += 1
    scores.store("nightly", now)
    return created + 1
