"""The citizen's data-access log: one append-only row per use of a citizen's personal data by another party."""

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, String, Text, column
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Model, created_at, one_of, pk


class DataAccess(Model):
    # What kind of personal data was used; the page explains each in plain Persian (app/people/data_access.py).
    DATA_KINDS = ("request", "attachment", "identity", "inquiry", "registry")
    __table_args__ = (
        # The citizen's page: their own rows, newest (highest id) first, paged by id <.
        Index("ix_data_access_citizen", "national_code", "id"),
        # The same page filtered by organisation.
        Index("ix_data_access_citizen_agency", "national_code", "agency_id", "id"),
        Index("ix_data_access_citizen_office", "national_code", "office_id", "id"),
        # The few entries hidden for an investigation (administrators' list; the organisations a citizen's filter
        # must not reveal), without reading every row of a citizen's log.
        Index(
            "ix_data_access_hidden",
            "national_code",
            "hidden_until",
            postgresql_where=column("hidden_until").is_not(None),
            sqlite_where=column("hidden_until").is_not(None),
        ),
        one_of("data_kind", DATA_KINDS),
    )
    id: Mapped[int] = pk()
    created_at = created_at()
    national_code: Mapped[str] = mapped_column(String(10))  # whose data
    # The organisation the citizen sees: an agency or a counter office.
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    office_id: Mapped[int | None] = mapped_column(ForeignKey("office.id"))
    # The person, kept for audits; the citizen is shown the organisation only.
    official_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    request_id: Mapped[int | None] = mapped_column(ForeignKey("request.id"))
    tracking_code: Mapped[str] = mapped_column(String(12), default="")
    purpose: Mapped[str] = mapped_column(String(40))
    legal_basis: Mapped[str] = mapped_column(String(200), default="")
    data_kind: Mapped[str] = mapped_column(String(20))
    prev_hash: Mapped[str] = mapped_column(String(64), default="")
    hash: Mapped[str] = mapped_column(String(64), unique=True)

    # Hidden from the citizen for a stated investigation until a date (set by a national administrator). These
    # columns are outside the hash: hiding is a later, audited decision about a row, not part of the use it records.
    hidden_until: Mapped[datetime | None] = mapped_column(DateTime)
    hidden_reason: Mapped[str] = mapped_column(Text, default="")
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    agency = relationship("Agency")
    office = relationship("Office")
    official = relationship("User", foreign_keys=[official_id])
    request = relationship("Request")
