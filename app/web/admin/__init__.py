"""The administration area: outsourcing decisions and the fee cap, agencies, offices, staff accounts, audit log,
background work."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")

from app.web.admin import (
    audit_log,
    connections,
    data_access,
    feedback,
    inquiries,
    jobs,
    links,
    manage,
    routes,
    scores,
)
