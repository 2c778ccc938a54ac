"""The agency desk: officers see their agency's requests and move them through the state machine."""

from flask import Blueprint

bp = Blueprint("desk", __name__, url_prefix="/desk", template_folder="templates")

from app.web.desk import feedback, links, outsourcing, payments, routes
