"""The public site: home, search, language switch. Anyone may use it without signing in."""

from flask import Blueprint

bp = Blueprint("public", __name__, template_folder="templates")

from app.web.public import offices, routes, tracking
