"""The audit log browser: filters by actor, action, object type and Jalali date range, newest first, paginated;
shown in words (audit_display): labels for fields and values, names for codes."""

from flask import render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.administration import audit, audit_display
from app.core.pagination import page_number
from app.core.persian import tehran_day_end, tehran_day_start
from app.extensions import db
from app.models import User
from app.people.auth import role_required
from app.permissions import ADMINS
from app.web.admin import bp
from app.web.admin.forms import AuditFilterForm, options

PAGE_SIZE = 50


@bp.get("/audit")
@role_required(*ADMINS)
def audit_log():
    form = AuditFilterForm(formdata=request.args)
    blank = [("", _("همه"))]
    form.action.choices = options(blank + list(audit.ACTIONS.items()))
    form.object_type.choices = options(blank + list(audit.OBJECT_TYPES.items()))
    page = page_number(request.args.get("page"))
    rows, has_more, status = [], False, 200
    actor = None
    valid = form.validate()
    if valid and form.actor.data:
        actor = db.session.execute(select(User).where(User.username == form.actor.data)).scalar_one_or_none()
        if actor is None:
            form.actor.errors = list(form.actor.errors) + [_("کارمندی با این نام کاربری نیست.")]
            valid = False
    since = tehran_day_start(form.date_from.date) if valid and form.date_from.date else None
    until = tehran_day_end(form.date_to.date) if valid and form.date_to.date else None
    if valid and since and until and since >= until:
        form.date_to.errors = list(form.date_to.errors) + [_("«تا تاریخ» باید همان روز یا بعد از «از تاریخ» باشد.")]
        valid = False
    if valid:
        query = audit.events(
            current_user,
            actor=actor,
            action=form.action.data or None,
            object_type=form.object_type.data or None,
            since=since,
            until=until,
        )
        found = db.session.execute(query.limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE)).scalars().all()
        rows, has_more = found[:PAGE_SIZE], len(found) > PAGE_SIZE
    else:
        status = 400
    filters = {key: value for key, value in request.args.items() if key != "page" and value}
    return render_template(
        "admin/audit.html",
        form=form,
        lines=audit_display.readable(rows),
        has_more=has_more,
        page=page,
        filters=filters,
    ), status
