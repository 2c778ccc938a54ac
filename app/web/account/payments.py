"""Paying online from the check-your-answers page: the trip to the bank gateway, the callback that files the
request, and the bank-gateway simulator's own pages (with the simulator backend, for this machine only)."""

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.adapters import payments as gateway
from app.catalogue import queries as catalogue
from app.core.security import client_is_loopback
from app.counter import ledger
from app.extensions import db, limiter
from app.models import Role
from app.people.auth import role_required
from app.permissions import request_for
from app.requests import payments
from app.requests.filing import FilingError
from app.web.account import bp


def _check_page(draft):
    return url_for(".apply_check", code=draft.service.code, draft=draft.public_id)


@bp.post("/services/<code>/apply/pay")
@role_required(Role.CITIZEN)
@limiter.limit("20 per 10 minutes")
def pay_start(code):
    """The check page's «پرداخت و فرستادن»: to the gateway with the draft's fee (the same session for a second
    click), or, when it was paid already, straight to filing."""
    service = catalogue.service_by_code(code)
    draft = request_for(current_user, request.form.get("draft") or request.args.get("draft") or "-")
    if service is None or draft.service_id != service.id:
        abort(404)
    if draft.status != "draft":  # a resend after it was filed goes to the request
        return redirect(url_for(".request_page", code=draft.tracking_code), 303)
    try:
        payment = payments.start_payment(
            draft, current_user, lambda token: url_for(".pay_callback", token=token, _external=True)
        )
    except (FilingError, payments.PaymentError, gateway.GatewayUnavailable) as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(_check_page(draft), 303)
    if payment.state == "verified":
        return _finish(payment)
    return redirect(payment.redirect_url, 303)


@bp.get("/pay/callback/<token>")
@role_required(Role.CITIZEN)
@limiter.limit("30 per 10 minutes")
def pay_callback(token):
    """Where the gateway sends the citizen back. What it appended (status=OK …) is not believed: the gateway is
    asked server-side. Someone else's payment is a 404."""
    payment = payments.payment_for(current_user, token)
    if payment is None:
        abort(404)
    return _finish(payment)


def _finish(payment):
    draft = payment.request
    try:
        filed = payments.complete(payment)
    except gateway.GatewayUnavailable as error:
        db.session.rollback()
        return render_template("account/pay_pending.html", payment=payment, reason=error.message), 503
    except FilingError as error:
        flash(
            _(
                "پرداخت شما انجام شد، ولی درخواست ثبت نشد: %(reason)s پس از اصلاح، فرستادن دوباره هزینه‌ای ندارد.",
                reason=error.message,
            ),
            "error",
        )
        return redirect(_check_page(draft), 303)
    if filed is not None:
        session["just_filed"] = filed.tracking_code  # the request page confirms the filing once
        return redirect(url_for(".request_page", code=filed.tracking_code), 303)
    if payment.state == "pending":  # back from the gateway before finishing there
        return render_template("account/pay_pending.html", payment=payment, reason=None), 200
    if payment.state == "cancelled":  # the citizen's own choice, not an error
        flash(str(payments.CANCELLED))
    else:
        flash(str(payments.FAILED), "error")
    return redirect(_check_page(draft), 303)


# --- the bank-gateway simulator's pages ----------------------------------------------------------------------


def simulator_pages_open():
    """The simulator's bank pages exist only with the simulator backend and only for this machine."""
    return gateway.is_simulator() and client_is_loopback()


@bp.route("/pay/simulator/<authority>", methods=["GET", "POST"])
def simulator_page(authority):
    """The simulated bank: the merchant, the amount and three buttons. It refuses an unknown session (404), an
    expired one (410) and an amount changed in the page (400), and sends the citizen back to the merchant."""
    if not simulator_pages_open():
        abort(404)
    row = gateway.simulated_session(authority)
    if row is None:
        abort(404)
    if request.method == "GET":
        if row.state != "started":  # finished already: back to the merchant, as a bank does
            return redirect(gateway.callback_address(row), 303)
        expired = gateway.simulator_expired(row)
        return render_template("account/pay_simulator.html", row=row, expired=expired), 410 if expired else 200
    try:
        target = gateway.simulator_act(row, request.form.get("action", ""), request.form.get("amount", ""))
    except gateway.SimulatorRefused as error:
        db.session.rollback()
        expired = gateway.simulator_expired(row)
        return render_template(
            "account/pay_simulator.html", row=row, expired=expired, refused=error.message
        ), 410 if expired else 400
    db.session.commit()
    return redirect(target, 303)


# The request pages (citizen and desk) show what was paid and a refund due through these.
bp.add_app_template_global(payments.online_payment_of, "online_payment_of")
bp.add_app_template_global(payments.refund_due, "refund_due")
bp.add_app_template_global(ledger.method_label, "payment_method_label")
bp.add_app_template_global(ledger.kind_label, "payment_kind_label")
