"""Agencies' connection to the portal (issue 14): their status, the deadline to connect and who is late, for the
administrators who manage them (the national administrator all, a provincial one their province's own); changing
the status goes through app/evaluation/connections.py, which records and audits it. Also: the weekly report of the
week under way, generated now."""

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length

from app.catalogue.queries import CONNECTION_STATUSES
from app.core.errors import attach
from app.core.persian import jalali_date, to_tehran
from app.evaluation import connections, weekly
from app.extensions import db
from app.models import Agency, utcnow
from app.people.auth import role_required
from app.permissions import ADMINS, agencies_visible_to, agency_for
from app.web.admin import bp
from app.web.admin.forms import CONNECTION_CHOICES, JalaliDate, options


class ConnectionForm(FlaskForm):
    connection_status = SelectField(
        _l("وضعیت اتصال به پنجره"),
        choices=options(CONNECTION_CHOICES),
        validators=[InputRequired(_l("وضعیت اتصال را انتخاب کنید."))],
    )
    connection_deadline = StringField(
        _l("مهلت اتصال"),
        validators=[JalaliDate()],
        description=_l("آخرین روزی که دستگاه باید متصل شود، مثلاً ۱۴۰۵/۱۲/۲۹؛ خالی یعنی مهلتی تعیین نشده."),
    )
    note = TextAreaField(
        _l("توضیح تغییر (اختیاری)"),
        validators=[Length(max=1000, message=_l("این متن بیش از اندازه بلند است."))],
    )


class GenerateForm(FlaskForm):
    pass


@bp.get("/connections")
@role_required(*ADMINS)
def connections_list():
    agencies = db.session.execute(agencies_visible_to(current_user).order_by(Agency.code)).scalars().all()
    today = to_tehran(utcnow()).date()
    rows = [(a, connections.days_late(a.connection_status, a.connection_deadline, today)) for a in agencies]
    current = weekly.week_at(utcnow())
    return render_template(
        "admin/connections.html",
        rows=rows,
        statuses=CONNECTION_STATUSES,
        current=current,
        current_report=weekly.report(current.key),
        form=GenerateForm(),
    )


@bp.route("/connections/<code>", methods=["GET", "POST"])
@role_required(*ADMINS)
def connection_edit(code):
    agency = agency_for(current_user, code)  # 404 outside the administrator's agencies
    form = ConnectionForm()
    if not form.is_submitted():
        form.connection_status.data = agency.connection_status
        if agency.connection_deadline:
            form.connection_deadline.data = jalali_date(agency.connection_deadline, persian=True)
    if form.validate_on_submit():
        try:
            changed = connections.set_connection_status(
                agency, form.connection_status.data, current_user, form.note.data or ""
            )
            moved = connections.set_deadline(agency, form.connection_deadline.date, current_user)
            db.session.commit()
        except connections.ConnectionRuleError as error:
            attach(form, error, "connection_status")
        else:
            flash(_("وضعیت اتصال «%(name)s» ذخیره شد.", name=agency.name) if changed or moved else _("تغییری نبود."))
            return redirect(url_for(".connections_list"))
    history = connections.history(agency)
    return render_template(
        "admin/connections_edit.html", form=form, agency=agency, history=history, statuses=CONNECTION_STATUSES
    ), 400 if form.errors else 200


@bp.post("/connections/weekly")
@role_required(*ADMINS)
def connections_generate():
    form = GenerateForm()
    if form.validate_on_submit():
        found = weekly.generate(weekly.week_at(utcnow()))
        db.session.commit()
        if found is not None:
            flash(_("گزارش هفتهٔ %(key)s ساخته شد.", key=found.week_key))
            return redirect(url_for("transparency.weekly_report", key=found.week_key))
    return redirect(url_for(".connections_list"))
