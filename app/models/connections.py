"""Agencies' connection to the portal over time (issue 14): every change of an agency's connection status
(AgencyConnectionChange, the history the weekly report and the scores read) and the stored weekly reports
(WeeklyReport, one per Jalali week, never changed once its week is over)."""

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import JSONDocument, Model, one_of, pk, utcnow
from app.models.catalogue import Agency
from app.models.people import User

CONNECTION_STATUSES = Agency.CONNECTION_STATUSES


class AgencyConnectionChange(Model):
    """One change of an agency's connection status; from_status is empty for the state an agency was first
    recorded in (created by an administrator or the importer, or recorded when history began)."""

    __table_args__ = (
        one_of("to_status", CONNECTION_STATUSES),
        Index("ix_agency_connection_change_agency_id_changed_at", "agency_id", "changed_at"),
        Index("ix_agency_connection_change_changed_at", "changed_at"),
    )
    id: Mapped[int] = pk()
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id", ondelete="CASCADE"))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    changed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    note: Mapped[str] = mapped_column(Text, default="")
    agency: Mapped[Agency] = relationship()
    changed_by: Mapped["User | None"] = relationship()


class WeeklyReport(Model):
    """The weekly connection report of one Jalali week (key like "1405-W37", app/evaluation/weekly.py): its
    period [period_start, period_end) in naive UTC, when it was generated, and its figures as JSON."""

    id: Mapped[int] = pk()
    week_key: Mapped[str] = mapped_column(String(10), unique=True)
    period_start: Mapped[datetime] = mapped_column(DateTime)
    period_end: Mapped[datetime] = mapped_column(DateTime)
    generated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    figures: Mapped[dict] = mapped_column(JSONDocument, default=dict)

    @property
    def complete(self) -> bool:
        """Generated after its week ended: it never changes again."""
        return self.generated_at >= self.period_end
