"""Feedback (سامانه نظارت, issue 14): a citizen's rating of a delivered request (Rating, one per request) and
complaints (Complaint) about a request or a service, answered by the agency or escalated to the province."""

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, Integer, String, Text, and_, column
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Model, created_at, one_of, pk, utcnow

# What staff may mark a citizen's text as: "" (nothing), personal data, or spam. Marked text is never shown
# anywhere public; a spam rating's stars do not count either (app/feedback/ratings.py).
FLAGS = ("", "personal", "spam")


class Rating(Model):
    """One citizen's stars (1–5) and optional comment on one delivered request; the service and agency are kept
    beside it (as they were at delivery) so the card, the agency page and the scores aggregate with one index."""

    FLAGS = FLAGS
    __table_args__ = (
        CheckConstraint(and_(column("stars") >= 1, column("stars") <= 5), name="stars_range"),
        one_of("flag", FLAGS),
        Index("ix_rating_service_created", "service_id", "created_at"),
        Index("ix_rating_agency_created", "agency_id", "created_at"),
    )
    id: Mapped[int] = pk()
    request_id: Mapped[int] = mapped_column(ForeignKey("request.id", ondelete="CASCADE"), unique=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    stars: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    flag: Mapped[str] = mapped_column(String(10), default="")
    flagged_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at = created_at()

    request = relationship("Request")
    service = relationship("Service")


class Complaint(Model):
    """A complaint (شکایت) about one of the citizen's requests or, without one, about a service. Its reference is
    what the citizen is given; the province is the one whose administrators it is escalated to (the request's
    counter office's, else the agency's; none for a national agency's online request: national administrators)."""

    STATES = ("open", "answered", "closed", "escalated")
    FLAGS = FLAGS
    __table_args__ = (
        one_of("state", STATES),
        one_of("flag", FLAGS),
        # The desk's list (one agency's complaints, newest first) and the nightly escalation (open ones by age).
        Index("ix_complaint_agency_created", "agency_id", "created_at"),
        Index("ix_complaint_state_created", "state", "created_at"),
        Index("ix_complaint_province_escalated", "province_id", "escalated_at"),
    )
    id: Mapped[int] = pk()
    reference: Mapped[str] = mapped_column(String(12), unique=True)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("request.id", ondelete="CASCADE"), index=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    province_id: Mapped[int | None] = mapped_column(ForeignKey("province.id"))
    complainant_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    body: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(10), default="open")
    reply: Mapped[str] = mapped_column(Text, default="")
    replied_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    answered_at: Mapped[datetime | None] = mapped_column(DateTime)
    escalated_at: Mapped[datetime | None] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    flag: Mapped[str] = mapped_column(String(10), default="")
    flagged_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at = created_at()
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    # Row version: a reply and a close (or the night's escalation) at once cannot both win.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}

    request = relationship("Request")
    service = relationship("Service")
    agency = relationship("Agency")
    province = relationship("Province")
    complainant = relationship("User", foreign_keys=[complainant_id])
