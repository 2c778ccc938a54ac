"""The one model shared by every mode."""
from .audit import AuditEvent
from .base import new_public_id, utcnow
from .catalogue import (Agency, Cluster, County, LifeEvent, Province, Service, ServiceRevision, service_cluster,
                        service_life_event, service_province)
from .offices import Office, Outsourcing, OutsourcingDecision, Setting, outsourcing_province
from .people import Role, User
from .requests import Attachment, Payment, Request, RequestEvent

__all__ = [
    "Agency", "Attachment", "AuditEvent", "Cluster", "County", "LifeEvent", "Office", "Outsourcing",
    "OutsourcingDecision", "Payment", "Province", "Request", "RequestEvent", "Role", "Service", "ServiceRevision",
    "Setting", "User", "new_public_id", "outsourcing_province", "service_cluster", "service_life_event", "service_province", "utcnow",
]
