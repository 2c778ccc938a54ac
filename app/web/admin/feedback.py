"""Complaints escalated to the province (issue 14): those the agency left unanswered past their days, for the
province's administrators (the national administrator every province's), who can reply, close and flag."""

from flask import render_template, request
from flask_login import current_user

from app.core.pagination import paginate
from app.feedback import complaints
from app.models import Complaint
from app.people.auth import role_required
from app.permissions import ADMINS, complaint_for, complaints_visible_to
from app.web.admin import bp
from app.web.desk.feedback import PAGE_SIZE, complaint_action, complaint_render


@bp.get("/complaints")
@role_required(*ADMINS)
def complaints_list():
    query = complaints_visible_to(current_user)
    waiting = request.args.get("state") != "all"
    if waiting:  # still to act on: escalated and not answered since
        query = query.where(Complaint.state == "escalated")
    found = paginate(
        query.order_by(Complaint.escalated_at.desc(), Complaint.id.desc()), request.args.get("page"), PAGE_SIZE
    )
    return render_template("admin/complaints.html", page=found, labels=complaints.STATE_LABELS, waiting=waiting)


@bp.get("/complaints/<reference>")
@role_required(*ADMINS)
def complaint_page(reference):
    return complaint_render(complaint_for(current_user, reference), layout="admin")


@bp.post("/complaints/<reference>")
@role_required(*ADMINS)
def complaint_act(reference):
    return complaint_action(complaint_for(current_user, reference), ".complaint_page", "admin")
