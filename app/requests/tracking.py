"""Public tracking: a tracking code and the applicant's national code find a request; the public sees its status
changes and their dates, nothing more."""

from datetime import datetime

from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import Request, User
from app.requests import workflow


def find_tracked(tracking_code: str, national_code: str) -> Request | None:
    """The request with this (canonical) tracking code whose applicant has this (canonical) national code; None when
    either is wrong or they do not belong together, so the answer does not tell which."""
    query = (
        db.select(Request)
        .join(User, Request.applicant_id == User.id)
        .options(joinedload(Request.service), joinedload(Request.office))
        .where(Request.tracking_code == tracking_code, User.national_code == national_code)
    )
    return db.session.execute(query).unique().scalar_one_or_none()


def public_steps(request: Request) -> list[tuple[str, datetime]]:
    """Status changes only, with their dates: no messages, no names, no answers."""
    return [(workflow.status_label(e.to_status), e.created_at) for e in request.events if e.to_status != e.from_status]
