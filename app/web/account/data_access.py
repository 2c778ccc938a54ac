"""Who looked at my data: the signed-in citizen's data-access log, newest first, filtered by organisation and
period (a GET form that works without JavaScript), paged by the last entry shown (keyset, id <)."""

import re

from flask import render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import SelectField, StringField

from app.core.persian import tehran_day_end, tehran_day_start
from app.extensions import db
from app.models import DataAccess, Role
from app.people import data_access
from app.people.auth import role_required
from app.web.account import bp
from app.web.admin.forms import JalaliDate


class DataAccessFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter: nothing changes, and the URL must be shareable

    organisation = SelectField(_l("سازمان"), choices=[], validate_choice=False)
    date_from = StringField(_l("از تاریخ"), validators=[JalaliDate()], description=_l("مثلاً ۱۴۰۵/۰۱/۱۵"))
    date_to = StringField(_l("تا تاریخ"), validators=[JalaliDate()])


def _position(value: str | None) -> int | None:
    """Where an older page starts: named in the URL by the hash of the last entry shown (row ids never leave the
    database), and only among the citizen's own entries."""
    value = (value or "").strip().lower()
    if not _HASH.fullmatch(value):
        return None
    return db.session.execute(
        select(DataAccess.id).where(DataAccess.hash == value, DataAccess.national_code == current_user.national_code)
    ).scalar_one_or_none()


_HASH = re.compile(r"[0-9a-f]{64}")


@bp.get("/account/data-access")
@role_required(Role.CITIZEN)
def data_access_log():
    form = DataAccessFilterForm(formdata=request.args)
    known = data_access.organisations(current_user)
    form.organisation.choices = [("", _("همهٔ سازمان‌ها"))] + known
    valid = form.validate()
    if valid and form.organisation.data and form.organisation.data not in {value for value, _name in known}:
        form.organisation.errors = list(form.organisation.errors) + [_("این سازمان در فهرست شما نیست.")]
        valid = False
    since = tehran_day_start(form.date_from.date) if valid and form.date_from.date else None
    until = tehran_day_end(form.date_to.date) if valid and form.date_to.date else None
    if valid and since and until and since >= until:
        form.date_to.errors = list(form.date_to.errors) + [_("«تا تاریخ» باید همان روز یا بعد از «از تاریخ» باشد.")]
        valid = False
    lines, older = [], None
    before = _position(request.args.get("before"))
    if valid:
        lines, older_id = data_access.entries(
            current_user, form.organisation.data or "", since=since, until=until, before_id=before
        )
        older = lines[-1].entry.hash if older_id is not None else None  # the last entry shown: older ones next
    filters = {key: value for key, value in request.args.items() if key != "before" and value}
    return render_template(
        "account/data_access.html",
        form=form,
        lines=lines,
        older=older,
        paged=before is not None,
        filters=filters,
        kinds=data_access.DATA_KIND_LABELS,
    ), (200 if valid else 400)
