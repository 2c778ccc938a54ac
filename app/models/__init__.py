"""The one model shared by every mode."""

from app.models.audit import AuditEvent
from app.models.base import new_public_id, utcnow
from app.models.catalogue import (
    Agency,
    Cluster,
    County,
    LifeEvent,
    Province,
    Service,
    ServiceRevision,
    service_cluster,
    service_life_event,
    service_province,
)
from app.models.connections import AgencyConnectionChange, WeeklyReport
from app.models.dashboard import DashboardSnapshot
from app.models.data_access import DataAccess
from app.models.feedback import Complaint, Rating
from app.models.inquiries import Inquiry, InquiryType, ServiceInquiry
from app.models.jobs import Job, WorkerHeartbeat
from app.models.ledger import DayClose
from app.models.links import Link, LinkCheck, LinkHost, LinkReference
from app.models.messaging import OtpChallenge, SmsMessage
from app.models.offices import Office, Outsourcing, OutsourcingDecision, Setting, outsourcing_province
from app.models.payments import OnlinePayment, SimulatedGatewayPayment
from app.models.people import MobileOwnership, Role, SignInThrottle, User
from app.models.requests import Attachment, Payment, Request, RequestEvent
from app.models.scores import ScoreLine, ScoreSnapshot, ScoreTotal
from app.models.search import SearchMiss, SearchTerm, Synonym

__all__ = [
    "Agency",
    "AgencyConnectionChange",
    "Attachment",
    "AuditEvent",
    "Cluster",
    "Complaint",
    "County",
    "DashboardSnapshot",
    "DataAccess",
    "DayClose",
    "Inquiry",
    "InquiryType",
    "Job",
    "LifeEvent",
    "Link",
    "LinkCheck",
    "LinkHost",
    "LinkReference",
    "MobileOwnership",
    "Office",
    "OnlinePayment",
    "OtpChallenge",
    "Outsourcing",
    "OutsourcingDecision",
    "Payment",
    "Province",
    "Rating",
    "Request",
    "RequestEvent",
    "Role",
    "ScoreLine",
    "ScoreSnapshot",
    "ScoreTotal",
    "SearchMiss",
    "SearchTerm",
    "Service",
    "ServiceInquiry",
    "ServiceRevision",
    "Setting",
    "SignInThrottle",
    "SimulatedGatewayPayment",
    "SmsMessage",
    "Synonym",
    "User",
    "WeeklyReport",
    "WorkerHeartbeat",
    "new_public_id",
    "outsourcing_province",
    "service_cluster",
    "service_life_event",
    "service_province",
    "utcnow",
]
