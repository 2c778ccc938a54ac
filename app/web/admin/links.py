"""Every checked link that does not work (app/evaluation/links.py); provincial administrators see their
province's agencies' links."""

from flask import render_template
from flask_login import current_user

from app import permissions
from app.evaluation import links
from app.people.auth import role_required
from app.permissions import ADMINS
from app.web.admin import bp


@bp.get("/links")
@role_required(*ADMINS)
def links_page():
    rows = links.rows(permissions.link_references_visible_to(current_user))
    return render_template("admin/links.html", rows=rows, labels=links.STATE_LABELS)
