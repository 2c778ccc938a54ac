"""Catalogue queries and rules every mode reads: clusters, life events, agencies, services by code or by place,
publishing a revision (and keeping the search index in step), a card's history and the difference between
two revisions, and the visitor's place (province and county)."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, case, func, literal, or_, select
from sqlalchemy.orm import aliased, joinedload

from app.catalogue import version as catalogue_version
from app.catalogue.search import index as search_index
from app.core import pagination
from app.core.pagination import Page
from app.core.persian import persian_sort_key
from app.counter import fees
from app.extensions import db
from app.models import (
    Agency,
    Cluster,
    LifeEvent,
    Province,
    Service,
    ServiceRevision,
    service_cluster,
    service_life_event,
    service_province,
)

SERVICE_TYPES = {"G2C": _l("دولت به شهروند"), "G2B": _l("دولت به کسب‌وکار"), "G2G": _l("دولت به دولت")}
LEVELS = {
    "national": _l("ملی"),
    "provincial": _l("استانی"),
    "county": _l("شهرستانی"),
    "municipal": _l("شهری"),
    "rural": _l("روستایی"),
}
NATURES = {"sovereign": _l("حاکمیتی"), "operational": _l("تصدی‌گری")}
CHANNELS = {
    "web": _l("وبگاه"),
    "app": _l("برنامهٔ تلفن همراه"),
    "sms": _l("پیامک"),
    "ivr": _l("تلفن گویا"),
    "counter": _l("دفتر پیشخوان دولت"),
    "in_person": _l("مراجعهٔ حضوری"),
}
STAGES = {
    "information": _l("اطلاع‌رسانی"),
    "request": _l("درخواست"),
    "production": _l("پردازش و صدور"),
    "delivery": _l("تحویل"),
}
STAGE_MODES = {"electronic": _l("الکترونیکی"), "in_person": _l("حضوری")}
CONNECTION_STATUSES = {
    "connected": _l("متصل به پنجره"),
    "redirect": _l("فقط ارجاع به سامانهٔ دستگاه"),
    "not_connected": _l("هنوز متصل نشده"),
}
AGENCY_LEVELS = {"national": _l("ملی"), "provincial": _l("استانی")}


def _published():
    # Ids only: lists pick and order their page on this narrow row, then load the few services shown (service_lines),
    # so the database never sorts thousands of joined card rows to keep twenty.
    return select(Service.id).where(Service.is_active, Service.current_revision_id.is_not(None))


def _by_volume(query):
    return query.order_by(Service.yearly_volume.desc(), Service.code)


@dataclass(frozen=True, slots=True)
class AgencyName:
    code: str
    name: str
    name_en: str


@dataclass(frozen=True, slots=True)
class ServiceLine:
    """A service as a list shows it (public/_macros.html service_row): its title linking to the card, the agency,
    and how far it can be done online. Plain values read in one narrow query, never the card's JSON lists."""

    id: int
    code: str
    title: str
    title_en: str | None
    fully_electronic: bool
    request_online: bool  # the card's request stage is electronic
    agency: AgencyName | None


# Built once: every list page runs it, and writing the statement anew cost about as much as running it.
_LINES = (
    select(
        Service.id,
        Service.code,
        Service.title,
        Service.title_en,
        Service.fully_electronic,
        ServiceRevision.stage_request,
        Agency.code.label("agency_code"),
        Agency.name.label("agency_name"),
        Agency.name_en.label("agency_name_en"),
    )
    .outerjoin(ServiceRevision, ServiceRevision.id == Service.current_revision_id)
    .outerjoin(Agency, Agency.id == Service.agency_id)
    .where(Service.id.in_(bindparam("ids", expanding=True)))
)


def service_lines(ids: Sequence[int]) -> list[ServiceLine]:
    """The services with these ids as list lines, in the order of `ids` (one query)."""
    if not ids:
        return []
    found = {
        row.id: ServiceLine(
            row.id,
            row.code,
            row.title,
            row.title_en,
            row.fully_electronic,
            row.stage_request == "electronic",
            AgencyName(row.agency_code, row.agency_name, row.agency_name_en) if row.agency_code is not None else None,
        )
        for row in db.session.execute(_LINES, {"ids": list(ids)})
    }
    return [found[i] for i in ids if i in found]


def _first(query, limit: int, kept_as: str) -> list[ServiceLine]:
    """The `limit` busiest services of `query`; which ones is kept per catalogue version under `kept_as`."""
    ids = catalogue_version.per_version(
        f"{kept_as}:first:{limit}", lambda: db.session.execute(_by_volume(query).limit(limit)).scalars().all()
    )
    return service_lines(ids)


def _page(query, page, kept_as: str) -> Page:
    """One page of `query`'s services, busiest first. Only the catalogue changes these lists, so the total and each
    page's ids are kept per catalogue version under `kept_as`: a visit loads the twenty shown, never counts and sorts
    a cluster of thousands again. The page number is clamped before it names anything kept."""
    ordered = _by_volume(query)
    total = catalogue_version.per_version(f"{kept_as}:total", lambda: pagination.count(ordered))
    pages = pagination.page_count(total)
    number = min(pagination.page_number(page), pages)
    ids = catalogue_version.per_version(f"{kept_as}:page:{number}", lambda: pagination.page_items(ordered, number))
    return Page(service_lines(ids), total, number, pages)


# --- lists ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Topic:
    """A cluster or life event as its page and the lists of them show it: its link and its names."""

    id: int
    slug: str
    name: str
    name_en: str


def _topics(model) -> tuple[Topic, ...]:
    query = select(model.id, model.slug, model.name, model.name_en).order_by(model.position, model.name)
    return tuple(Topic(row.id, row.slug, row.name, row.name_en) for row in db.session.execute(query))


def clusters() -> Sequence[Topic]:
    """Every cluster in its order; the home page lists them on every visit, so the list is kept per catalogue version."""
    return catalogue_version.per_version("clusters", lambda: _topics(Cluster))


def life_events() -> Sequence[Topic]:
    return catalogue_version.per_version("life events", lambda: _topics(LifeEvent))


def high_volume_services(limit: int = 8) -> Sequence[ServiceLine]:
    return _first(_published(), limit, kept_as="busiest")


def local_services(province: Province | None, limit: int = 8) -> Sequence[ServiceLine]:
    """Services offered only in some provinces, including this one, or run by this province's agencies."""
    if province is None:
        return []
    in_province = select(service_province.c.service_id).where(service_province.c.province_id == province.id)
    local_agencies = select(Agency.id).where(Agency.province_id == province.id)
    local = _published().where(or_(Service.id.in_(in_province), Service.agency_id.in_(local_agencies)))
    return _first(local, limit, kept_as=f"local:{province.id}")


def cluster_by_slug(slug: str) -> Topic | None:
    return next((cluster for cluster in clusters() if cluster.slug == slug), None)


def life_event_by_slug(slug: str) -> Topic | None:
    return next((event for event in life_events() if event.slug == slug), None)


def cluster_services(cluster: Topic, page: int = 1) -> Page:
    linked = select(service_cluster.c.service_id).where(service_cluster.c.cluster_id == cluster.id)
    return _page(_published().where(Service.id.in_(linked)), page, kept_as=f"cluster:{cluster.id}")


def life_event_services(event: Topic, page: int = 1) -> Page:
    linked = select(service_life_event.c.service_id).where(service_life_event.c.life_event_id == event.id)
    return _page(_published().where(Service.id.in_(linked)), page, kept_as=f"life event:{event.id}")


# --- agencies ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AgencyLine:
    """An agency as the agencies page lists it."""

    code: str
    name: str
    name_en: str
    connection_status: str
    parent: AgencyName | None


@dataclass(frozen=True, slots=True)
class AgencySummary:
    agency: AgencyLine
    services: int
    fully_electronic: int


def agencies_with_counts() -> tuple[AgencySummary, ...]:
    """Every agency with its number of published services and of fully electronic ones, alphabetical: kept per
    catalogue version (the counts are a pass over every published card, and the page lists every agency)."""
    return catalogue_version.per_version("agency summaries", _agency_summaries)


def _agency_summaries() -> tuple[AgencySummary, ...]:
    counts = catalogue_version.per_version("agency counts", _agency_counts)  # as agency_counts() reads them
    parent = aliased(Agency)
    query = select(
        Agency.id,
        Agency.code,
        Agency.name,
        Agency.name_en,
        Agency.connection_status,
        parent.code.label("parent_code"),
        parent.name.label("parent_name"),
        parent.name_en.label("parent_name_en"),
    ).outerjoin(parent, parent.id == Agency.parent_id)
    summaries = [
        AgencySummary(
            AgencyLine(
                row.code,
                row.name,
                row.name_en,
                row.connection_status,
                AgencyName(row.parent_code, row.parent_name, row.parent_name_en)
                if row.parent_code is not None
                else None,
            ),
            *counts.get(row.id, (0, 0)),
        )
        for row in db.session.execute(query)
    ]
    return tuple(sorted(summaries, key=lambda s: persian_sort_key(s.agency.name)))


def _agency_counts() -> dict[int, tuple[int, int]]:
    rows = db.session.execute(
        select(Service.agency_id, func.count(), func.sum(case((Service.fully_electronic, 1), else_=0)))
        .where(Service.is_active, Service.current_revision_id.is_not(None))
        .group_by(Service.agency_id)
    )
    return {agency_id: (int(services), int(electronic or 0)) for agency_id, services, electronic in rows}


def agency_by_code(code: str) -> Agency | None:
    query = select(Agency).options(joinedload(Agency.parent), joinedload(Agency.province)).filter_by(code=code)
    return db.session.execute(query).scalar_one_or_none()


def child_agencies(agency: Agency) -> list[Agency]:
    children = db.session.execute(select(Agency).where(Agency.parent_id == agency.id)).scalars().all()
    return sorted(children, key=lambda a: persian_sort_key(a.name))


def agency_services(agency: Agency, page: int = 1) -> Page:
    return _page(_published().where(Service.agency_id == agency.id), page, kept_as=f"agency:{agency.id}")


def agency_counts(agency: Agency) -> tuple[int, int]:
    """The agency's published services and fully electronic ones: the agencies page's own counts."""
    return catalogue_version.per_version("agency counts", _agency_counts).get(agency.id, (0, 0))


# --- one service ---------------------------------------------------------------------------------------


# Built once, like _LINES: every card view runs it.
_BY_CODE = (
    select(Service)
    .options(joinedload(Service.agency).joinedload(Agency.parent), joinedload(Service.current_revision))
    .where(Service.code == bindparam("code"), Service.is_active, Service.current_revision_id.is_not(None))
)


def service_by_code(code: str) -> Service | None:
    """The active service with this public code and a published card, or None."""
    return db.session.execute(_BY_CODE, {"code": code}).unique().scalar_one_or_none()


def card_topics(service: Service) -> tuple[tuple[Topic, ...], tuple[Topic, ...]]:
    """The clusters and the life events a card is listed under, in their lists' order: kept per catalogue version
    (one query on the first view of a card, none after it)."""

    def topics() -> tuple[tuple[Topic, ...], tuple[Topic, ...]]:
        in_clusters = select(literal(True).label("cluster"), service_cluster.c.cluster_id.label("id")).where(
            service_cluster.c.service_id == service.id
        )
        in_events = select(literal(False), service_life_event.c.life_event_id).where(
            service_life_event.c.service_id == service.id
        )
        rows = db.session.execute(in_clusters.union_all(in_events)).all()
        cluster_ids = {row.id for row in rows if row.cluster}
        event_ids = {row.id for row in rows if not row.cluster}
        return (
            tuple(c for c in clusters() if c.id in cluster_ids),
            tuple(e for e in life_events() if e.id in event_ids),
        )

    return catalogue_version.per_version(f"card topics:{service.id}", topics)


def related_services(service: Service, limit: int = 5) -> Sequence[ServiceLine]:
    """Services sharing a life event or cluster with this one, those sharing a life event first, each group by
    yearly volume. Which ones is kept per catalogue version (only the catalogue changes it): a card's view loads the
    few shown, never ranks a cluster of thousands again."""
    return service_lines(
        catalogue_version.per_version(f"related:{service.id}:{limit}", lambda: _related_ids(service, limit))
    )


def _related_ids(service: Service, limit: int) -> list[int]:
    # Two narrow id queries (a life event's, then a cluster's), never one ordering both groups across the catalogue.
    event_ids = [e.id for e in service.life_events]
    cluster_ids = [c.id for c in service.clusters]
    chosen: list[int] = []
    for table, column, ids in (
        (service_life_event, service_life_event.c.life_event_id, event_ids),
        (service_cluster, service_cluster.c.cluster_id, cluster_ids),
    ):
        if not ids or len(chosen) >= limit:
            continue
        linked = select(table.c.service_id).where(column.in_(ids))
        query = _published().where(Service.id.in_(linked), Service.id.not_in([service.id, *chosen]))
        chosen += db.session.execute(_by_volume(query).limit(limit - len(chosen))).scalars().all()
    return chosen


@dataclass(frozen=True, slots=True)
class CounterOffer:
    """That counter offices may file the service, and the fee they take."""

    counter_fee_rial: int | None


def counter_offer(service: Service, province: Province | None) -> CounterOffer | None:
    """What the outsourcing in force says about counter offices in this province (or, with none, anywhere): the
    fee rule's own answer, so the card shows the counter fee the counter will take. Outsourcings and their decisions
    are catalogue rows, so the answer is kept per catalogue version."""
    province_id = province.id if province is not None else None

    def offer() -> CounterOffer | None:
        found = fees.in_force(service, province_id)
        return CounterOffer(found.counter_fee_rial) if found is not None else None

    return catalogue_version.per_version(f"counter offer:{service.id}:{province_id}", offer)


def offered_in(service: Service, province: Province | None) -> bool:
    return service.offered_everywhere or province is None or any(p.id == province.id for p in service.provinces)


def can_apply_here(service: Service) -> bool:
    """Online requests through this window: the request stage is electronic and the agency is connected."""
    card = service.current_revision
    return card is not None and card.stage_request == "electronic" and service.agency.connection_status == "connected"


def publish_revision(
    service: Service,
    revision: ServiceRevision,
    provinces: Iterable[Province],
    clusters: Iterable[Cluster],
    life_events: Iterable[LifeEvent],
    reindex: bool = True,
) -> None:
    """Make an approved revision the card people see, and mirror what listing and search need.

    reindex=False lets a bulk import index all its cards at once at the end of the same transaction.
    """
    service.current_revision = revision
    service.title = revision.title
    service.title_en = revision.title_en
    service.yearly_volume = revision.yearly_volume
    service.fully_electronic = revision.fully_electronic
    service.offered_everywhere = revision.offered_everywhere
    service.provinces = [] if revision.offered_everywhere else list(provinces)
    service.clusters = list(clusters)
    service.life_events = list(life_events)
    if reindex:
        search_index.index_services([service])


# --- history -------------------------------------------------------------------------------------------


def approved_revisions(service: Service) -> Sequence[ServiceRevision]:
    """Approved revisions, newest first."""
    query = (
        select(ServiceRevision)
        .where(ServiceRevision.service_id == service.id, ServiceRevision.status == "approved")
        .order_by(ServiceRevision.number.desc())
    )
    return db.session.execute(query).scalars().all()


# (attribute, label, kind): kind says how a value is shown and compared.
CARD_FIELDS = (
    ("title", _l("عنوان"), "text"),
    ("summary", _l("شرح"), "text"),
    ("title_en", _l("عنوان انگلیسی"), "english"),
    ("summary_en", _l("شرح انگلیسی"), "english"),
    ("keywords_en", _l("کلیدواژه‌های انگلیسی"), "english_list"),
    ("service_type", _l("نوع خدمت"), "choice"),
    ("level", _l("سطح"), "choice"),
    ("nature", _l("ماهیت"), "choice"),
    ("audience", _l("گیرندگان خدمت"), "text"),
    ("cluster_slugs", _l("خوشه‌ها"), "clusters"),
    ("life_event_slugs", _l("رویدادهای زندگی"), "life_events"),
    ("keywords", _l("کلیدواژه‌ها"), "list"),
    ("conditions", _l("شرایط"), "list"),
    ("documents", _l("مدارک لازم"), "list"),
    ("procedure", _l("مراحل انجام"), "list"),
    ("fee_rial", _l("هزینه"), "rial"),
    ("duration_days", _l("مدت انجام (روز)"), "number"),
    ("in_person_visits", _l("دفعات مراجعهٔ حضوری"), "number"),
    ("channels", _l("راه‌های دریافت"), "channels"),
    ("stage_information", STAGES["information"], "stage"),
    ("stage_request", STAGES["request"], "stage"),
    ("stage_production", STAGES["production"], "stage"),
    ("stage_delivery", STAGES["delivery"], "stage"),
    ("online_url", _l("نشانی خدمت در سامانهٔ دستگاه"), "url"),
    ("provinces", _l("استان‌های ارائه"), "provinces"),
    ("yearly_volume", _l("تعداد درخواست در سال"), "number"),
    ("form_definition", _l("فرم درخواست"), "form"),
)


@dataclass
class Change:
    field: str
    label: str
    kind: str
    before: object
    after: object
    added: list
    removed: list


def _provinces_value(revision):
    return None if revision.offered_everywhere else list(revision.province_codes or [])


def _value(revision, attribute):
    if attribute == "provinces":
        return _provinces_value(revision)
    return getattr(revision, attribute)


def revision_diff(old: ServiceRevision, new: ServiceRevision) -> list[Change]:
    """Field-by-field changes from one revision to the next; list fields say what was added and removed."""
    changes = []
    for attribute, label, kind in CARD_FIELDS:
        before, after = _value(old, attribute), _value(new, attribute)
        if before == after:
            continue
        added = removed = []
        if isinstance(before, list) and isinstance(after, list) and kind != "form":
            added = [item for item in after if item not in before]
            removed = [item for item in before if item not in after]
        changes.append(Change(attribute, label, kind, before, after, added, removed))
    return changes


def history(service: Service) -> list[tuple[ServiceRevision, list[Change] | None]]:
    """(revision, changes since the one before) for every approved revision, newest first."""
    revisions = approved_revisions(service)
    return [
        (revision, revision_diff(older, revision) if older is not None else None)
        for revision, older in zip(revisions, [*revisions[1:], None])
    ]
