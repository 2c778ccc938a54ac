"""Counter offices and the outsourcing of services to them, with every decision kept."""

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Column, DateTime, ForeignKey, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Model, created_at, not_negative, one_of, pk


class Office(Model):
    STATUSES = ("active", "suspended")
    __table_args__ = (one_of("status", STATUSES),)
    id: Mapped[int] = pk()
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    province_id: Mapped[int] = mapped_column(ForeignKey("province.id"), index=True)
    county_id: Mapped[int | None] = mapped_column(ForeignKey("county.id"), index=True)
    address: Mapped[str] = mapped_column(Text, default="")
    phone: Mapped[str] = mapped_column(String(20), default="")
    opening_hours: Mapped[str] = mapped_column(String(200), default="")
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    status: Mapped[str] = mapped_column(String(12), default="active")
    created_at = created_at()

    province = relationship("Province")
    county = relationship("County")


outsourcing_province = Table(
    "outsourcing_province",
    Model.metadata,
    Column("outsourcing_id", ForeignKey("outsourcing.id", ondelete="CASCADE"), primary_key=True),
    Column("province_id", ForeignKey("province.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Outsourcing(Model):
    """An agency's proposal to let counter offices file one of its services; the latest decision rules."""

    STATUSES = ("pending", "approved", "rejected", "revoked")
    __table_args__ = (one_of("status", STATUSES), not_negative("counter_fee_rial"))
    id: Mapped[int] = pk()
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id"), index=True)
    all_provinces: Mapped[bool] = mapped_column(Boolean, default=True)
    counter_fee_rial: Mapped[int] = mapped_column(BigInteger, default=0)
    note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(12), default="pending", index=True)
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at = created_at()
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)

    service = relationship("Service")
    provinces = relationship("Province", secondary=outsourcing_province)
    decisions: Mapped[list["OutsourcingDecision"]] = relationship(
        back_populates="outsourcing", order_by="OutsourcingDecision.id"
    )


class OutsourcingDecision(Model):
    """Proposal, approval, rejection, revocation or fee change: each a row with its reason."""

    ACTIONS = ("propose", "approve", "reject", "revoke", "change_fee")
    __table_args__ = (one_of("action", ACTIONS), not_negative("counter_fee_rial"))
    id: Mapped[int] = pk()
    outsourcing_id: Mapped[int] = mapped_column(ForeignKey("outsourcing.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(16))
    counter_fee_rial: Mapped[int] = mapped_column(BigInteger, default=0)
    reason: Mapped[str] = mapped_column(Text, default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at = created_at()

    outsourcing: Mapped[Outsourcing] = relationship(back_populates="decisions")
    actor = relationship("User")


class Setting(Model):
    """Small national settings an administrator changes (e.g. the counter fee cap)."""

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text, default="")
