"""Agency scores (issue 14): a snapshot is one computation of every agency's score under the method in force
(app/evaluation/scores.py); its lines are the numbers behind each indicator, its totals the score, the per-axis
subtotals and the rank. A stored snapshot is never changed, so any past ranking can be shown again exactly."""

from datetime import datetime

from sqlalchemy import DateTime, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Model, one_of, pk, utcnow
from app.models.catalogue import Agency


class ScoreSnapshot(Model):
    """One computation: when it ran, the moment its data were read as of, nightly or asked for by an
    administrator, and the version of the method (weights and targets) it used."""

    KINDS = ("nightly", "on_demand")
    __table_args__ = (one_of("kind", KINDS), Index("ix_score_snapshot_as_of", "as_of"))
    id: Mapped[int] = pk()
    computed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    as_of: Mapped[datetime] = mapped_column(DateTime)
    kind: Mapped[str] = mapped_column(String(10), default="nightly")
    method_version: Mapped[str] = mapped_column(String(16))
    agencies: Mapped[int] = mapped_column(Integer, default=0)
    seconds: Mapped[float] = mapped_column(Float, default=0.0)  # how long the computation took


class ScoreTotal(Model):
    """One agency's score in one snapshot: the ranking page is one indexed query on (snapshot, rank), or on
    (snapshot, province, rank) when filtered; the province is kept as it was, so a past ranking filters the same."""

    __table_args__ = (
        UniqueConstraint("snapshot_id", "agency_id"),
        Index("ix_score_total_snapshot_rank", "snapshot_id", "rank"),
        Index("ix_score_total_snapshot_province_rank", "snapshot_id", "province_id", "rank"),
        Index("ix_score_total_agency_id", "agency_id"),
    )
    id: Mapped[int] = pk()
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("score_snapshot.id", ondelete="CASCADE"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id", ondelete="CASCADE"))
    province_id: Mapped[int | None] = mapped_column(ForeignKey("province.id"))
    score: Mapped[float] = mapped_column(Float)
    rank: Mapped[int] = mapped_column(Integer)
    user_centred: Mapped[float] = mapped_column(Float, default=0.0)
    transparent: Mapped[float] = mapped_column(Float, default=0.0)
    integrated: Mapped[float] = mapped_column(Float, default=0.0)
    participatory: Mapped[float] = mapped_column(Float, default=0.0)

    snapshot: Mapped[ScoreSnapshot] = relationship()
    agency: Mapped[Agency] = relationship()


class ScoreLine(Model):
    """One indicator of one agency in one snapshot, with the weight and target it was scored against; numerator and
    denominator are empty-handed (denominator 0) when the agency had no data for it."""

    __table_args__ = (Index("ix_score_line_snapshot_agency", "snapshot_id", "agency_id"),)
    id: Mapped[int] = pk()
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("score_snapshot.id", ondelete="CASCADE"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id", ondelete="CASCADE"))
    indicator: Mapped[str] = mapped_column(String(40))
    numerator: Mapped[float] = mapped_column(Float, default=0.0)
    denominator: Mapped[float] = mapped_column(Float, default=0.0)
    target: Mapped[float] = mapped_column(Float, default=1.0)
    weight: Mapped[float] = mapped_column(Float)
    points: Mapped[float] = mapped_column(Float)
