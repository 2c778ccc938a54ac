"""Inquiries between agencies (استعلام): the kinds one agency can ask another (InquiryType), the inquiries a service
card declares (ServiceInquiry, ordered), and each filed request's own inquiries (Inquiry) with their lifecycle."""

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import JSONDocument, Model, created_at, not_negative, one_of, pk


class InquiryType(Model):
    """What one agency can be asked about a citizen or a thing, as data: the provider, the key asked by, the
    answer's small field schema (a list of {"name", "label"}), a due time, and which card documents it replaces
    (their texts; a card may add indexes of its own in ServiceInquiry.replaces)."""

    # What is asked: the key the provider looks the answer up by.
    SUBJECTS = ("national_code", "vehicle_plate", "company_id", "postal_code", "deed_number")
    __table_args__ = (one_of("subject", SUBJECTS), not_negative("due_minutes"))
    id: Mapped[int] = pk()
    code: Mapped[str] = mapped_column(String(40), unique=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(20), default="national_code")
    answer_fields: Mapped[list] = mapped_column(JSONDocument, default=list)
    due_minutes: Mapped[int] = mapped_column(Integer, default=60)
    replaces: Mapped[list] = mapped_column(JSONDocument, default=list)
    # Why the provider may be asked (shown in the citizen's data-access log).
    legal_basis: Mapped[str] = mapped_column(String(200), default="")
    created_at = created_at()

    agency = relationship("Agency")


class ServiceInquiry(Model):
    """One inquiry a card's processing needs, in order; `after` is the card's inquiry this one waits for, and
    `on_not_found` says what happens to this one when that one answers "not found"."""

    ON_NOT_FOUND = ("continue", "stop")
    __table_args__ = (
        UniqueConstraint("service_id", "inquiry_type_id"),
        one_of("on_not_found", ON_NOT_FOUND),
        not_negative("position"),
    )
    id: Mapped[int] = pk()
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"), index=True)
    inquiry_type_id: Mapped[int] = mapped_column(ForeignKey("inquiry_type.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    after_id: Mapped[int | None] = mapped_column(ForeignKey("service_inquiry.id"))
    on_not_found: Mapped[str] = mapped_column(String(10), default="continue")
    # Further card documents this inquiry replaces on this card: their indexes (0-based) or texts.
    replaces: Mapped[list] = mapped_column(JSONDocument, default=list)

    service = relationship("Service")
    inquiry_type = relationship("InquiryType")
    after: Mapped["ServiceInquiry | None"] = relationship(remote_side="ServiceInquiry.id")


class Inquiry(Model):
    """One request's inquiry: queued → running → answered | not_found | failed; "stopped" when the inquiry it
    waited for said "not found" and the card says stop. Runs as an outbox job (`job`); attempts and the last error
    are the inquiry's own, the next try is its job's."""

    STATES = ("queued", "running", "answered", "not_found", "failed", "stopped")
    FINISHED = ("answered", "not_found", "failed", "stopped")
    __table_args__ = (
        one_of("state", STATES),
        one_of("on_not_found", ServiceInquiry.ON_NOT_FOUND),
        not_negative("attempts"),
        Index("ix_inquiry_request_position", "request_id", "position"),
    )
    id: Mapped[int] = pk()
    request_id: Mapped[int] = mapped_column(ForeignKey("request.id", ondelete="CASCADE"))
    inquiry_type_id: Mapped[int] = mapped_column(ForeignKey("inquiry_type.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    after_id: Mapped[int | None] = mapped_column(ForeignKey("inquiry.id"), index=True)
    on_not_found: Mapped[str] = mapped_column(String(10), default="continue")
    subject_value: Mapped[str] = mapped_column(String(64), default="")
    state: Mapped[str] = mapped_column(String(10), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    answer: Mapped[dict] = mapped_column(JSONDocument, default=dict)
    # True when the simulator answered (the desk labels it).
    simulated: Mapped[bool] = mapped_column(default=False)
    job_id: Mapped[int | None] = mapped_column(ForeignKey("job.id", ondelete="SET NULL"), index=True)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))  # an officer's added inquiry
    created_at = created_at()
    due_at: Mapped[datetime | None] = mapped_column(DateTime)
    started_at: Mapped[datetime | None] = mapped_column(DateTime)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime)

    request = relationship("Request")
    inquiry_type = relationship("InquiryType")
    after: Mapped["Inquiry | None"] = relationship(remote_side="Inquiry.id")
    job = relationship("Job")
    added_by = relationship("User")

    @property
    def next_try_at(self) -> datetime | None:
        """When the outbox tries again, while the inquiry is still to run."""
        if self.state in self.FINISHED or self.job is None or self.job.state != "pending":
            return None
        return self.job.next_try_at
