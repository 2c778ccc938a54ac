"""The agency manager's outsourcing pages: the agency's services and their counter status, proposing, decisions."""

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from app.administration import outsourcing as rules
from app.catalogue import places
from app.core.errors import attach
from app.counter import fees
from app.extensions import db
from app.models import Role
from app.people.auth import role_required
from app.permissions import agency_service_for, outsourcing_for
from app.web.desk import bp
from app.web.desk.forms import ProposalForm


@bp.get("/outsourcing")
@role_required(Role.AGENCY_MANAGER)
def outsourcing_list():
    return render_template(
        "desk/outsourcing_list.html",
        rows=rules.agency_services(current_user),
        labels=rules.STATUS_LABELS,
        fee_cap=fees.fee_cap(),
    )


@bp.route("/outsourcing/propose/<code>", methods=["GET", "POST"])
@role_required(Role.AGENCY_MANAGER)
def outsourcing_propose(code):
    service = agency_service_for(current_user, code)
    form = ProposalForm()
    provinces = places.provinces()
    form.provinces.choices = [SelectChoice(p.code, p.name) for p in provinces]
    if form.validate_on_submit():
        chosen = [p for p in provinces if p.code in set(form.provinces.data or [])]
        try:
            row = rules.propose(
                service,
                current_user,
                all_provinces=form.scope.data == "all",
                provinces=chosen,
                counter_fee_rial=form.counter_fee_rial.data,
                note=form.note.data,
            )
            db.session.commit()
        except rules.OutsourcingError as error:
            attach(form, error, "counter_fee_rial")
        else:
            flash(_("پیشنهاد فرستاده شد؛ پس از تصمیم مدیر سامانه، نتیجه در همین صفحه دیده می‌شود."))
            return redirect(url_for(".outsourcing_page", public_id=row.public_id))
    return render_template(
        "desk/outsourcing_propose.html", form=form, service=service, fee_cap=fees.fee_cap()
    ), 400 if form.errors else 200


@bp.get("/outsourcing/<public_id>")
@role_required(Role.AGENCY_MANAGER)
def outsourcing_page(public_id):
    found = outsourcing_for(current_user, public_id)
    return render_template(
        "desk/outsourcing.html",
        item=found,
        decisions=rules.decisions(found),
        labels=rules.STATUS_LABELS,
        decision_labels=rules.DECISION_LABELS,
    )
