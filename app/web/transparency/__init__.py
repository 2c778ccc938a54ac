"""The public transparency pages (issue 14): the weekly connection report, scores and ranking with their method,
and the dashboard (ratings and complaints are still to come). Anyone may read them without signing in; only aggregates."""

from flask import Blueprint

bp = Blueprint("transparency", __name__, template_folder="templates")

from app.web.transparency import dashboard, reports, scores
