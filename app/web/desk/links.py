"""The agency's checked links that do not work (app/evaluation/links.py), scoped to the officer's agency."""

from flask import render_template
from flask_login import current_user

from app import permissions
from app.evaluation import links
from app.people.auth import role_required
from app.permissions import AGENCY_STAFF
from app.web.desk import bp


@bp.get("/links")
@role_required(*AGENCY_STAFF)
def links_page():
    rows = links.rows(permissions.link_references_visible_to(current_user))
    return render_template("desk/links.html", rows=rows, labels=links.STATE_LABELS)
