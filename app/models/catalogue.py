"""The catalogue: provinces and counties, agencies, service cards and their revisions, clusters, life events."""

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import JSONDocument, Model, created_at, not_negative, one_of, pk


class Province(Model):
    id: Mapped[int] = pk()
    code: Mapped[str] = mapped_column(String(8), unique=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    name_en: Mapped[str] = mapped_column(String(80))
    counties: Mapped[list["County"]] = relationship(back_populates="province", order_by="County.name")


class County(Model):
    __table_args__ = (UniqueConstraint("province_id", "name"),)
    id: Mapped[int] = pk()
    code: Mapped[str] = mapped_column(String(12), unique=True)
    province_id: Mapped[int] = mapped_column(ForeignKey("province.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    name_en: Mapped[str] = mapped_column(String(80), default="")
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    province: Mapped[Province] = relationship(back_populates="counties")


class Agency(Model):
    CONNECTION_STATUSES = ("connected", "redirect", "not_connected")
    LEVELS = ("national", "provincial")
    __table_args__ = (one_of("connection_status", CONNECTION_STATUSES), one_of("level", LEVELS))
    id: Mapped[int] = pk()
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"), index=True)
    level: Mapped[str] = mapped_column(String(16), default="national")
    province_id: Mapped[int | None] = mapped_column(ForeignKey("province.id"), index=True)
    connection_status: Mapped[str] = mapped_column(String(16), default="not_connected")
    # The last day to connect (issue 14): past it and not connected, the agency is late (evaluation/connections).
    connection_deadline: Mapped[date | None] = mapped_column(Date)
    website_url: Mapped[str] = mapped_column(String(500), default="")
    created_at = created_at()
    parent: Mapped["Agency | None"] = relationship(remote_side="Agency.id")
    province: Mapped[Province | None] = relationship()


class Cluster(Model):
    id: Mapped[int] = pk()
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120), default="")
    position: Mapped[int] = mapped_column(default=0)


class LifeEvent(Model):
    id: Mapped[int] = pk()
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120), default="")
    position: Mapped[int] = mapped_column(default=0)


# The three link tables mirror the *current approved* revision so that browsing by cluster,
# life event or province is an indexed join; each revision keeps its own lists for history.
service_cluster = Table(
    "service_cluster",
    Model.metadata,
    Column("service_id", ForeignKey("service.id", ondelete="CASCADE"), primary_key=True),
    Column("cluster_id", ForeignKey("cluster.id", ondelete="CASCADE"), primary_key=True, index=True),
)
service_life_event = Table(
    "service_life_event",
    Model.metadata,
    Column("service_id", ForeignKey("service.id", ondelete="CASCADE"), primary_key=True),
    Column("life_event_id", ForeignKey("life_event.id", ondelete="CASCADE"), primary_key=True, index=True),
)
service_province = Table(
    "service_province",
    Model.metadata,
    Column("service_id", ForeignKey("service.id", ondelete="CASCADE"), primary_key=True),
    Column("province_id", ForeignKey("province.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Service(Model):
    """A government service; its card's content lives in ServiceRevision, the current one linked here."""

    id: Mapped[int] = pk()
    code: Mapped[str] = mapped_column(String(20), unique=True)  # digits, the public identifier
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    current_revision_id: Mapped[int | None] = mapped_column(
        ForeignKey("service_revision.id", use_alter=True), index=True
    )
    # Denormalised from the current revision for ordering and listing without a join.
    title: Mapped[str] = mapped_column(String(300), default="")
    title_en: Mapped[str] = mapped_column(String(300), default="")
    yearly_volume: Mapped[int] = mapped_column(BigInteger, default=0, index=True)
    fully_electronic: Mapped[bool] = mapped_column(Boolean, default=False)
    offered_everywhere: Mapped[bool] = mapped_column(Boolean, default=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at = created_at()

    agency: Mapped[Agency] = relationship()
    current_revision: Mapped["ServiceRevision | None"] = relationship(
        foreign_keys=[current_revision_id], post_update=True
    )
    clusters: Mapped[list[Cluster]] = relationship(secondary=service_cluster)
    life_events: Mapped[list[LifeEvent]] = relationship(secondary=service_life_event)
    provinces: Mapped[list[Province]] = relationship(secondary=service_province)


class ServiceRevision(Model):
    """One version of a service card. Requests point at the revision they were filed under."""

    STATUSES = ("draft", "pending", "approved", "rejected")
    SERVICE_TYPES = ("G2C", "G2B", "G2G")  # government to citizen, to business, to government
    LEVELS = ("national", "provincial", "county", "municipal", "rural")
    NATURES = ("sovereign", "operational")
    # The four stages of a service, each done electronically or in person; all four electronic is "fully electronic".
    STAGES = ("information", "request", "production", "delivery")
    STAGE_MODES = ("electronic", "in_person")
    __table_args__ = (
        UniqueConstraint("service_id", "number"),
        one_of("status", STATUSES),
        one_of("service_type", SERVICE_TYPES),
        one_of("level", LEVELS),
        one_of("nature", NATURES),
        one_of("stage_information", STAGE_MODES),
        one_of("stage_request", STAGE_MODES),
        one_of("stage_production", STAGE_MODES),
        one_of("stage_delivery", STAGE_MODES),
        not_negative("fee_rial"),
        not_negative("duration_days"),
        not_negative("in_person_visits"),
        not_negative("yearly_volume"),
    )

    id: Mapped[int] = pk()
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12), default="draft", index=True)
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text, default="")
    # Optional English of the card (empty: English pages show the Persian, marked as Persian).
    title_en: Mapped[str] = mapped_column(String(300), default="")
    summary_en: Mapped[str] = mapped_column(Text, default="")
    keywords_en: Mapped[list] = mapped_column(JSONDocument, default=list)
    service_type: Mapped[str] = mapped_column(String(4), default="G2C")
    level: Mapped[str] = mapped_column(String(12), default="national")
    nature: Mapped[str] = mapped_column(String(12), default="sovereign")
    audience: Mapped[str] = mapped_column(String(300), default="")
    keywords: Mapped[list] = mapped_column(JSONDocument, default=list)
    conditions: Mapped[list] = mapped_column(JSONDocument, default=list)
    documents: Mapped[list] = mapped_column(JSONDocument, default=list)
    procedure: Mapped[list] = mapped_column(JSONDocument, default=list)
    channels: Mapped[list] = mapped_column(JSONDocument, default=list)
    cluster_slugs: Mapped[list] = mapped_column(JSONDocument, default=list)
    life_event_slugs: Mapped[list] = mapped_column(JSONDocument, default=list)
    province_codes: Mapped[list] = mapped_column(JSONDocument, default=list)  # empty with offered_everywhere
    offered_everywhere: Mapped[bool] = mapped_column(Boolean, default=True)
    fee_rial: Mapped[int] = mapped_column(BigInteger, default=0)
    duration_days: Mapped[int] = mapped_column(Integer, default=0)
    in_person_visits: Mapped[int] = mapped_column(Integer, default=0)
    stage_information: Mapped[str] = mapped_column(String(10), default="in_person")
    stage_request: Mapped[str] = mapped_column(String(10), default="in_person")
    stage_production: Mapped[str] = mapped_column(String(10), default="in_person")
    stage_delivery: Mapped[str] = mapped_column(String(10), default="in_person")
    online_url: Mapped[str] = mapped_column(String(500), default="")
    yearly_volume: Mapped[int] = mapped_column(BigInteger, default=0)
    # Forms are data: an ordered list of field definitions, versioned with the card.
    form_definition: Mapped[list] = mapped_column(JSONDocument, default=list)
    form_version: Mapped[int] = mapped_column(Integer, default=1)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    created_at = created_at()

    service: Mapped[Service] = relationship(foreign_keys=[service_id])

    @property
    def fully_electronic(self):
        return all(getattr(self, "stage_" + stage) == "electronic" for stage in self.STAGES)
