"""Ratings: after delivery, the citizen rates the service 1–5 with an optional comment, once per request (the
unique key on rating.request_id; a double submit stores one row). Only aggregates are public: the average and the
count per service and per agency, hidden below RATINGS_MIN_SAMPLE ratings; spam ratings do not count."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, func, select

from app.administration import audit
from app.core.db import upsert
from app.core.errors import RuleError
from app.core.persian import clean_text
from app.extensions import db
from app.models import Rating, Request, User, utcnow

# The one state after which a request can be rated: its result has reached the citizen (app/requests/workflow.py).
RATABLE_STATUS = "delivered"
STARS = (1, 2, 3, 4, 5)
COMMENT_MAX = 1000
DEFAULT_MIN_SAMPLE = 5
FLAG_LABELS = {
    "": _l("بدون علامت"),
    "personal": _l("دارای اطلاعات شخصی"),
    "spam": _l("هرزنامه"),
}
STAR_LABELS = {
    1: _l("۱ ستاره — خیلی بد"),
    2: _l("۲ ستاره — بد"),
    3: _l("۳ ستاره — متوسط"),
    4: _l("۴ ستاره — خوب"),
    5: _l("۵ ستاره — خیلی خوب"),
}


class RatingError(RuleError):
    """A rating the rules refuse: before delivery, or a second one."""


class AlreadyRated(RatingError):
    """The request has its rating already (perhaps from a second click a moment ago)."""


def rating_of(request: Request) -> Rating | None:
    return db.session.execute(select(Rating).where(Rating.request_id == request.id)).scalar_one_or_none()


def refusal(request: Request) -> str | None:
    """Why this request cannot be rated now (None: it can): not delivered yet, or rated already."""
    if request.status != RATABLE_STATUS:
        return _("پس از تحویل نتیجهٔ درخواست می‌توانید به این خدمت امتیاز دهید.")
    if rating_of(request) is not None:
        return _("به این درخواست قبلاً امتیاز داده‌اید.")
    return None


def rate(request: Request, stars: int, comment: str = "") -> Rating:
    """Store the one rating of a delivered request in the caller's transaction; raise RatingError (AlreadyRated
    for a second one, whichever of two clicks came first) and store nothing otherwise."""
    if request.status != RATABLE_STATUS:
        raise RatingError(str(refusal(request)), field="stars")
    if stars not in STARS:
        raise RatingError(_("از ۱ تا ۵ ستاره یکی را انتخاب کنید."), field="stars")
    values = {
        "request_id": request.id,
        "service_id": request.service_id,
        "agency_id": request.agency_id,
        "stars": stars,
        "comment": clean_text(comment)[:COMMENT_MAX],
        "flag": "",
        "created_at": utcnow(),
    }
    # ON CONFLICT DO NOTHING: of two clicks at once, the second inserts nothing (and gets no id back) instead of
    # failing on the unique key.
    inserted = db.session.execute(upsert(Rating, ["request_id"], values).returning(Rating.id)).scalar_one_or_none()
    if inserted is None:
        raise AlreadyRated(_("به این درخواست قبلاً امتیاز داده‌اید."), field="stars")
    found = db.session.get(Rating, inserted)
    assert found is not None
    return found


def flag(rating: Rating, value: str, actor: User) -> None:
    """Mark (or unmark) a rating's comment as personal data or spam; audited. The caller commits."""
    if value not in Rating.FLAGS:
        raise RatingError(_("یکی از گزینه‌ها را انتخاب کنید."), field="flag")
    if rating.flag == value:
        return
    before = {"flag": rating.flag}
    rating.flag, rating.flagged_by_id = value, actor.id if value else None
    audit.record(actor, "rating.flag", "request", rating.request.tracking_code, before, {"flag": value})


def shown_comment(rating: Rating) -> str:
    """The comment as any page outside the agency's desk shows it: nothing once it is flagged."""
    return "" if rating.flag else rating.comment


# --- aggregates: the only thing about ratings that is public ---------------------------------------------------------


@dataclass(frozen=True)
class Stars:
    average: float  # rounded to one decimal
    count: int


def min_sample() -> int:
    return max(int(current_app.config.get("RATINGS_MIN_SAMPLE", DEFAULT_MIN_SAMPLE)), 1)


def _sum_of_stars(column: Any) -> Any:
    return select(func.count(), func.sum(Rating.stars)).where(column == bindparam("id"), Rating.flag != "spam")


# Built once: every card view runs the first (writing the statement anew cost more than running it).
_SERVICE_STARS, _AGENCY_STARS = _sum_of_stars(Rating.service_id), _sum_of_stars(Rating.agency_id)


def _stars(statement: Any, owner_id: int) -> Stars | None:
    count, total = db.session.execute(statement, {"id": owner_id}).one()
    if not count or count < min_sample():
        return None
    return Stars(round(int(total) / int(count), 1), int(count))


def service_stars(service_id: int) -> Stars | None:
    """A card's average stars and their count; None below the minimum sample (a handful says little)."""
    return _stars(_SERVICE_STARS, service_id)


def agency_stars(agency_id: int) -> Stars | None:
    """An agency's average stars over all its services' ratings; None below the minimum sample."""
    return _stars(_AGENCY_STARS, agency_id)
