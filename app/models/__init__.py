"""The one model shared by every mode."""
from .audit import AuditEvent
from .base import new_public_id, utcnow
from .catalogue import (Agency, Cluster, County, LifeEvent, Province, Service, ServiceRevision, service_cluster,
                        service_life_event, service_province)
from .ledger import DayClose
from .messaging import OtpChallenge, SmsMessage
from .offices import Office, Outsourcing, OutsourcingDecision, Setting, outsourcing_province
from .people import Role, User
from .requests import Attachment, Payment, Request, RequestEvent
from .search import SearchMiss, SearchTerm, Synonym

__all__ = [
    "Agency", "Attachment", "AuditEvent", "Cluster", "County", "DayClose", "LifeEvent", "Office", "OtpChallenge", "Outsourcing",
    "OutsourcingDecision", "Payment", "Province", "Request", "RequestEvent", "Role", "SearchMiss", "SearchTerm", "Service", "ServiceRevision",
    "Setting", "SmsMessage", "Synonym", "User", "new_public_id", "outsourcing_province", "service_cluster", "service_life_event", "service_province", "utcnow",
]
