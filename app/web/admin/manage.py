"""Managing agencies, counter offices and staff accounts; each change goes through its rule module and is audited."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.administration import agencies, offices
from app.catalogue import places
from app.catalogue import queries as catalogue
from app.core.errors import attach
from app.extensions import db
from app.models import Agency, Office
from app.people import staff
from app.people.auth import role_required
from app.permissions import (
    ADMINS,
    agencies_visible_to,
    agency_for,
    is_provincial_admin,
    office_for,
    offices_managed_by,
    staff_account_for,
)
from app.web.admin import bp
from app.web.admin.forms import (
    AgencyEditForm,
    AgencyForm,
    ConfirmForm,
    OfficeEditForm,
    OfficeForm,
    RoleForm,
    StaffForm,
    options,
)


def _province_choices(admin, blank=False):
    provinces = [admin.province] if is_provincial_admin(admin) else places.provinces()
    return ([("", _("— انتخاب کنید —"))] if blank else []) + [(p.code, p.name) for p in provinces]


# --- agencies ------------------------------------------------------------------------------------------


@bp.get("/agencies")
@role_required(*ADMINS)
def agencies_list():
    rows = db.session.execute(agencies_visible_to(current_user).order_by(Agency.code)).scalars().all()
    return render_template("admin/agencies.html", rows=rows, statuses=catalogue.CONNECTION_STATUSES)


@bp.route("/agencies/new", methods=["GET", "POST"])
@role_required(*ADMINS)
def agency_new():
    form = AgencyForm()
    form.province.choices = options(_province_choices(current_user, blank=True))
    if form.validate_on_submit():
        try:
            agency = agencies.create_agency(
                current_user,
                form.code.data,
                form.name.data,
                form.name_en.data,
                form.level.data,
                places.province_by_code(form.province.data),
                form.connection_status.data,
                form.website_url.data,
            )
            db.session.commit()
        except agencies.AgencyError as error:
            attach(form, error, "code")
        else:
            flash(_("دستگاه «%(name)s» افزوده شد.", name=agency.name))
            return redirect(url_for(".agencies_list"))
    return render_template("admin/agency_form.html", form=form, agency=None), 400 if form.errors else 200


@bp.route("/agencies/<code>", methods=["GET", "POST"])
@role_required(*ADMINS)
def agency_edit(code):
    agency = agency_for(current_user, code)
    form = AgencyEditForm(obj=agency)
    if form.validate_on_submit():
        try:
            agencies.update_agency(
                current_user,
                agency,
                form.name.data,
                form.name_en.data,
                form.connection_status.data,
                form.website_url.data,
            )
            db.session.commit()
        except agencies.AgencyError as error:
            attach(form, error, "name")
        else:
            flash(_("تغییرات دستگاه ذخیره شد."))
            return redirect(url_for(".agencies_list"))
    return render_template("admin/agency_form.html", form=form, agency=agency), 400 if form.errors else 200


# --- offices -------------------------------------------------------------------------------------------


def _office_form(obj=None):
    form = OfficeForm() if obj is None else OfficeEditForm(obj=obj)
    provinces = [current_user.province] if is_provincial_admin(current_user) else places.provinces()
    form.province.choices = options(
        ([] if is_provincial_admin(current_user) else [("", _("— انتخاب کنید —"))])
        + [(p.code, p.name) for p in provinces]
    )
    counties = [(p, c) for p in provinces for c in places.counties_of(p)]
    form.county.choices = options(
        [("", _("— بدون شهرستان —"))]
        + [(c.code, c.name if len(provinces) == 1 else f"{c.name} ({p.name})") for p, c in counties]
    )
    if obj is not None and request.method == "GET":
        form.province.data = obj.province.code if obj.province else ""
        form.county.data = obj.county.code if obj.county else ""
        form.latitude.data = "" if obj.latitude is None else str(obj.latitude)
        form.longitude.data = "" if obj.longitude is None else str(obj.longitude)
    return form


def _office_values(form, office=None):
    province = places.province_by_code(form.province.data)
    return {
        "code": office.code if office else form.code.data,
        "name": form.name.data,
        "province": province,
        "county": places.county_by_code(form.county.data),
        "address": form.address.data,
        "phone": form.phone.data,
        "opening_hours": form.opening_hours.data,
        "latitude": form.latitude.data,
        "longitude": form.longitude.data,
    }


@bp.get("/offices")
@role_required(*ADMINS)
def offices_list():
    province = places.province_by_code(request.args.get("province", ""))
    status = request.args.get("status", "")
    status = status if status in offices.STATUS_LABELS else ""
    found = offices.managed(current_user, province, status, request.args.get("page", 1, type=int))
    return render_template(
        "admin/offices.html",
        found=found,
        province=province,
        status=status,
        provinces=_province_choices(current_user),
        statuses=offices.STATUS_LABELS,
    )


@bp.route("/offices/new", methods=["GET", "POST"])
@role_required(*ADMINS)
def office_new():
    form = _office_form()
    if form.validate_on_submit():
        try:
            office = offices.create_office(current_user, **_office_values(form))
            db.session.commit()
        except offices.OfficeError as error:
            attach(form, error, "code")
        else:
            flash(_("دفتر «%(name)s» افزوده شد.", name=office.name))
            return redirect(url_for(".office_edit", code=office.code))
    return render_template(
        "admin/office_form.html", form=form, office=None, confirm_form=ConfirmForm()
    ), 400 if form.errors else 200


@bp.route("/offices/<code>", methods=["GET", "POST"])
@role_required(*ADMINS)
def office_edit(code):
    office = office_for(current_user, code)
    form = _office_form(office)
    if form.validate_on_submit():
        try:
            offices.update_office(current_user, office, **_office_values(form, office))
            db.session.commit()
        except offices.OfficeError as error:
            attach(form, error, "name")
        else:
            flash(_("تغییرات دفتر ذخیره شد."))
            return redirect(url_for(".office_edit", code=office.code))
    return render_template(
        "admin/office_form.html", form=form, office=office, confirm_form=ConfirmForm(), statuses=offices.STATUS_LABELS
    ), 400 if form.errors else 200


@bp.post("/offices/<code>/status")
@role_required(*ADMINS)
def office_status(code):
    office = office_for(current_user, code)
    confirm_form = ConfirmForm()
    status = request.form.get("status", "")
    form = _office_form(office)
    if confirm_form.validate_on_submit() and status in offices.STATUS_LABELS:
        if status == "suspended" and request.form.get("confirm") != "yes":
            return render_template(
                "admin/office_form.html",
                form=form,
                office=office,
                confirm_form=confirm_form,
                confirm="suspend",
                statuses=offices.STATUS_LABELS,
            )
        try:
            offices.set_status(current_user, office, status)
            db.session.commit()
        except offices.OfficeError as error:
            attach(None, error)
        else:
            flash(
                _("دفتر تعلیق شد؛ از این پس درخواستی در آن ثبت نمی‌شود.")
                if status == "suspended"
                else _("دفتر دوباره فعال شد.")
            )
            return redirect(url_for(".office_edit", code=office.code))
    return render_template(
        "admin/office_form.html", form=form, office=office, confirm_form=confirm_form, statuses=offices.STATUS_LABELS
    ), 400


# --- staff accounts ------------------------------------------------------------------------------------


def _scope_choices(form):
    blank = [("", _("— انتخاب کنید —"))]
    form.role.choices = options(blank + [(r, staff.ROLE_LABELS[r]) for r in staff.assignable_roles(current_user)])
    office_rows = (
        db.session.execute(offices_managed_by(current_user).where(Office.status == "active").order_by(Office.code))
        .scalars()
        .all()
    )
    form.office.choices = options(blank + [(o.code, f"{o.name} ({o.code})") for o in office_rows])
    agency_rows = db.session.execute(agencies_visible_to(current_user).order_by(Agency.code)).scalars().all()
    form.agency.choices = options(blank + [(a.code, f"{a.name} ({a.code})") for a in agency_rows])
    form.province.choices = options(blank + [(p.code, p.name) for p in places.provinces()])
    return form


def _scope_values(form):
    office = (
        db.session.execute(offices_managed_by(current_user).where(Office.code == form.office.data)).scalar_one_or_none()
        if form.office.data
        else None
    )
    agency = (
        db.session.execute(
            agencies_visible_to(current_user).where(Agency.code == form.agency.data)
        ).scalar_one_or_none()
        if form.agency.data
        else None
    )
    return {"office": office, "agency": agency, "province": places.province_by_code(form.province.data)}


@bp.get("/staff")
@role_required(*ADMINS)
def staff_list():
    role = request.args.get("role", "")
    role = role if role in staff.ROLE_LABELS else ""
    text = request.args.get("q", "").strip()[:64]
    found = offices.paginate(staff.listing(current_user, role, text), request.args.get("page", 1, type=int))
    return render_template("admin/staff.html", found=found, role=role, q=text, roles=staff.ROLE_LABELS)


@bp.route("/staff/new", methods=["GET", "POST"])
@role_required(*ADMINS)
def staff_new():
    form = _scope_choices(StaffForm())
    if form.validate_on_submit():
        try:
            user, password = staff.create_account(
                current_user, form.username.data, form.full_name.data, form.role.data, **_scope_values(form)
            )
            db.session.commit()
        except staff.StaffError as error:
            attach(form, error, "username")
        else:
            # Rendered, not redirected: the password is shown once and never put in the (readable) session cookie.
            return _account_page(user, password=password)
    return render_template("admin/staff_new.html", form=form), 400 if form.errors else 200


def _account_page(user, status=200, role_form=None, password=None, confirm=None):
    if role_form is None:
        role_form = _scope_choices(RoleForm())
        role_form.role.data = user.role
        role_form.office.data = user.office.code if user.office else ""
        role_form.agency.data = user.agency.code if user.agency else ""
        role_form.province.data = user.province.code if user.province else ""
    return render_template(
        "admin/staff_account.html",
        account=user,
        role_form=role_form,
        password=password,
        confirm=confirm,
        confirm_form=ConfirmForm(),
        roles=staff.ROLE_LABELS,
        is_self=user.id == current_user.id,
    ), status


@bp.get("/staff/<public_id>")
@role_required(*ADMINS)
def staff_account(public_id):
    return _account_page(staff_account_for(current_user, public_id))


@bp.post("/staff/<public_id>/role")
@role_required(*ADMINS)
def staff_role(public_id):
    user = staff_account_for(current_user, public_id)
    form = _scope_choices(RoleForm())
    if form.validate_on_submit():
        try:
            staff.change_role(current_user, user, form.role.data, **_scope_values(form))
            db.session.commit()
        except staff.StaffError as error:
            attach(form, error, "role")
        else:
            flash(_("نقش و حوزهٔ حساب ذخیره شد."))
            return redirect(url_for(".staff_account", public_id=user.public_id))
    return _account_page(user, status=400, role_form=form)


@bp.post("/staff/<public_id>/status")
@role_required(*ADMINS)
def staff_status(public_id):
    user = staff_account_for(current_user, public_id)
    active = request.form.get("active") == "yes"
    if not ConfirmForm().validate_on_submit():
        return _account_page(user, status=400)
    if not active and request.form.get("confirm") != "yes":
        return _account_page(user, confirm="deactivate")
    return _account_change(
        user,
        lambda: staff.set_active(current_user, user, active),
        _("حساب دوباره فعال شد.") if active else _("حساب غیرفعال شد."),
    )


@bp.post("/staff/<public_id>/password")
@role_required(*ADMINS)
def staff_password(public_id):
    user = staff_account_for(current_user, public_id)
    if not ConfirmForm().validate_on_submit():
        return _account_page(user, status=400)
    if request.form.get("confirm") != "yes":
        return _account_page(user, confirm="password")
    try:
        password = staff.reset_password(current_user, user)
        db.session.commit()
    except staff.StaffError as error:
        attach(None, error)
        return _account_page(user, status=400)
    return _account_page(user, password=password)


def _account_change(user, change, done):
    try:
        change()
        db.session.commit()
    except staff.StaffError as error:
        attach(None, error)
        return _account_page(user, status=400)
    flash(done)
    return redirect(url_for(".staff_account", public_id=user.public_id))
