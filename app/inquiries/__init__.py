"""Inquiries between agencies (once only, استعلام): a filed request's card declares what its processing must ask
other agencies; each question runs as background work (the outbox) through the service bus (app/adapters/bus.py).

Lifecycle of one inquiry: queued → running → answered | not_found | failed. One that waits for another (`after`) is
scheduled when that one is answered; when that one says "not found" it runs anyway or is "stopped", as the card
says (ServiceInquiry.on_not_found), and so is everything that waits for it. A provider that does not answer is
tried INQUIRY_MAX_ATTEMPTS times with the outbox's backoff between; then the inquiry is "failed", and the officer
retries it (retry) or asks the citizen for the document instead (the desk's needs-info).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import joinedload

from app.adapters import bus
from app.administration import audit
from app.catalogue import version as catalogue_version
from app.catalogue.queries import AgencyName
from app.core.persian import local_number
from app.extensions import db
from app.jobs import outbox
from app.models import Inquiry, InquiryType, Job, Request, Service, ServiceInquiry, User, utcnow

log = logging.getLogger("panjereh.inquiries")

JOB = "inquiry"
# The data-access log's purpose for an inquiry answered about the citizen.
ANSWERED_PURPOSE = "inquiry.answered"  # data_access.INQUIRY_ANSWERED (explained there)

# How each state reads on the desk and to the citizen.
STATE_LABELS = {
    "queued": _l("در نوبت"),
    "running": _l("در حال استعلام"),
    "answered": _l("پاسخ داده شد"),
    "not_found": _l("یافت نشد"),
    "failed": _l("ناموفق"),
    "stopped": _l("انجام نشد"),
}


# --- what a card declares -----------------------------------------------------------------------------------


def declared(service: Service | int) -> list[ServiceInquiry]:
    """The card's inquiries in order."""
    service_id = service if isinstance(service, int) else service.id
    query = (
        select(ServiceInquiry)
        .where(ServiceInquiry.service_id == service_id)
        .options(joinedload(ServiceInquiry.inquiry_type).joinedload(InquiryType.agency))  # the card names both
        .order_by(ServiceInquiry.position, ServiceInquiry.id)
    )
    return list(db.session.execute(query).scalars())


def replaced_documents(service_id: int | None, documents: Sequence[object]) -> dict[int, ServiceInquiry]:
    """The indexes of the card's documents an inquiry replaces, each with the inquiry that does: by the type's
    document texts or by the card's own indexes or texts."""
    if service_id is None:
        return {}
    found: dict[int, ServiceInquiry] = {}
    for declaration in declared(service_id):
        named = [*declaration.inquiry_type.replaces, *declaration.replaces]
        texts = {entry.strip() for entry in named if isinstance(entry, str)}
        indexes = {entry for entry in named if isinstance(entry, int) and not isinstance(entry, bool)}
        for index, text in enumerate(documents):
            if index in indexes or (isinstance(text, str) and text.strip() in texts):
                found.setdefault(index, declaration)
    return found


def replaced_on_card(service_id: int, documents: Sequence[object]) -> dict[int, AgencyName]:
    """For the public card: the indexes of its documents an inquiry replaces, each with the agency asked. Inquiry
    types and a card's inquiries are catalogue rows, so this is kept per catalogue version."""

    def replaced() -> dict[int, AgencyName]:
        found = replaced_documents(service_id, documents)
        agencies = {index: declaration.inquiry_type.agency for index, declaration in found.items()}
        return {index: AgencyName(a.code, a.name, a.name_en) for index, a in agencies.items()}

    return catalogue_version.per_version(f"replaced documents:{service_id}", replaced)


# --- a request's inquiries ------------------------------------------------------------------------------------


def start_for(request: Request) -> list[Inquiry]:
    """Create the card's inquiries for a request being filed, in the filing's transaction (nothing is flushed);
    those that wait for none are scheduled at once (they run once the filing commits)."""
    made: dict[int, Inquiry] = {}
    for declaration in declared(request.service_id or request.service.id):
        inquiry = Inquiry(
            request=request,
            inquiry_type=declaration.inquiry_type,
            position=declaration.position,
            on_not_found=declaration.on_not_found,
            subject_value=_subject_value(request, declaration.inquiry_type),
            state="queued",
            attempts=0,
            last_error="",
            answer={},
            simulated=False,
        )
        if declaration.after_id is not None and declaration.after_id in made:
            inquiry.after = made[declaration.after_id]
        made[declaration.id] = inquiry
        db.session.add(inquiry)
        if inquiry.after is None:
            _schedule(inquiry)
    return list(made.values())


def _subject_value(request: Request, inquiry_type: InquiryType) -> str:
    """What the provider is asked by: the form's answer of that name, else (for a national code) the applicant's."""
    value = (request.answers or {}).get(inquiry_type.subject)
    if isinstance(value, str) and value.strip():
        return value.strip()[:64]
    if inquiry_type.subject == "national_code" and request.applicant is not None:
        return request.applicant.national_code or ""
    return ""


def _schedule(inquiry: Inquiry) -> None:
    inquiry.state = "queued"
    inquiry.due_at = utcnow() + timedelta(minutes=inquiry.inquiry_type.due_minutes)
    inquiry.job = outbox.schedule(JOB, inquiry.inquiry_type.code)


def for_request(request: Request) -> list[Inquiry]:
    query = select(Inquiry).where(Inquiry.request_id == request.id).order_by(Inquiry.position, Inquiry.id)
    return list(db.session.execute(query).scalars())


def waiting(request: Request) -> bool:
    """Whether any of the request's inquiries is still to be answered."""
    query = select(func.count()).where(Inquiry.request_id == request.id, Inquiry.state.in_(("queued", "running")))
    return bool(db.session.execute(query).scalar_one())


def retry(inquiry: Inquiry, officer: User) -> bool:
    """An officer's retry of a failed inquiry: queued again with a fresh count of tries, in the audit log; the
    caller commits. False (nothing changed) when it is not failed (retried meanwhile, or never failed)."""
    if inquiry.state != "failed":
        return False
    audit.record(
        officer, "inquiry.retry", "request", inquiry.request.tracking_code, {"attempts": inquiry.attempts},
        {"inquiry": inquiry.inquiry_type.code},
    )  # fmt: skip
    inquiry.attempts, inquiry.last_error = 0, ""
    _schedule(inquiry)
    return True


def add(request: Request, inquiry_type: InquiryType, officer: User) -> Inquiry:
    """An inquiry an officer adds to a request, after the card's; scheduled at once; the caller commits."""
    last = db.session.execute(select(func.max(Inquiry.position)).where(Inquiry.request_id == request.id)).scalar()
    inquiry = Inquiry(
        request=request,
        inquiry_type=inquiry_type,
        position=(last if last is not None else -1) + 1,
        on_not_found="continue",
        subject_value=_subject_value(request, inquiry_type),
        attempts=0,
        last_error="",
        answer={},
        simulated=False,
        added_by=officer,
    )
    db.session.add(inquiry)
    audit.record(officer, "inquiry.add", "request", request.tracking_code, None, {"inquiry": inquiry_type.code})
    _schedule(inquiry)
    return inquiry


def types() -> list[InquiryType]:
    return list(db.session.execute(select(InquiryType).order_by(InquiryType.title)).scalars())


# --- the work -------------------------------------------------------------------------------------------------


@outbox.handler(JOB, label=_l("استعلام از دستگاه"))
def _run(job: Job) -> None:
    """Ask the provider once. A provider that does not answer raises (the outbox retries with backoff) until the
    inquiry's last try, which leaves it "failed" instead."""
    inquiry = db.session.execute(select(Inquiry).where(Inquiry.job_id == job.id)).scalar_one_or_none()
    if inquiry is None or inquiry.state in Inquiry.FINISHED:
        return  # an old job of a retried inquiry, or one already done (at least once)
    inquiry_type = inquiry.inquiry_type
    if not inquiry.subject_value:
        inquiry.state, inquiry.last_error = "failed", "nothing to ask by: the request has no " + inquiry_type.subject
        return
    inquiry.state, inquiry.attempts = "running", inquiry.attempts + 1
    inquiry.started_at = inquiry.started_at or utcnow()
    job_attempts, inquiry_id = job.attempts, inquiry.id
    db.session.commit()  # the desk sees it running while the provider is asked
    inquiry = db.session.get(Inquiry, inquiry_id)
    assert inquiry is not None
    question = bus.Question(
        type_code=inquiry_type.code,
        provider=inquiry_type.agency.code,
        subject=inquiry_type.subject,
        value=inquiry.subject_value,
        answer_fields=list(inquiry_type.answer_fields or []),
        issue=inquiry.request.tracking_code or "",
    )
    try:
        answer = bus.ask(question)
    except bus.BusUnavailable as error:
        inquiry.last_error = str(error)[:2000]
        config = current_app.config
        if inquiry.attempts >= config["INQUIRY_MAX_ATTEMPTS"] or job_attempts >= config["JOBS_MAX_ATTEMPTS"]:
            inquiry.state = "failed"
            return
        inquiry.state = "queued"
        db.session.commit()  # this try's error stays with the inquiry; the outbox waits and tries again
        raise
    inquiry.state = "answered" if answer.status == bus.FOUND else "not_found"
    inquiry.answer, inquiry.simulated = dict(answer.fields), answer.simulated
    inquiry.answered_at, inquiry.last_error = utcnow(), ""
    _record_use(inquiry)
    _release_followers(inquiry)


def _release_followers(inquiry: Inquiry) -> None:
    """Schedule what waited for this inquiry; after a "not found", stop those the card says to stop."""
    followers = db.session.execute(
        select(Inquiry).where(Inquiry.after_id == inquiry.id, Inquiry.state == "queued")
    ).scalars()
    for follower in followers:
        if inquiry.state == "answered" or (inquiry.state == "not_found" and follower.on_not_found == "continue"):
            _schedule(follower)
        else:
            follower.state = "stopped"
            follower.answered_at = utcnow()
            _release_followers(follower)


def _record_use(inquiry: Inquiry) -> None:
    """The citizen's data-access log: the provider agency answered about them for this request."""
    if inquiry.inquiry_type.subject != "national_code":
        return
    from app.people import data_access  # late: the log's module reaches the audit chain and the requests

    request = inquiry.request
    data_access.record(
        national_code=inquiry.subject_value,
        purpose=ANSWERED_PURPOSE,
        data_kind="inquiry",
        agency=inquiry.inquiry_type.agency,
        request=request,
        legal_basis=inquiry.inquiry_type.legal_basis,
    )


# --- what the pages show ----------------------------------------------------------------------------------------


def time_taken(inquiry: Inquiry) -> str:
    """From the first try to the answer, in words ("" while unanswered)."""
    if inquiry.started_at is None or inquiry.answered_at is None:
        return ""
    seconds = max(int((inquiry.answered_at - inquiry.started_at).total_seconds()), 0)
    if seconds < 60:
        return _("کمتر از یک دقیقه")
    if seconds < 3600:
        return _("%(n)s دقیقه", n=local_number(seconds // 60))
    return _("%(n)s ساعت", n=local_number(seconds // 3600))


def answer_rows(inquiry: Inquiry) -> list[tuple[str, str]]:
    """The answer as (label, value) in the type's field order; fields the type does not name come last."""
    answer = dict(inquiry.answer or {})
    rows = []
    for spec in inquiry.inquiry_type.answer_fields or []:
        name = str(spec.get("name", ""))
        if name in answer:
            rows.append((str(spec.get("label") or name), str(answer.pop(name))))
    rows.extend((name, str(value)) for name, value in answer.items())
    return rows


def waiting_among(request_ids: Sequence[int]) -> set[int]:
    """Which of these requests (one inbox page) wait for an inquiry still queued or running: one query."""
    if not request_ids:
        return set()
    found = db.session.execute(
        select(Inquiry.request_id)
        .where(Inquiry.request_id.in_(request_ids), Inquiry.state.in_(("queued", "running")))
        .distinct()
    )
    return set(found.scalars())


def waiting_condition(_now: object) -> ColumnElement[bool]:
    """The desk inbox's "waiting for an inquiry" flag: a request with an inquiry still queued or running."""
    return Request.id.in_(select(Inquiry.request_id).where(Inquiry.state.in_(("queued", "running"))))
