"""Online payment of a request's government fee through a bank gateway, and the gateway simulator's own ledger."""

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Model, created_at, not_negative, one_of, pk


class OnlinePayment(Model):
    """One trip to the bank gateway for a draft's fee. Pending until the gateway, asked server-side, says how it
    ended; a verified one is filed with its draft in one transaction (its Payment row, method "online")."""

    STATES = ("pending", "verified", "failed", "cancelled")
    __table_args__ = (
        Index("ix_online_payment_request_state", "request_id", "state"),
        one_of("state", STATES),
        not_negative("amount_rial"),
    )
    id: Mapped[int] = pk()
    # Our order id at the gateway and the callback's handle: random, so no row id or draft id leaves us.
    token: Mapped[str] = mapped_column(String(43), unique=True)
    # The draft being paid for; the same row is the request once filed.
    request_id: Mapped[int] = mapped_column(ForeignKey("request.id", ondelete="CASCADE"))
    applicant_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    amount_rial: Mapped[int] = mapped_column(BigInteger)
    backend: Mapped[str] = mapped_column(String(16))  # the adapter that started it: simulator | http
    # The gateway's handle for the payment session (its "authority") and, once paid, its reference (RRN).
    authority: Mapped[str] = mapped_column(String(64), default="")
    redirect_url: Mapped[str] = mapped_column(String(500), default="")
    gateway_reference: Mapped[str] = mapped_column(String(64), default="")
    state: Mapped[str] = mapped_column(String(10), default="pending")
    created_at = created_at()
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    # A paid fee of a rejected request is the agency's to give back; the desk records when it did.
    refunded_at: Mapped[datetime | None] = mapped_column(DateTime)
    refunded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    request = relationship("Request")
    applicant = relationship("User", foreign_keys=[applicant_id])
    refunded_by = relationship("User", foreign_keys=[refunded_by_id])


class SimulatedGatewayPayment(Model):
    """The bank-gateway simulator's side (app/adapters/payments.py): what the "bank" knows of a payment session,
    kept apart from our OnlinePayment so that the app learns the outcome only by asking, as with a real bank."""

    STATES = ("started", "paid", "failed", "cancelled")
    __table_args__ = (one_of("state", STATES), not_negative("amount_rial"))
    id: Mapped[int] = pk()
    authority: Mapped[str] = mapped_column(String(64), unique=True)
    order_id: Mapped[str] = mapped_column(String(64))
    amount_rial: Mapped[int] = mapped_column(BigInteger)
    callback_url: Mapped[str] = mapped_column(String(500))
    state: Mapped[str] = mapped_column(String(10), default="started")
    reference: Mapped[str] = mapped_column(String(64), default="")
    created_at = created_at()
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    verified_at: Mapped[datetime | None] = mapped_column(DateTime)
