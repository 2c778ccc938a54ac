"""Requests filed online, at a counter or by API, their events, attachments and payments."""

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    bindparam,
    column,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import JSONDocument, Model, created_at, not_negative, one_of, pk, utcnow


class Request(Model):
    # Every state of the one state machine (app/requests/workflow.py); the database refuses any other.
    STATUSES = (
        "draft",
        "submitted",
        "in_review",
        "needs_info",
        "resubmitted",
        "approved",
        "rejected",
        "delivered",
        "withdrawn",
    )
    # Filed and not yet decided: the SLA clock runs, the citizen may still withdraw.
    OPEN_STATUSES = ("submitted", "in_review", "needs_info", "resubmitted")
    # What the desk still has to act on: the open requests and the approved ones waiting for delivery.
    DESK_STATUSES = OPEN_STATUSES + ("approved",)
    CHANNELS = ("online", "counter", "api")
    CONSENT_METHODS = ("", "otp", "paper")  # "" for online filings, where the applicant files themself
    __table_args__ = (
        Index("ix_request_agency_status_submitted", "agency_id", "status", "submitted_at"),
        Index("ix_request_office_submitted", "office_id", "submitted_at"),
        Index("ix_request_applicant_created", "applicant_id", "created_at"),
        # The desk inbox: one agency's requests still to act on, oldest first, paged by (submitted_at, id).
        Index(
            "ix_request_desk_inbox",
            "agency_id",
            "submitted_at",
            "id",
            postgresql_where=column("status").in_(DESK_STATUSES),
            sqlite_where=column("status").in_(DESK_STATUSES),
        ),
        # The desk's tabs and its overdue view (migration 0011): one agency's requests by status and due date, and
        # an officer's own requests.
        Index("ix_request_agency_status_due", "agency_id", "status", "due_at", "id"),
        Index("ix_request_agency_assignee", "agency_id", "assignee_id", "submitted_at", "id"),
        # The «دیرکرد» view: one agency's open requests by due date, most overdue first (sla.overdue states the
        # statuses as literals, as awaiting_desk does, so the planners see it implies this WHERE).
        Index(
            "ix_request_desk_overdue",
            "agency_id",
            "due_at",
            "id",
            postgresql_where=column("status").in_(OPEN_STATUSES),
            sqlite_where=column("status").in_(OPEN_STATUSES),
        ),
        one_of("status", STATUSES),
        one_of("channel", CHANNELS),
        one_of("consent_method", CONSENT_METHODS),
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
    # When the consent this request used was given: the code's verification (perhaps for an earlier filing of the
    # same counter visit, whose code consent_reference names) or the paper form's recording.
    consent_at: Mapped[datetime | None] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    answers: Mapped[dict] = mapped_column(JSONDocument, default=dict)
    result_note: Mapped[str] = mapped_column(Text, default="")
    created_at = created_at()
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime)
    due_at: Mapped[datetime | None] = mapped_column(DateTime)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Row version for optimistic concurrency: two desk actions or two submits of one draft cannot both win.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # The desk (migration 0011): the officer the request is assigned to (never shown to the citizen), and since when
    # the SLA clock has been stopped while the request waits for the citizen (needs_info); due_at moves on by the
    # paused time when the citizen answers.
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    clock_paused_at: Mapped[datetime | None] = mapped_column(DateTime)
    __mapper_args__ = {"version_id_col": version}

    service = relationship("Service")
    revision = relationship("ServiceRevision")
    agency = relationship("Agency")
    applicant = relationship("User", foreign_keys=[applicant_id])
    office = relationship("Office")
    filed_by = relationship("User", foreign_keys=[filed_by_id])
    assignee = relationship("User", foreign_keys=[assignee_id])
    events: Mapped[list["RequestEvent"]] = relationship(back_populates="request", order_by="RequestEvent.id")
    attachments: Mapped[list["Attachment"]] = relationship(back_populates="request", order_by="Attachment.id")
    payments: Mapped[list["Payment"]] = relationship(back_populates="request", order_by="Payment.id")

    @classmethod
    def awaiting_desk(cls) -> ColumnElement[bool]:
        """The inbox's default filter, with the statuses written into the SQL as literals: the planners use the
        partial index ix_request_desk_inbox only when they can see that the query's condition implies its WHERE,
        which a bound parameter does not show them."""
        return cls.status.in_(bindparam("desk_statuses", list(cls.DESK_STATUSES), expanding=True, literal_execute=True))


class RequestEvent(Model):
    """One step of a request's life: a state change or a message. The citizen's timeline is these rows."""

    # The actions of the state machine's transition table (app/requests/workflow.py TRANSITIONS).
    ACTIONS = ("submit", "take", "ask_info", "answer", "approve", "reject", "deliver", "withdraw", "message")
    ACTOR_KINDS = ("citizen", "agency", "office", "system")
    __table_args__ = (
        one_of("action", ACTIONS),
        one_of("actor_kind", ACTOR_KINDS),
        one_of("from_status", ("",) + Request.STATUSES),
        one_of("to_status", ("",) + Request.STATUSES),
    )
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


class Attachment(Model):
    # What the applicant uploaded, what the agency attached to a message, and the result document it delivered.
    KINDS = ("applicant", "agency", "result")
    __table_args__ = (one_of("kind", KINDS), not_negative("size"))
    id: Mapped[int] = pk()
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("request.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("request_event.id"))
    kind: Mapped[str] = mapped_column(String(12), default="applicant")
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


class Payment(Model):
    """One fee taken for a request: government fee or counter fee, with how it was paid."""

    KINDS = ("government_fee", "counter_fee")
    # How the money was taken: a counter clerk's cash or the office's card terminal, or the citizen online through
    # the bank gateway (app/adapters/payments.py; the gateway's reference is kept in `reference`).
    METHODS = ("cash", "card", "online")
    __table_args__ = (
        UniqueConstraint("request_id", "kind"),
        Index("ix_payment_office_created", "office_id", "created_at"),
        one_of("kind", KINDS),
        one_of("method", METHODS),
        not_negative("amount_rial"),
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
