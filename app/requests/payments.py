"""Paying a draft's government fee online: a trip to the bank gateway, the gateway asked how it ended, and the
request filed in the same transaction that records the verified payment; a rejected paid request's refund."""

import secrets
from collections.abc import Callable
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.adapters import payments as gateway
from app.administration import audit
from app.core.errors import RuleError
from app.counter.fees import online_fee
from app.extensions import db
from app.jobs import outbox
from app.models import Job, OnlinePayment, Payment, Request, Role, User, utcnow
from app.requests.filing import Filing, FilingError, file_request
from app.requests.formdefs import answers_from, build_form, check_files, definition_for, raw_formdata


class PaymentError(RuleError):
    """A payment step the rules refuse."""


# What the citizen is told when they come back from the gateway without a paid payment.
FAILED = _l("پرداخت انجام نشد و پولی از حساب شما برداشته نشد. پاسخ‌ها و پیوست‌هایتان سر جایش است؛ دوباره امتحان کنید.")
CANCELLED = _l("پرداخت را لغو کردید. پاسخ‌ها و پیوست‌هایتان سر جایش است؛ هر وقت خواستید پرداخت کنید و بفرستید.")


def payment_for(user: User, token: str) -> OnlinePayment | None:
    """The user's own online payment with this token; None (a 404) for anyone else's or an unknown one."""
    query = select(OnlinePayment).where(OnlinePayment.token == token, OnlinePayment.applicant_id == user.id)
    return db.session.execute(query).scalar_one_or_none()


def ready_answers(draft: Request) -> dict:
    """The draft's answers, canonical and checked as the check-your-answers page checks them (files included);
    FilingError (with the fields at fault) when they would not file, so no one pays for a request that cannot be
    filed."""
    definition = definition_for(draft.service.current_revision)
    form = build_form(definition, formdata=raw_formdata(draft.answers))
    fields_ok = form.validate()
    files_ok, total_error = check_files(
        form,
        definition,
        attached={a.field_name for a in draft.attachments},
        attached_bytes=sum(a.size for a in draft.attachments),
    )
    if not (fields_ok and files_ok) or total_error:
        errors = {name: list(messages) for name, messages in form.errors.items()}
        raise FilingError(total_error or _("پاسخ‌های فرم کامل یا درست نیست."), errors)
    return answers_from(form, definition)


def start_payment(draft: Request, applicant: User, callback_url: Callable[[str], str]) -> OnlinePayment:
    """The payment that takes the draft's fee: the one already under way if it is still open (a second click goes
    to the same gateway session), a paid one not yet filed, or a new session at the gateway. Commits.

    The caller sends the citizen to `redirect_url` when the payment is pending, and files (complete) when it is
    already verified. GatewayUnavailable when the gateway cannot open a session now; nothing is lost then."""
    _lock(Request, draft.id)
    if draft.status != "draft":
        raise FilingError(_("این پیش‌نویس قبلاً فرستاده شده است."))
    amount = online_fee(draft.service)
    if amount <= 0:
        raise PaymentError(_("این خدمت هزینه‌ای ندارد؛ درخواست را بدون پرداخت بفرستید."))
    ready_answers(draft)
    for earlier in _payments_of(draft, ("pending", "verified")):
        if earlier.state == "verified":
            return earlier  # paid before, and filing it failed then: it is filed now, not paid twice
        if earlier.amount_rial == amount and earlier.expires_at > utcnow():
            return earlier
        # Out of date: the gateway says how it ended before another session opens (paid at the last minute?).
        verdict = _settle(earlier)
        if verdict.state == gateway.PAID:
            _mark_verified(earlier, verdict.reference)
            db.session.commit()
            return earlier
    now = utcnow()
    payment = OnlinePayment(
        token=secrets.token_urlsafe(32),
        request=draft,
        applicant=applicant,
        amount_rial=amount,
        backend=gateway.backend(),
        state="pending",
        created_at=now,
        expires_at=now + timedelta(minutes=current_app.config["PAYMENT_SESSION_MINUTES"]),
    )
    started = gateway.start(payment.token, amount, callback_url(payment.token))
    payment.authority, payment.redirect_url = started.authority, started.redirect_url
    db.session.add(payment)
    # A citizen who paid and never came back (the browser closed, the network gone) is not left paid and unfiled:
    # once the session is over the worker asks the gateway itself and files what was paid.
    outbox.schedule(CHECK_JOB, payment.token, not_before=payment.expires_at + timedelta(minutes=1))
    db.session.commit()
    return payment


def complete(payment: OnlinePayment) -> Request | None:
    """Back from the gateway: ask it how the payment ended and, when paid, file the draft with the payment in
    one transaction. Returns the filed request; None when it was not paid (payment.state says failed, cancelled,
    or still pending at the gateway). Idempotent: a second callback finds the request already filed.

    GatewayUnavailable leaves everything as it was. FilingError when the gateway took the money but the draft
    cannot be filed now (the card changed meanwhile): the payment is kept as verified, so sending the corrected
    draft files it without paying again."""
    _lock(OnlinePayment, payment.id)
    if payment.state == "pending":
        verdict = _settle(payment)
        if verdict.state != gateway.PAID:
            return None
        reference = verdict.reference
    elif payment.state == "verified":
        reference = payment.gateway_reference
    else:
        db.session.commit()
        return None
    draft = payment.request
    if draft.status != "draft":  # filed already: the second callback of a double click, a reload
        _mark_verified(payment, reference)
        db.session.commit()
        return draft
    try:
        return _file(payment, draft, ready_answers(draft), reference)
    except FilingError:
        # The money is taken, so the payment is recorded as verified even though the draft cannot be filed now.
        db.session.rollback()
        _lock(OnlinePayment, payment.id)
        _mark_verified(payment, reference)
        db.session.commit()
        raise


CHECK_JOB = "payment_check"


@outbox.handler(CHECK_JOB, label=_l("بررسی پرداخت اینترنتی"))
def check_later(job: Job) -> None:
    """The worker's side: a payment still pending after its session ended is settled with the gateway (paid: its
    request is filed, with the tracking-code SMS). GatewayUnavailable raises, and the outbox tries again later; a
    paid draft that cannot be filed stays a verified payment for the citizen's next send (nothing to retry)."""
    payment = db.session.execute(select(OnlinePayment).where(OnlinePayment.token == job.ref)).scalar_one_or_none()
    if payment is None or payment.state != "pending":
        return
    try:
        complete(payment)
    except FilingError:
        pass  # recorded as verified by complete(); the check page files it without paying again


def _settle(payment: OnlinePayment) -> gateway.Verdict:
    """Ask the gateway about a pending payment; an ending other than paid is recorded (committed) here, a paid one
    is left to the caller, who records it with the filing."""
    verdict = gateway.verify(payment.authority, payment.amount_rial)
    now = utcnow()
    if verdict.state == gateway.PENDING:
        if payment.expires_at <= now:
            payment.state, payment.finished_at = "failed", now
        db.session.commit()
    elif verdict.state != gateway.PAID:
        payment.state = "cancelled" if verdict.state == gateway.CANCELLED else "failed"
        payment.finished_at = now
        db.session.commit()
    return verdict


def _mark_verified(payment, reference):
    payment.state, payment.gateway_reference = "verified", reference
    payment.finished_at = payment.finished_at or utcnow()
    db.session.add(payment)


def _file(payment, draft, answers, reference):
    amount, applicant = payment.amount_rial, payment.applicant

    def record(_request):
        # Written again by file_request if a clash makes it retry (its rollback forgets what was set before).
        _mark_verified(payment, reference)

    return file_request(
        Filing(
            service=draft.service,
            applicant=applicant,
            answers=answers,
            actor=applicant,
            idempotency_key=f"pay-{payment.token}",
            attachments=list(draft.attachments),
            payments=[Payment(kind="government_fee", amount_rial=amount, method="online", reference=reference)],
            draft=draft,
            also=record,
        )
    )


def _lock(model, row_id):
    """Hold the row until the transaction ends and read it afresh (FOR UPDATE on PostgreSQL; SQLite serialises
    writers itself): two callbacks at once decide one after the other."""
    db.session.execute(
        select(model).where(model.id == row_id).with_for_update().execution_options(populate_existing=True)
    )


def _payments_of(draft, states):
    query = (
        select(OnlinePayment)
        .where(OnlinePayment.request_id == draft.id, OnlinePayment.state.in_(states))
        .order_by(OnlinePayment.id)
    )
    return list(db.session.execute(query).scalars())


# --- what the request page shows: the payment and a refund due ------------------------------------------


def online_payment_of(request: Request) -> OnlinePayment | None:
    """The verified online payment that filed this request, if it was paid online."""
    found = _payments_of(request, ("verified",))
    return found[0] if found else None


def refund_due(request: Request, payment: OnlinePayment | None = None) -> OnlinePayment | None:
    """The online payment the agency owes back: the request was rejected after its fee was paid online, and the
    desk has not yet recorded the refund."""
    payment = payment if payment is not None else online_payment_of(request)
    if payment is None or request.status != "rejected" or payment.refunded_at is not None:
        return None
    return payment


def mark_refunded(request: Request, user: User) -> OnlinePayment:
    """The agency's desk records that it paid the fee back (audited); the caller commits. PaymentError when no
    refund is due (refunded already, or the request was not rejected) or the user is not the agency's staff."""
    if user.role not in (Role.AGENCY_OFFICER, Role.AGENCY_MANAGER) or user.agency_id != request.agency_id:
        raise PaymentError(_("فقط کارکنان دستگاه رسیدگی‌کننده بازپرداخت را ثبت می‌کنند."))
    audit.lock()  # two officers at once: the second sees the first one's refund
    payment = online_payment_of(request)
    if payment is not None:
        _lock(OnlinePayment, payment.id)
    due = refund_due(request, payment)
    if due is None:
        raise PaymentError(_("برای این درخواست بازپرداختی در انتظار نیست."))
    due.refunded_at, due.refunded_by = utcnow(), user
    audit.record(
        user,
        "payment.refund",
        "request",
        request.tracking_code,
        {"refund": "due"},
        {"refund": "done", "amount_rial": due.amount_rial, "gateway_reference": due.gateway_reference},
    )
    return due
