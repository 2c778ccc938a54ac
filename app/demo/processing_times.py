"""Demo history for the measured processing times on cards (app/evaluation/processing_times.py): a few weeks of
decided requests for a few demo services, so that their cards show "usually within X days" on a fresh bin/serve.

Past requests cannot be filed through the real path (it stamps the present time), so they are written as the path
leaves them: submitted, then approved and delivered, or rejected, with their timeline events at those times. They
belong to a handful of demo applicants of their own (not the demo citizen, whose account shows the demo stories),
and to agencies other than the demo officer's (whose inbox shows the stories). Idempotent: nothing when the
first of them exists already.
"""

import random
from datetime import datetime, timedelta

from app.core.identifiers import new_tracking_code
from app.extensions import db
from app.models import Request, RequestEvent, Role, Service, User, new_public_id, utcnow

# (service code, decided requests in the last 90 days): with their declared times of 3, 5 and 10 days.
SERVICES = [("10010003", 34), ("10060001", 42), ("10050001", 26)]
APPLICANTS = 12
KEY = "demo-history-{}"


def _national_code(n: int) -> str:
    body = f"{n:09d}"
    total = sum(int(d) * (10 - i) for i, d in enumerate(body))
    r = total % 11
    return body + str(r if r < 2 else 11 - r)


def applicants(first: int, count: int, name: str) -> list[User]:
    """Demo applicants of their own, numbered from `first` (national codes valid, mobiles in the demo range)."""
    return [
        User(
            public_id=new_public_id(),
            role=Role.CITIZEN,
            national_code=_national_code(first + n),
            mobile=f"0935{first + n:07d}",
            full_name=f"{name} {n + 1}",
        )
        for n in range(count)
    ]


def decided_request(
    service: Service,
    applicant: User,
    key: str,
    submitted_at: datetime,
    decided_at: datetime,
    delivered_at: datetime | None,
    description: str,
) -> Request:
    """A past request as the one path leaves it: approved and delivered (delivered_at set) or rejected, with its
    timeline events at those times. Its rows are 1 + len(request.events)."""
    assert service.current_revision is not None
    declared = service.current_revision.duration_days or 1
    request = Request(
        public_id=new_public_id(),
        tracking_code=new_tracking_code(),
        idempotency_key=key,
        service=service,
        revision=service.current_revision,
        agency_id=service.agency_id,
        applicant=applicant,
        status="delivered" if delivered_at is not None else "rejected",
        answers={"description": description},
        created_at=submitted_at,
        updated_at=delivered_at or decided_at,
        submitted_at=submitted_at,
        due_at=submitted_at + timedelta(days=declared),
        decided_at=decided_at,
        delivered_at=delivered_at,
    )
    steps: list[tuple[str, str, str, str, datetime]] = [("submit", "", "submitted", "citizen", submitted_at)]
    if delivered_at is not None:
        steps += [("approve", "submitted", "approved", "agency", decided_at)]
        steps += [("deliver", "approved", "delivered", "agency", delivered_at)]
    else:
        steps += [("reject", "submitted", "rejected", "agency", decided_at)]
    request.events = [
        RequestEvent(action=a, from_status=s, to_status=t, actor_kind=k, created_at=at) for a, s, t, k, at in steps
    ]
    return request


def load() -> int:
    """Write the demo history; returns the rows created (0 when it is there already)."""
    if db.session.execute(db.select(Request.id).filter_by(idempotency_key=KEY.format(0))).first():
        return 0
    rng = random.Random(14)  # the same history on every fresh installation
    now = utcnow()
    people = applicants(4900001, APPLICANTS, "متقاضی نمونهٔ")
    db.session.add_all(people)
    created, number = len(people), 0
    for code, count in SERVICES:
        service = db.session.execute(db.select(Service).filter_by(code=code)).scalar_one_or_none()
        if service is None or service.current_revision is None:
            continue
        declared = service.current_revision.duration_days or 1
        for _ in range(count):
            # Most within the declared time, some later: a spread a median and a 90th percentile tell apart.
            days = declared * (rng.uniform(0.2, 1.0) if rng.random() < 0.75 else rng.uniform(1.0, 2.2))
            decided_at = now - timedelta(days=rng.uniform(1, 85), minutes=rng.randrange(600))
            submitted_at = decided_at - timedelta(days=days)
            approved = rng.random() < 0.85
            delivered_at = decided_at + timedelta(hours=rng.uniform(2, 48)) if approved else None
            request = decided_request(
                service,
                people[number % APPLICANTS],
                KEY.format(number),
                submitted_at,
                decided_at,
                delivered_at,
                "درخواست نمونه برای نمایش زمان واقعی انجام خدمت.",
            )
            db.session.add(request)
            created += 1 + len(request.events)
            number += 1
    db.session.flush()
    return created
