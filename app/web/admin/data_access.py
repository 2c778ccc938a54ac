"""Hidden data-access entries (national administrators): a citizen's log looked up by national code, with a form
to hide one entry from them for a stated investigation until a date; and every hidden entry with its reason."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.orm import joinedload
from wtforms import StringField, TextAreaField
from wtforms.validators import InputRequired, Length

from app.core.errors import attach
from app.core.identifiers import InvalidIdentifier, clean_national_code
from app.core.persian import tehran_day_end
from app.extensions import db
from app.models import Role
from app.models.data_access import DataAccess
from app.people import data_access
from app.people.auth import role_required
from app.permissions import data_access_hideable_by
from app.web.admin import bp
from app.web.admin.forms import JalaliDate

SHOWN = 100


class HideEntryForm(FlaskForm):
    until = StringField(
        _l("پنهان تا تاریخ"),
        validators=[InputRequired(_l("تاریخ پایان را بنویسید.")), JalaliDate()],
        description=_l("پس از این روز، شهروند این مورد را می‌بیند. مثلاً ۱۴۰۶/۰۱/۱۵"),
    )
    reason = TextAreaField(
        _l("علت (پرونده یا دستور بازرسی)"),
        validators=[
            InputRequired(_l("علت را بنویسید.")),
            Length(max=1000, message=_l("متن طولانی‌تر از حد مجاز است.")),
        ],
    )


def _page(form=None, target=None, status=200):
    national_code = (request.args.get("national_code") or "").strip()
    citizen_rows, code_error = [], ""
    if target is None and request.args.get("entry"):
        target = db.session.execute(
            data_access_hideable_by(current_user).where(DataAccess.hash == request.args["entry"][:64])
        ).scalar_one_or_none()
    if target is not None:
        national_code = target.national_code
    if national_code:
        try:
            national_code = clean_national_code(national_code)
        except InvalidIdentifier as error:
            code_error = error.message
        else:
            citizen_rows = (
                db.session.execute(
                    data_access_hideable_by(current_user)
                    .where(DataAccess.national_code == national_code)
                    .options(joinedload(DataAccess.agency), joinedload(DataAccess.office))
                    .order_by(DataAccess.id.desc())
                    .limit(SHOWN)
                )
                .scalars()
                .all()
            )
    hidden = db.session.execute(data_access.hidden_entries(current_user).limit(SHOWN)).scalars().all()
    return render_template(
        "admin/data_access.html",
        national_code=national_code,
        code_error=code_error,
        citizen_lines=[data_access.explain(row) for row in citizen_rows],
        hidden=[data_access.explain(row) for row in hidden],
        form=form or HideEntryForm(formdata=None),
        target=target,
        target_line=data_access.explain(target) if target is not None else None,
    ), (400 if code_error else status)


@bp.get("/data-access")
@role_required(Role.NATIONAL_ADMIN)
def data_access_admin():
    return _page()


@bp.post("/data-access/<entry>/hide")
@role_required(Role.NATIONAL_ADMIN)
def data_access_hide(entry):
    row = db.session.execute(
        data_access_hideable_by(current_user).where(DataAccess.hash == entry[:64])
    ).scalar_one_or_none()
    if row is None:
        abort(404)
    form = HideEntryForm()
    if not form.validate_on_submit():
        return _page(form, row, 400)
    try:
        data_access.hide(current_user, row, tehran_day_end(form.until.date), form.reason.data)
    except data_access.HideError as error:
        attach(form, error, "reason")
        return _page(form, row, 400)
    db.session.commit()
    flash(_("این مورد تا تاریخ گفته‌شده از شهروند پنهان ماند."))
    return redirect(url_for(".data_access_admin", national_code=row.national_code))
