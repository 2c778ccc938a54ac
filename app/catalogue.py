"""Catalogue queries every mode reads: clusters, high-volume services, a service by its code."""
from sqlalchemy.orm import joinedload

from .extensions import db
from .models import Cluster, Service


def clusters():
    return db.session.execute(db.select(Cluster).order_by(Cluster.position, Cluster.name)).scalars().all()


def high_volume_services(limit=8):
    query = (db.select(Service).options(joinedload(Service.agency))
             .where(Service.is_active, Service.current_revision_id.is_not(None))
             .order_by(Service.yearly_volume.desc(), Service.code).limit(limit))
    return db.session.execute(query).scalars().all()


def publish_revision(service, revision, provinces, clusters, life_events):
    """Make an approved revision the card people see, and mirror what listing and search need."""
    service.current_revision = revision
    service.title = revision.title
    service.yearly_volume = revision.yearly_volume
    service.fully_electronic = revision.fully_electronic
    service.offered_everywhere = revision.offered_everywhere
    service.provinces = [] if revision.offered_everywhere else list(provinces)
    service.clusters = list(clusters)
    service.life_events = list(life_events)


def service_by_code(code):
    """The active service with this public code and a published card, or None."""
    query = (db.select(Service).options(joinedload(Service.agency), joinedload(Service.current_revision))
             .where(Service.code == code, Service.is_active, Service.current_revision_id.is_not(None)))
    return db.session.execute(query).scalar_one_or_none()
