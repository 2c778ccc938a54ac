"""The one filing path: every request, online, at a counter or through the API, is created here."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from app import inquiries
from app.adapters import sms
from app.core.errors import RuleError
from app.core.identifiers import format_tracking_code, new_tracking_code
from app.core.persian import local_digits
from app.extensions import db
from app.models import Attachment, Office, Payment, Request, Service, User, new_public_id, utcnow
from app.permissions import service_fileable_at
from app.requests import workflow
from app.requests.attachments import discard
from app.requests.formdefs import definition_for, validate_answers


class FilingError(RuleError):
    """A filing refused; `field_errors` maps form fields to their messages when the answers are at fault."""

    def __init__(self, message: str, field_errors: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.field_errors = field_errors or {}


@dataclass
class Filing:
    """Everything that is filed together; payments and attachments ride in the same transaction."""

    service: Service
    applicant: User
    answers: dict
    channel: str = "online"
    actor: User | None = None
    idempotency_key: str | None = None
    office: Office | None = None
    attachments: list[Attachment] = field(default_factory=list)
    payments: list[Payment] = field(default_factory=list)
    consent_method: str = ""
    consent_reference: str = ""
    consent_at: datetime | None = None  # when that consent was given (a counter filing's code verified, paper taken)
    draft: Request | None = None
    # More rows of the same transaction, written with the request (and again if a clash makes filing retry): the
    # online payment whose verification this filing records.
    also: Callable[[Request], None] | None = None


def existing_for_key(key: str | None) -> Request | None:
    """The request filed with this idempotency key, read afresh: when it was a draft this session has already
    loaded, the row's new tracking code and status replace what was read before it was submitted."""
    if not key:
        return None
    query = db.select(Request).filter_by(idempotency_key=key).execution_options(populate_existing=True)
    return db.session.execute(query).scalar_one_or_none()


def filed_before(key: str | None, applicant: User) -> Request | None:
    """The request this applicant already filed with this idempotency key: a resend of a form already filed (a
    double click, a retry) goes to it, also when it was a draft that is no longer one. None when there is none, or
    when it is someone else's (file_request refuses that one)."""
    replay = existing_for_key(key)
    return replay if replay is not None and replay.applicant_id == applicant.id else None


def file_request(filing: Filing) -> Request:
    """Validate, allocate a tracking code, write request + first event (+ attachments, payments) in one
    transaction, queue the SMS. A replay with the same idempotency key returns the request already filed.

    A saved draft is locked first, and again after every rollback (which releases the lock), so of several
    submits of one draft at once exactly one allocates a code and the others return that request (same key) or are
    refused (another key); no code is shown that is not stored."""
    staged = [a for a in filing.attachments if a.id is None]  # this filing's new files; a draft's own are kept
    if filing.draft is not None:
        _lock(filing.draft)
    replay = _replay(filing)
    if replay is not None:
        discard(staged)
        return replay
    revision = _check_fileable(filing)
    errors = validate_answers(definition_for(revision), filing.answers)
    if errors:
        raise FilingError(_("پاسخ‌های فرم کامل یا درست نیست."), errors)

    for _attempt in range(5):
        try:
            # Nothing is flushed before the commit, so a clash (same key, same tracking code, a draft submitted
            # meanwhile) surfaces in one place, below, whichever statement would have hit it.
            with db.session.no_autoflush:
                request = _write(filing, revision)
            db.session.commit()
            return request
        except (IntegrityError, StaleDataError):
            db.session.rollback()
            if filing.draft is not None:
                # The rollback let go of the draft's row: take it again before deciding, so the status read below
                # is the one a concurrent submit committed, and the retry holds the row as the first try did.
                _lock(filing.draft)
            replay = _replay(filing)
            if replay is not None:  # the same form arrived twice at once; the other one won
                discard(staged)
                return replay
            if filing.draft is not None and filing.draft.status != "draft":
                raise FilingError(_("این پیش‌نویس قبلاً فرستاده شده است.")) from None
            # otherwise the random tracking code collided: draw another one
    raise FilingError(_("ثبت درخواست ممکن نشد. دوباره تلاش کنید."))


def _lock(draft: Request) -> None:
    """Hold the draft's row until the transaction ends and read it afresh: on PostgreSQL a second submit waits
    here (SELECT … FOR UPDATE) and then finds the draft submitted. SQLite has no row locks and ignores FOR
    UPDATE; there, and as a second guard on PostgreSQL, the version column (Request.version) makes the second
    commit fail with StaleDataError."""
    db.session.execute(
        db.select(Request).where(Request.id == draft.id).with_for_update().execution_options(populate_existing=True)
    )


def _replay(filing: Filing) -> Request | None:
    """The request already filed with this filing's idempotency key, if any; someone else's is refused."""
    replay = existing_for_key(filing.idempotency_key)
    if replay is not None and replay.applicant_id != filing.applicant.id:
        raise FilingError(_("این فرم قبلاً برای شخص دیگری فرستاده شده است. صفحه را دوباره باز کنید."))
    return replay


def _write(filing, revision):
    """The request, its first event, its payments and the SMS with the tracking code, all in one session."""
    request = filing.draft or Request(public_id=new_public_id(), status="draft")
    request.tracking_code = new_tracking_code()
    request.idempotency_key = filing.idempotency_key
    request.service = filing.service
    request.revision = revision
    request.form_version = revision.form_version
    request.agency_id = filing.service.agency_id
    request.applicant = filing.applicant
    request.channel = filing.channel
    request.office = filing.office
    request.filed_by = filing.actor if filing.channel == "counter" else None
    request.consent_method, request.consent_reference = filing.consent_method, filing.consent_reference
    request.consent_at = filing.consent_at
    request.answers = filing.answers
    db.session.add(request)
    workflow.record_submission(request, filing.actor or filing.applicant, attachments=filing.attachments)
    for payment in filing.payments:
        payment.request = request
        db.session.add(payment)
    inquiries.start_for(request)  # the card's inquiries to other agencies, queued with the filing
    if filing.also is not None:
        filing.also(request)
    if filing.applicant.mobile:
        sms.send(
            filing.applicant.mobile,
            local_digits(
                _(
                    "پنجره: درخواست «%(title)s» ثبت شد. کد رهگیری: %(code)s",
                    title=filing.service.title,
                    code=format_tracking_code(request.tracking_code),
                )
            ),
            purpose="tracking",
        )
    return request


def _check_fileable(filing):
    service = filing.service
    revision = service.current_revision
    if not service.is_active or revision is None:
        raise FilingError(_("این خدمت اکنون پذیرش درخواست ندارد."))
    if filing.channel == "counter":
        if filing.office is None or not service_fileable_at(service, filing.office):
            raise FilingError(_("این خدمت در این دفتر پیشخوان قابل ثبت نیست."))
    if filing.draft is not None and filing.draft.status != "draft":
        raise FilingError(_("این پیش‌نویس قبلاً فرستاده شده است."))
    return revision


def save_draft(
    service: Service,
    applicant: User,
    answers: dict,
    draft: Request | None = None,
    files: Sequence[Attachment] = (),
    key: str | None = None,
) -> Request:
    """Create or update the applicant's draft; drafts have no tracking code and only their owner sees them.

    A draft keeps what was typed as typed (raw form values); only submission turns answers canonical. A new draft
    keeps the form page's idempotency key, so the same form sent twice (draft_for_key) updates one draft; filing
    gives the request the check page's own key."""
    if draft is None:
        revision = service.current_revision
        if revision is None:
            raise FilingError(_("این خدمت اکنون پذیرش درخواست ندارد."))
        draft = Request(
            public_id=new_public_id(),
            status="draft",
            service=service,
            revision=revision,
            agency_id=service.agency_id,
            applicant=applicant,
            form_version=revision.form_version,
            idempotency_key=key or None,
        )
        db.session.add(draft)
    elif draft.status != "draft":
        raise FilingError(_("این درخواست دیگر پیش‌نویس نیست."))
    # A file chosen again for a field replaces the one the draft kept for it (one file per field). Read before the
    # draft changes: loading its files must not flush the change outside the commit below that catches a clash.
    replaced_fields = {a.field_name for a in files if a.field_name}
    replaced = [a for a in draft.attachments if a.field_name in replaced_fields] if draft.id is not None else []
    draft.answers = answers
    for attachment in replaced:
        draft.attachments.remove(attachment)
        db.session.delete(attachment)
    for attachment in files:
        attachment.request = draft
        db.session.add(attachment)
    try:
        db.session.commit()
    except (StaleDataError, IntegrityError):  # submitted or saved from another tab meanwhile, or the same form
        # created its draft at the same moment: do not overwrite what it wrote
        db.session.rollback()
        raise FilingError(str(workflow.CHANGED)) from None
    discard(replaced)  # their rows are gone for good: now the files may go too
    return draft


def draft_for_key(key: str | None, applicant: User, service: Service) -> Request | None:
    """The applicant's draft of this service that a form with this idempotency key already created, if any."""
    found = filed_before(key, applicant)
    return found if found is not None and found.status == "draft" and found.service_id == service.id else None


def remove_draft_file(draft: Request, public_id: str) -> Attachment | None:
    """Take one file off the applicant's draft (row, then stored file); None when the draft has no such file."""
    if draft.status != "draft":
        raise FilingError(_("این درخواست دیگر پیش‌نویس نیست."))
    attachment = next((a for a in draft.attachments if a.public_id == public_id), None)
    if attachment is None:
        return None
    draft.attachments.remove(attachment)
    db.session.delete(attachment)
    draft.updated_at = utcnow()  # versions the draft row, so a send from another tab meanwhile wins cleanly
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise FilingError(str(workflow.CHANGED)) from None
    discard([attachment])
    return attachment


def draft_bytes(draft: Request) -> int:
    """What the draft's files weigh together (the request's total limit counts them)."""
    return sum(a.size for a in draft.attachments)
