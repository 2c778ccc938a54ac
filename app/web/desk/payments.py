"""The desk's side of online payments: recording that the agency paid back the fee of a rejected request."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.extensions import db
from app.people.auth import role_required
from app.permissions import AGENCY_STAFF, request_for
from app.requests import payments
from app.web.desk import bp


@bp.post("/requests/<code>/refund")
@role_required(*AGENCY_STAFF)
def refund(code):
    """Asks once more on its own page, then records the refund (audited) and goes back to the request."""
    found = request_for(current_user, code)
    due = payments.refund_due(found)
    if due is None:
        flash(_("برای این درخواست بازپرداختی در انتظار نیست."), "error")
        return redirect(url_for(".request_page", code=found.tracking_code), 303)
    if request.form.get("confirm") != "yes":
        return render_template("desk/refund_confirm.html", req=found, due=due)
    try:
        payments.mark_refunded(found, current_user)
        db.session.commit()
    except payments.PaymentError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        flash(_("بازپرداخت ثبت شد."))
    return redirect(url_for(".request_page", code=found.tracking_code), 303)
