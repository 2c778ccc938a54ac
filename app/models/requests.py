"""Requests filed online, at a counter or by API, their events, attachments and payments."""

from datetime import datetime

from sqlalchemy import JSON, BigInteger, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import created_at, pk, utcnow


class Request(db.Model):
    CHANNELS = ("online", "counter", "api")
    __table_args__ = (
        Index("ix_request_agency_status_submitted", "agency_id", "status", "submitted_at"),
        Index("ix_request_office_submitted", "office_id", "submitted_at"),
        Index("ix_request_applicant_created", "applicant_id", "created_at"),
    )
    id: Mapped[int] = pk()
    # Allocated at submission; drafts have none. Unique, random, Damm-checked (identifiers.py).
    tracking_code: Mapped[str | None] = mapped_column(String(12), unique=True)
    # A draft's public handle before it has a tracking code.
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    # The client-supplied key of the submission; a resend with the same key returns the same request.
    idempotency_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id"), index=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("service_revision.id"))
    form_version: Mapped[int] = mapped_column(Integer, default=1)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    applicant_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    channel: Mapped[str] = mapped_column(String(8), default="online")
    office_id: Mapped[int | None] = mapped_column(ForeignKey("office.id"))
    filed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))  # the clerk, for counter filings
    consent_method: Mapped[str] = mapped_column(String(12), default="")  # otp | paper
    consent_reference: Mapped[str] = mapped_column(String(64), default="")
    status: Mapped[str] = mapped_column(String(20), default="draft")
    answers: Mapped[dict] = mapped_column(JSON, default=dict)
    result_note: Mapped[str] = mapped_column(Text, default="")
    created_at = created_at()
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime)
    due_at: Mapped[datetime | None] = mapped_column(DateTime)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Row version for optimistic concurrency: two desk actions or two submits of one draft cannot both win.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    service = relationship("Service")
    revision = relationship("ServiceRevision")
    agency = relationship("Agency")
    applicant = relationship("User", foreign_keys=[applicant_id])
    office = relationship("Office")
    filed_by = relationship("User", foreign_keys=[filed_by_id])
    events: Mapped[list["RequestEvent"]] = relationship(back_populates="request", order_by="RequestEvent.id")
    attachments: Mapped[list["Attachment"]] = relationship(back_populates="request", order_by="Attachment.id")
    payments: Mapped[list["Payment"]] = relationship(back_populates="request", order_by="Payment.id")


class RequestEvent(db.Model):
    """One step of a request's life: a state change or a message. The citizen's timeline is these rows."""

    id: Mapped[int] = pk()
    request_id: Mapped[int] = mapped_column(ForeignKey("request.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(24))
    from_status: Mapped[str] = mapped_column(String(20), default="")
    to_status: Mapped[str] = mapped_column(String(20), default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    # Who acted, as the citizen sees it: citizen | agency | office | system (never an officer's name).
    actor_kind: Mapped[str] = mapped_column(String(12), default="system")
    message: Mapped[str] = mapped_column(Text, default="")
    created_at = created_at()

    request: Mapped[Request] = relationship(back_populates="events")
    actor = relationship("User")
    attachments: Mapped[list["Attachment"]] = relationship(back_populates="event")


class Attachment(db.Model):
    id: Mapped[int] = pk()
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("request.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("request_event.id"))
    kind: Mapped[str] = mapped_column(String(12), default="applicant")  # applicant | result
    field_name: Mapped[str] = mapped_column(String(64), default="")
    original_name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_name: Mapped[str] = mapped_column(String(80), unique=True)  # random name under instance/
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at = created_at()

    request: Mapped[Request] = relationship(back_populates="attachments")
    event = relationship("RequestEvent", back_populates="attachments")
    uploaded_by = relationship("User")


class Payment(db.Model):
    """One fee taken for a request: government fee or counter fee, with how it was paid."""

    KINDS = ("government_fee", "counter_fee")
    METHODS = ("cash", "card", "online")
    __table_args__ = (
        UniqueConstraint("request_id", "kind"),
        Index("ix_payment_office_created", "office_id", "created_at"),
    )
    id: Mapped[int] = pk()
    request_id: Mapped[int] = mapped_column(ForeignKey("request.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    amount_rial: Mapped[int] = mapped_column(BigInteger)
    method: Mapped[str] = mapped_column(String(8))
    reference: Mapped[str] = mapped_column(String(64), default="")
    office_id: Mapped[int | None] = mapped_column(ForeignKey("office.id"))
    clerk_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at = created_at()

    request: Mapped[Request] = relationship(back_populates="payments")
