"""The counter's day ledger: one closing row per office and Tehran calendar day, never changed once written."""

from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Date, DateTime, ForeignKey, Text, UniqueConstraint, column
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import JSONDocument, Model, not_negative, pk, utcnow


class DayClose(Model):
    """The office manager's count of the cash at the end of a day, against what the ledger expected.

    `day` is the Tehran civil date (stored Gregorian; shown Jalali). `totals` keeps the ledger's figures as they
    were at closing, so the closed day reads the same forever even if a filing raced the close.
    """

    __table_args__ = (
        UniqueConstraint("office_id", "day"),
        not_negative("expected_cash_rial"),
        not_negative("counted_cash_rial"),
        # The difference may be negative (cash missing) but is always exactly counted - expected.
        CheckConstraint(
            column("difference_rial") == column("counted_cash_rial") - column("expected_cash_rial"), name="difference"
        ),
    )
    id: Mapped[int] = pk()
    office_id: Mapped[int] = mapped_column(ForeignKey("office.id"))  # the unique (office, day) index serves lookups
    day: Mapped[date] = mapped_column(Date)
    expected_cash_rial: Mapped[int] = mapped_column(BigInteger)
    counted_cash_rial: Mapped[int] = mapped_column(BigInteger)
    difference_rial: Mapped[int] = mapped_column(BigInteger)  # counted - expected: negative means cash is missing
    note: Mapped[str] = mapped_column(Text, default="")
    totals: Mapped[dict] = mapped_column(JSONDocument, default=dict)
    closed_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    closed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    office = relationship("Office")
    closed_by = relationship("User")
