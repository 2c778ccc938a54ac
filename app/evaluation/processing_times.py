"""Honest processing times: what a card's requests actually took, measured from the system's own events.

What is measured, and why:
- From submission (Request.submitted_at) to decision (Request.decided_at: approved or rejected), because that is
  what the card's declared time promises: ServiceRevision.duration_days sets the SLA due date at submission
  (app/requests/workflow.py) and the clock stops at the decision, not at delivery.
- Over the requests *decided* in the last WINDOW_DAYS days; requests still open (or withdrawn) have no decision
  and are not counted, so a slow backlog shows up here only once it is decided.
- The elapsed time the citizen waited, pauses included: the SLA clock stands still while a request waits for the
  citizen (needs_info, app/requests/sla.py), but the figure a citizen reads on a card answers "how long will I
  wait", so nothing is subtracted.
- Bands, not a mean (a mean is pulled up by a few very slow requests): the median ("usually within X days") and
  the 90th percentile ("9 in 10 within Y days"), both by the nearest-rank method, so that at least half (nine in
  ten) of the requests counted really were decided within the figure shown. Each is rounded up to whole days (a
  decision after 2.1 days is "within 3 days"; anything under a day is "within 1 day").
- Hidden below PROCESSING_TIMES_MIN_SAMPLE requests (default 20): a figure from a handful of requests says more
  about those requests than about the service.

One query per card: the durations of the window's decided requests of one service (by the index on
request.service_id), ranked in Python.
"""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import bindparam, select

from app.extensions import db
from app.models import Request, utcnow

WINDOW_DAYS = 90
DEFAULT_MIN_SAMPLE = 20
DAY_SECONDS = 24 * 3600


@dataclass(frozen=True)
class MeasuredTime:
    """What a card shows next to its declared time: whole days, rounded up, and the requests behind them."""

    median_days: int
    p90_days: int
    requests: int
    window_days: int = WINDOW_DAYS


def nearest_rank(sorted_values: list[float], share: float) -> float:
    """The smallest value that at least `share` of the values are at or below (the nearest-rank percentile)."""
    if not sorted_values:
        raise ValueError("no values")
    rank = max(math.ceil(share * len(sorted_values)), 1)
    return sorted_values[rank - 1]


def whole_days(seconds: float) -> int:
    """Seconds as the whole days a citizen reads, rounded up: 2.1 days is 3; under a day (even none) is 1."""
    return max(math.ceil(seconds / DAY_SECONDS), 1)


# Built once: every card view runs it (writing the statement anew cost more than running it).
_DURATIONS = select(Request.submitted_at, Request.decided_at).where(
    Request.service_id == bindparam("service_id"),
    Request.submitted_at.is_not(None),
    Request.decided_at.is_not(None),
    Request.decided_at > bindparam("since"),
    Request.decided_at <= bindparam("now"),
)


def decision_durations(service_id: int, now: datetime | None = None) -> list[float]:
    """Seconds from submission to decision of the service's requests decided in the last WINDOW_DAYS days."""
    now = now or utcnow()
    since = now - timedelta(days=WINDOW_DAYS)
    rows = db.session.execute(_DURATIONS, {"service_id": service_id, "since": since, "now": now}).all()
    return [max((decided - submitted).total_seconds(), 0.0) for submitted, decided in rows]


def measured_time(service_id: int, now: datetime | None = None) -> MeasuredTime | None:
    """The card's measured time, or None while fewer than PROCESSING_TIMES_MIN_SAMPLE requests stand behind it."""
    durations = sorted(decision_durations(service_id, now))
    minimum = max(int(current_app.config.get("PROCESSING_TIMES_MIN_SAMPLE", DEFAULT_MIN_SAMPLE)), 1)
    if len(durations) < minimum:
        return None
    return MeasuredTime(
        median_days=whole_days(nearest_rank(durations, 0.5)),
        p90_days=whole_days(nearest_rank(durations, 0.9)),
        requests=len(durations),
    )
