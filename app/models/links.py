"""Link checks: each distinct URL a card or an agency points citizens at (Link), what refers to it (LinkReference),
every check of it (LinkCheck, the history), and the one-request-at-a-time-per-host lock (LinkHost)."""

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Model, created_at, not_negative, one_of, pk
from app.models.catalogue import Agency, Service

# GOV.UK link-checker-api's states, plus "pending" for a link never checked yet.
LINK_STATES = ("pending", "ok", "caution", "broken")


class Link(Model):
    """One distinct URL; `state` is what pages show: broken only after two failing checks in a row."""

    STATES = LINK_STATES
    __table_args__ = (one_of("state", STATES), not_negative("failures"))
    id: Mapped[int] = pk()
    url: Mapped[str] = mapped_column(String(500), unique=True)
    host: Mapped[str] = mapped_column(String(255), index=True)
    state: Mapped[str] = mapped_column(String(10), default="pending", index=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)  # consecutive failing checks
    last_checked_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at = created_at()
    references: Mapped[list["LinkReference"]] = relationship(back_populates="link", cascade="all, delete-orphan")


class LinkReference(Model):
    """What points at a link: a service's card (service_id set) or the agency's own portal address (service_id
    empty); agency_id is the agency whose desk sees the link."""

    __table_args__ = (Index("ix_link_reference_link_id_agency_id", "link_id", "agency_id"),)
    id: Mapped[int] = pk()
    link_id: Mapped[int] = mapped_column(ForeignKey("link.id", ondelete="CASCADE"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    service_id: Mapped[int | None] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"), index=True)
    link: Mapped[Link] = relationship(back_populates="references")
    agency: Mapped[Agency] = relationship()
    service: Mapped[Service | None] = relationship()


class LinkCheck(Model):
    """One check of a link: when, the HTTP status (none when no answer came), where it ended, the error, the
    outcome of this check alone (`result`) and the link's state after it (`state`)."""

    RESULTS = ("ok", "caution", "failure")
    __table_args__ = (
        one_of("result", RESULTS),
        one_of("state", LINK_STATES),
        Index("ix_link_check_link_id_checked_at", "link_id", "checked_at"),
    )
    id: Mapped[int] = pk()
    link_id: Mapped[int] = mapped_column(ForeignKey("link.id", ondelete="CASCADE"))
    checked_at: Mapped[datetime] = mapped_column(DateTime)
    status_code: Mapped[int | None] = mapped_column(Integer)
    final_url: Mapped[str] = mapped_column(String(500), default="")
    error: Mapped[str] = mapped_column(Text, default="")
    result: Mapped[str] = mapped_column(String(10))
    state: Mapped[str] = mapped_column(String(10))


class LinkHost(Model):
    """One row per host: a check holds the host until busy_until, so no two checks of one host run at once."""

    host: Mapped[str] = mapped_column(String(255), primary_key=True)
    busy_until: Mapped[datetime | None] = mapped_column(DateTime)
