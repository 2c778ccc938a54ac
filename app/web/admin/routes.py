"""Administration home, the queue of outsourcing proposals, each one's page with its decisions, and the fee cap."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from app.administration import outsourcing as rules
from app.core.errors import attach
from app.counter import fees
from app.extensions import db
from app.models import Outsourcing, Role
from app.people.auth import role_required
from app.permissions import ADMINS, outsourcing_for, outsourcings_visible_to
from app.web.admin import bp
from app.web.admin.forms import DecisionForm, FeeCapForm, FeeChangeForm, RevokeForm


@bp.get("/")
@role_required(*ADMINS)
def home():
    counts = dict(
        db.session.execute(
            outsourcings_visible_to(current_user)
            .with_only_columns(Outsourcing.status, func.count())
            .group_by(Outsourcing.status)
        ).all()
    )
    return render_template("admin/home.html", counts=counts, fee_cap=fees.fee_cap())


@bp.get("/outsourcing")
@role_required(*ADMINS)
def queue():
    status = request.args.get("status", "pending")
    if status not in rules.STATUS_LABELS:
        status = "pending"
    return render_template(
        "admin/outsourcing_list.html",
        rows=rules.listing(current_user, status),
        status=status,
        labels=rules.STATUS_LABELS,
        fee_cap=fees.fee_cap(),
    )


def _render(found, status=200, confirm=None, **forms):
    forms.setdefault("decision_form", DecisionForm())
    forms.setdefault("revoke_form", RevokeForm(prefix="revoke"))
    forms.setdefault("fee_form", FeeChangeForm(prefix="fee"))
    return render_template(
        "admin/outsourcing.html",
        item=found,
        decisions=rules.decisions(found),
        confirm=confirm,
        labels=rules.STATUS_LABELS,
        decision_labels=rules.DECISION_LABELS,
        fee_cap=fees.fee_cap(),
        **forms,
    ), status


@bp.get("/outsourcing/<public_id>")
@role_required(*ADMINS)
def outsourcing_page(public_id):
    return _render(outsourcing_for(current_user, public_id))


# action -> (form class, its prefix, the name the page renders it under)
ACTIONS = {
    "approve": (DecisionForm, "", "decision_form"),
    "reject": (DecisionForm, "", "decision_form"),
    "revoke": (RevokeForm, "revoke", "revoke_form"),
    "change_fee": (FeeChangeForm, "fee", "fee_form"),
}
# Decisions that cannot be taken back are shown once more on the same page before they happen.
CONFIRM = {"reject", "revoke"}


def _apply(found, action, form):
    if action == "approve":
        return rules.approve(found, current_user, form.reason.data)
    if action == "reject":
        return rules.reject(found, current_user, form.reason.data)
    if action == "revoke":
        return rules.revoke(found, current_user, form.reason.data)
    return rules.change_fee(found, current_user, form.counter_fee_rial.data, form.reason.data)


@bp.post("/outsourcing/<public_id>/decide")
@role_required(*ADMINS)
def decide(public_id):
    found = outsourcing_for(current_user, public_id)
    action = request.form.get("action", "")
    if action not in ACTIONS:
        abort(400)
    form_class, prefix, name = ACTIONS[action]
    form = form_class(prefix=prefix)
    if not form.validate_on_submit():
        return _render(found, status=400, **{name: form})
    try:
        _apply(found, action, form)
        if action in CONFIRM and request.form.get("confirm") != "yes":
            # The rule ran and is rolled back: the question is only asked about a decision it would accept.
            db.session.rollback()
            return _render(found, confirm=action, **{name: form})
        db.session.commit()
    except rules.OutsourcingError as error:
        attach(form, error, "reason")
        return _render(found, status=400, **{name: form})
    flash(_("تصمیم ثبت شد: %(action)s", action=rules.DECISION_LABELS[action]))
    return redirect(url_for(".outsourcing_page", public_id=found.public_id))


@bp.route("/settings/fee-cap", methods=["GET", "POST"])
@role_required(Role.NATIONAL_ADMIN)
def fee_cap():
    form = FeeCapForm()
    if form.validate_on_submit():
        try:
            fees.set_fee_cap(current_user, form.amount.data)
            db.session.commit()
        except fees.FeeError as error:
            attach(form, error, "amount")
        else:
            flash(_("سقف کارمزد ذخیره شد."))
            return redirect(url_for(".fee_cap"))
    elif request.method == "GET":
        form.amount.data = str(fees.fee_cap())
    # Lowering the cap leaves approved fees as they were; the page lists those now above it.
    above = (
        db.session.execute(
            select(Outsourcing)
            .where(Outsourcing.status == "approved", Outsourcing.counter_fee_rial > fees.fee_cap())
            .order_by(Outsourcing.id)
        )
        .scalars()
        .all()
    )
    return render_template("admin/fee_cap.html", form=form, above=above), 400 if form.errors else 200
