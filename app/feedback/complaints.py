"""Complaints (شکایت): about one of the citizen's requests (by its tracking code) or, for those without one, about a
service. States: open → answered → closed; an open complaint left unanswered COMPLAINT_ESCALATION_DAYS days is
escalated by the nightly job to its province's administrators (the province's IT office), who can still see it
after it is answered. Reply, close, flag and escalate are audited."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Select, and_, select
from sqlalchemy.orm.exc import StaleDataError

from app.adapters import sms
from app.administration import audit
from app.core.errors import RuleError
from app.core.identifiers import damm_digit
from app.core.persian import clean_text, local_digits
from app.extensions import db
from app.jobs import outbox
from app.models import Complaint, Request, Service, User, utcnow

BODY_MAX = 2000
REPLY_MAX = 4000
DEFAULT_ESCALATION_DAYS = 7
REFERENCE_LENGTH = 8
STATE_LABELS = {
    "open": _l("در انتظار پاسخ"),
    "answered": _l("پاسخ داده شده"),
    "closed": _l("بسته شده"),
    "escalated": _l("ارجاع‌شده به استان"),
}
# Where a reply can come from: an open complaint, one escalated, or one answered (a better answer replaces it).
REPLYABLE = ("open", "escalated", "answered")


class ComplaintError(RuleError):
    """A change to a complaint the rules refuse."""


class ChangedError(ComplaintError):
    """Someone else changed the complaint between the page being read and the action being taken."""


def escalation_days() -> int:
    """COMPLAINT_ESCALATION_DAYS: how long an agency has to answer before a complaint goes to the province."""
    try:
        return max(int(current_app.config.get("COMPLAINT_ESCALATION_DAYS", DEFAULT_ESCALATION_DAYS)), 1)
    except RuntimeError:  # outside an application (a benchmark computing scores), the default
        return DEFAULT_ESCALATION_DAYS


def new_reference() -> str:
    """Eight digits, the last a Damm check digit (as tracking codes), so a mistyped reference is caught."""
    body = secrets.choice("123456789") + "".join(secrets.choice("0123456789") for _ in range(REFERENCE_LENGTH - 2))
    return body + damm_digit(body)


def file_complaint(
    complainant: User, body: str, *, request: Request | None = None, service: Service | None = None
) -> Complaint:
    """A new open complaint in the caller's transaction. The caller has established that the request (if any) is
    the complainant's own (their account, or the /track proof of its tracking code and national code)."""
    text = clean_text(body)
    if not text:
        raise ComplaintError(_("متن شکایت را بنویسید."), field="body")
    if len(text) > BODY_MAX:
        raise ComplaintError(_("متن شکایت طولانی‌تر از حد مجاز است."), field="body")
    if request is not None:
        if request.status == "draft" or request.applicant_id != complainant.id:
            raise ComplaintError(_("این درخواست از آنِ شما نیست."), field="request")
        service = request.service
    if service is None:
        raise ComplaintError(_("درخواست یا خدمتی را که از آن شکایت دارید انتخاب کنید."), field="service")
    agency = service.agency
    # The province whose IT office hears it when unanswered: the counter office's where the request was filed,
    # else the (provincial) agency's; a national agency's online request has none, so the national administrators.
    province_id = request.office.province_id if request is not None and request.office is not None else None
    complaint = Complaint(
        reference=_free_reference(),
        request_id=request.id if request is not None else None,
        service_id=service.id,
        agency_id=agency.id,
        province_id=province_id or agency.province_id,
        complainant_id=complainant.id,
        body=text,
        state="open",
        reply="",
        flag="",
    )
    db.session.add(complaint)
    db.session.flush()
    return complaint


def filed_message(complaint: Complaint) -> str:
    """What the citizen is told once a complaint is filed (from the account or from /track): its reference."""
    return _("شکایت شما ثبت شد. شمارهٔ پیگیری شکایت: %(ref)s", ref=local_digits(complaint.reference))


def _free_reference() -> str:
    while True:
        reference = new_reference()
        if db.session.execute(select(Complaint.id).where(Complaint.reference == reference)).first() is None:
            return reference


def reply(complaint: Complaint, text: str, actor: User) -> None:
    """The agency's (or the province's) answer: the complaint is answered and the citizen reads it. The caller
    commits."""
    answer = clean_text(text)
    if complaint.state not in REPLYABLE:
        raise ComplaintError(_("این شکایت بسته شده است و پاسخ تازه نمی‌پذیرد."), field="reply")
    if not answer:
        raise ComplaintError(_("متن پاسخ را بنویسید."), field="reply")
    if len(answer) > REPLY_MAX:
        raise ComplaintError(_("متن پاسخ طولانی‌تر از حد مجاز است."), field="reply")
    before = {"state": complaint.state}
    complaint.state, complaint.reply, complaint.replied_by_id = "answered", answer, actor.id
    complaint.answered_at = complaint.answered_at or utcnow()
    _save()
    audit.record(actor, "complaint.reply", "complaint", complaint.reference, before, {"state": "answered"})
    _tell_the_complainant(complaint)


def _tell_the_complainant(complaint: Complaint) -> None:
    """An SMS, in the reply's transaction, that the complaint has an answer and where to read it; never the answer
    itself (it may hold personal details, and an SMS is read on a lock screen). In Persian, whatever language the
    officer's page is in."""
    complainant = complaint.complainant
    if complainant is None or not complainant.mobile:
        return
    with force_locale("fa"):
        text = local_digits(
            _(
                "پنجره: دستگاه به شکایت %(reference)s شما پاسخ داد. پاسخ را در حساب خود، بخش «شکایت‌های من»، "
                "یا با کد رهگیری در صفحهٔ پیگیری درخواست ببینید.",
                reference=complaint.reference,
            )
        )
    sms.send(complainant.mobile, text, purpose="status")


def close(complaint: Complaint, actor: User) -> None:
    """The citizen (or staff) closes the complaint. The caller commits."""
    if complaint.state == "closed":
        raise ComplaintError(_("این شکایت قبلاً بسته شده است."), field="reply")
    before = {"state": complaint.state}
    complaint.state, complaint.closed_at = "closed", utcnow()
    _save()
    audit.record(actor, "complaint.close", "complaint", complaint.reference, before, {"state": "closed"})


def flag(complaint: Complaint, value: str, actor: User) -> None:
    """Mark (or unmark) the complaint's text as personal data or spam: it is then shown to nobody outside the
    agency and the administrators; a spam complaint does not count in the agency's score. The caller commits."""
    if value not in Complaint.FLAGS:
        raise ComplaintError(_("یکی از گزینه‌ها را انتخاب کنید."), field="flag")
    if complaint.flag == value:
        return
    before = {"flag": complaint.flag}
    complaint.flag, complaint.flagged_by_id = value, actor.id if value else None
    _save()
    audit.record(actor, "complaint.flag", "complaint", complaint.reference, before, {"flag": value})


def _save() -> None:
    try:
        db.session.flush()
    except StaleDataError:
        db.session.rollback()
        raise ComplaintError(_("این شکایت همین حالا تغییر کرد؛ صفحه را دوباره باز کنید."), field="reply") from None


def shown_body(complaint: Complaint) -> str:
    """The complaint's text outside the desk and administration: nothing once it is flagged."""
    return "" if complaint.flag else complaint.body


def of_request(request: Request) -> list[Complaint]:
    """The complaints about one request, newest first (its /track page shows them, with their replies)."""
    query = select(Complaint).where(Complaint.request_id == request.id).order_by(Complaint.id.desc())
    return list(db.session.execute(query).scalars())


def due_at(complaint: Complaint) -> datetime:
    return complaint.created_at + timedelta(days=escalation_days())


# --- escalation ------------------------------------------------------------------------------------------------------


def overdue(now: datetime) -> ColumnElement[bool]:
    """Open and older than the escalation days: what the nightly job escalates."""
    return and_(Complaint.state == "open", Complaint.created_at <= now - timedelta(days=escalation_days()))


def overdue_query(now: datetime) -> Select:
    return select(Complaint).where(overdue(now)).order_by(Complaint.id)


def escalate_overdue(now: datetime | None = None) -> int:
    """Escalate every overdue open complaint to its province, each audited; the caller commits. Idempotent: an
    escalated complaint is not open any more, so a retry finds nothing to do."""
    now = now or utcnow()
    count = 0
    for complaint in db.session.execute(overdue_query(now).with_for_update()).scalars():
        complaint.state, complaint.escalated_at = "escalated", now
        audit.record(
            None,
            "complaint.escalate",
            "complaint",
            complaint.reference,
            {"state": "open"},
            {"state": "escalated", "province": complaint.province.code if complaint.province else ""},
        )
        count += 1
    db.session.flush()
    return count


JOB_KIND = "complaint_escalation"


@outbox.handler(JOB_KIND, label=_l("ارجاع شکایت‌های بی‌پاسخ به استان"))
def run_escalation(job: Any) -> None:
    """The daily job (app/jobs/tasks.py schedules it once a day); what it changes commits with the job's "done"."""
    escalate_overdue()
