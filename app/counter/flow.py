"""A counter filing as rule steps that any channel calls (the counter pages today, the API next): pick a service
the office may file, identify the citizen, take their consent, stage the form's scans, take the fees, file.

What earlier steps settled is a plain dict (`CounterFiling.state`) that the channel carries between steps (the
pages sign it into a hidden field). Every refusal is one CounterError with the message, the field it belongs next
to and the step the filing goes back to; whatever the refused step wrote is rolled back and its staged files
removed, so a channel only shows the error.
"""

import os
import re
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property

from flask_babel import gettext as _
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from werkzeug.datastructures import FileStorage

from app.adapters import ownership
from app.core.errors import RuleError
from app.core.identifiers import InvalidIdentifier, clean_mobile, clean_national_code
from app.core.persian import fold_digits, local_number, normalize, normalize_for_search
from app.counter import consent, fees, ledger
from app.extensions import db
from app.models import Attachment, Office, OtpChallenge, Request, Role, Service, User, new_public_id
from app.people import citizens, data_access
from app.permissions import service_fileable_at, services_fileable_at
from app.requests import attachments
from app.requests.filing import Filing, FilingError, existing_for_key, file_request
from app.requests.formdefs import Applicant, definition_for, file_fields

# Where a refused step sends the filing back to.
HOME, IDENTIFY, CONSENT, FORM, FEES = "home", "identify", "consent", "form", "fees"
CONSENT_METHODS = ("otp", "paper")
# How long a step's state stays usable after it was shown; an abandoned filing cannot be finished the next morning.
STEP_LIFETIME = timedelta(hours=3)
# Stored files are named by 16 random bytes in hex (attachments.store, _materialise); nothing else is touched.
STORAGE_NAME = re.compile(r"[0-9a-f]{32}")


class CounterError(RuleError):
    """A counter step refused; `step` is where the filing goes back to, `field_errors` the form's own answers'.
    `status` is set when nothing typed is wrong and the same step can simply be tried again later (503)."""

    def __init__(
        self,
        message: str,
        field: str | None = None,
        step: str = FEES,
        field_errors: dict[str, list[str]] | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message, field)
        self.step = step
        self.field_errors = field_errors or {}
        self.status = status


@dataclass
class CounterFiling:
    """One filing in progress: the service, the office and clerk filing it, and what the steps have settled."""

    service: Service
    office: Office
    clerk: User
    state: dict

    @cached_property
    def definition(self) -> list[dict]:
        # Once per page: every step reads it several times, and each read would ask for the card's inquiries again.
        return definition_for(self.service.current_revision)

    @cached_property
    def fees_due(self) -> fees.Fees:
        # Once per page too: the page shows them, and the submission checks them against those the clerk was shown.
        return fees.fees_for(self.service, self.office)


# --- step 1: the service --------------------------------------------------------------------------------


def find_services(office: Office, query: str) -> list[Service]:
    """Services fileable here matching a code prefix or every word of the query, most requested first.

    The list is one office's outsourced services (tens to a few hundred), so words are matched in Python with
    the same normalisation as the catalogue search (ي/ی, ZWNJ, diacritics)."""
    select = (
        services_fileable_at(office)
        .options(joinedload(Service.agency), joinedload(Service.current_revision))
        .order_by(Service.yearly_volume.desc(), Service.code)
    )
    digits = fold_digits(query).replace(" ", "")
    if digits.isdigit():
        select = select.where(Service.code.startswith(digits))
    services = db.session.execute(select).unique().scalars().all()
    words = [] if digits.isdigit() else query.split()
    if words:
        services = [s for s in services if all(w in normalize_for_search(f"{s.title} {s.agency.name}") for w in words)]
    return list(services)


def fileable_service(code: str, office: Office) -> Service | None:
    """The active, published service if this office may file it. One lean query: every step of every filing
    runs it, and the card's clusters and provinces (which catalogue.service_by_code loads) are not needed here."""
    service = (
        db.session.execute(
            db.select(Service)
            .options(joinedload(Service.agency), joinedload(Service.current_revision))
            .where(Service.code == code, Service.is_active, Service.current_revision_id.is_not(None))
        )
        .unique()
        .scalar_one_or_none()
    )
    if service is None or not service_fileable_at(service, office):
        return None
    return service


def check_open(office: Office) -> None:
    """No filing starts or goes on at an office whose day is closed (the ledger's flush hook is the last word)."""
    if ledger.is_closed(office):
        raise CounterError(str(ledger.CLOSED_MESSAGE), step=HOME)


def begin(service: Service, office: Office, clerk: User) -> CounterFiling:
    """A fresh filing; its idempotency key is made now, when the filing is first shown."""
    check_open(office)
    state = {
        "v": 1,
        "key": secrets.token_urlsafe(24),
        "service": service.code,
        "office": office.code,
        "clerk": clerk.public_id,
        "citizen": {},
        "consent": {},
        "challenge": "",
        "answers": None,
        "files": [],
    }
    return CounterFiling(service, office, clerk, state)


# --- step 2: the citizen and their consent --------------------------------------------------------------


def check_citizen(national_code: str, full_name: str, mobile: str) -> dict:
    """The citizen's details in canonical form, or a CounterError next to the first one that is wrong."""
    try:
        code = clean_national_code(national_code)
    except InvalidIdentifier as error:
        raise CounterError(error.message, "national_code", IDENTIFY) from None
    name = normalize(full_name or "").strip()
    if not name:
        raise CounterError(_("نام متقاضی را وارد کنید."), "full_name", IDENTIFY)
    if not 2 <= len(name) <= 200:
        raise CounterError(_("نام باید ۲ تا ۲۰۰ نویسه باشد."), "full_name", IDENTIFY)
    try:
        number = clean_mobile(mobile)
    except InvalidIdentifier as error:
        raise CounterError(error.message, "mobile", IDENTIFY) from None
    return {"national_code": code, "full_name": name, "mobile": number}


def check_ownership(citizen: dict) -> None:
    """The ownership step online sign-in takes too (ownership.confirm_owner): the consent code and a new account's
    status SMS go to this number. A CounterError next to the mobile otherwise; 503 when the registry cannot answer
    (the check fails closed)."""
    try:
        ownership.confirm_owner(citizen["national_code"], citizen["mobile"])
    except ownership.OwnershipRefused as error:
        status = error.status if error.status == 503 else None  # a denied pair is wrong input: the step's 400
        raise CounterError(error.message, error.field, IDENTIFY, status=status) from None


def stored_mobile(filing: CounterFiling) -> str | None:
    """The mobile the request's status SMS will go to when it is not the one typed: the citizen already has an
    account with another number, which filing keeps (citizens.find_or_create never overwrites it; changing it is
    the citizen's own flow). None when they go to the number typed, or nobody is identified yet."""
    citizen = filing.state["citizen"]
    if not citizen:
        return None
    stored = db.session.execute(
        db.select(User.mobile).filter_by(national_code=citizen["national_code"], role=Role.CITIZEN)
    ).scalar_one_or_none()
    return stored if stored and stored != citizen["mobile"] else None


def _note_identified(filing: CounterFiling, citizen: dict) -> None:
    """The registry confirmed the citizen to this clerk: an entry in their data-access log naming the office,
    committed at once (the registry was asked, whatever the later steps make of it)."""
    data_access.record(
        national_code=citizen["national_code"],
        purpose=data_access.COUNTER_IDENTIFY,
        data_kind="identity",
        office=filing.office,
        official=filing.clerk,
        legal_basis="consent",
    )
    db.session.commit()


def identify(
    filing: CounterFiling,
    national_code: str,
    full_name: str,
    mobile: str,
    consent_method: str,
    paper_number: str = "",
) -> OtpChallenge | None:
    """Record who the request is for and how they consent. Returns the code just sent when the citizen must read
    it out now; None when consent is settled (a paper form, a code already verified for this very person in this
    filing, or one they read out to this clerk earlier in the same visit: consent.visit_consent).
    The registry is asked last, once everything typed is well formed; a refused step changes nothing."""
    citizen = check_citizen(national_code, full_name, mobile)
    if consent_method not in CONSENT_METHODS:
        raise CounterError(_("شیوهٔ رضایت را انتخاب کنید."), "consent_method", IDENTIFY)
    state = filing.state
    if consent_method == "paper":
        try:
            given = consent.by_paper(paper_number)
        except consent.ConsentError as error:
            raise CounterError(error.message, error.field, IDENTIFY) from None
        check_ownership(citizen)
        _note_identified(filing, citizen)
        state.update(citizen=citizen, consent=given, challenge="")
        return None
    check_ownership(citizen)
    _note_identified(filing, citizen)
    same_person = citizen == state["citizen"]
    state["citizen"] = citizen
    if same_person and state["consent"].get("method") == "otp":
        return None
    earlier = consent.visit_consent(filing.office, filing.clerk, citizen["national_code"], citizen["mobile"])
    if earlier is not None:  # a second errand of the same visit: no new code, the one verified covers it
        state.update(consent=consent.by_visit(earlier), challenge="")
        return None
    state.update(consent={}, challenge="")
    try:
        challenge = consent.send(
            filing.service, filing.office, filing.clerk, citizen["national_code"], citizen["mobile"]
        )
    except consent.ConsentError as error:
        raise CounterError(error.message, error.field, IDENTIFY) from None
    state["challenge"] = challenge.public_id
    return challenge


def consent_from_visit(filing: CounterFiling) -> datetime | None:
    """When the code covering this filing was verified, if it was for an earlier filing of the same visit."""
    given = filing.state["consent"]
    return consent.given_at(given) if given.get("visit") else None


def consent_challenge(filing: CounterFiling) -> OtpChallenge | None:
    """The consent code sent for this filing to the citizen it names, if one was sent."""
    citizen = filing.state["citizen"] or {}
    return consent.challenge_for(
        filing.state.get("challenge"), citizen.get("national_code", ""), citizen.get("mobile", "")
    )


def sent_challenge(filing: CounterFiling) -> OtpChallenge:
    """The consent code sent for this filing; a CounterError back to the citizen's step when none was."""
    challenge = consent_challenge(filing)
    if challenge is None:
        raise CounterError(
            _("کد رضایتی برای این متقاضی فرستاده نشده است؛ دوباره «ادامه» را بزنید تا کد فرستاده شود."), step=IDENTIFY
        )
    return challenge


def resend_consent_code(filing: CounterFiling) -> OtpChallenge:
    """A fresh consent code to the same citizen."""
    try:
        challenge = consent.resend(sent_challenge(filing), filing.service, filing.office, filing.clerk)
    except consent.ConsentError as error:
        raise CounterError(error.message, error.field, CONSENT) from None
    filing.state["challenge"] = challenge.public_id
    return challenge


def give_consent(filing: CounterFiling, code: str) -> None:
    """The citizen read out the code sent to them: consent is recorded for this filing."""
    challenge = sent_challenge(filing)
    try:
        filing.state["consent"] = consent.by_code(challenge, code, filing.office, filing.clerk)
    except consent.ConsentError as error:
        raise CounterError(error.message, error.field, CONSENT) from None


# --- step 3: the service's form and its scans -----------------------------------------------------------


def applicant(filing: CounterFiling) -> Applicant:
    """The identified citizen as the form's fields that are the applicant's own see them (formdefs.build_form):
    the national code, name and mobile the clerk identified, never typed a second time."""
    return Applicant.of(filing.state["citizen"] or {}, source="counter")


def _require_consent(filing: CounterFiling) -> None:
    if not filing.state["consent"]:
        raise CounterError(_("پیش از فرم، رضایت متقاضی را ثبت کنید."), step=IDENTIFY)


def _unlink(storage_name: str) -> None:
    try:
        (attachments.folder() / storage_name).unlink()
    except FileNotFoundError:
        pass


def take_form(filing: CounterFiling, answers: dict, uploads: dict[str, FileStorage | None]) -> None:
    """Keep the form's answers and stage its scans under the upload folder: a scan chosen again replaces the one
    staged before; the filing links them under fresh names when it is submitted (see _materialise)."""
    _require_consent(filing)
    staged = filing.state["files"]
    for spec in file_fields(filing.definition):
        upload = uploads.get(spec["name"])
        if not isinstance(upload, FileStorage) or not upload.filename:
            continue  # nothing chosen for this field (what a page posts for an empty file input varies)
        try:
            row = attachments.store(upload, spec, field_name=spec["name"], uploaded_by=filing.clerk)
        except attachments.UploadError as error:
            raise CounterError(error.message, spec["name"], FORM) from None
        for old in [f for f in staged if f["field"] == spec["name"]]:
            _unlink(old["storage"])
            staged.remove(old)
        staged.append(
            {
                "field": spec["name"],
                "name": row.original_name,
                "type": row.content_type,
                "size": row.size,
                "sha256": row.sha256,
                "storage": row.storage_name,
            }
        )
    filing.state["answers"] = answers


def _materialise(filing: CounterFiling) -> list[Attachment]:
    """Attachment rows for the staged scans, each under a new name (a hard link to the staged file).

    Two submissions of the same page race for one idempotency key; the loser deletes its attachments' files.
    Fresh names make that deletion touch only the loser's own links, never the winner's files."""
    rows: list[Attachment] = []
    try:
        for f in filing.state["files"]:
            name = os.urandom(16).hex()
            os.link(attachments.folder() / f["storage"], attachments.folder() / name)
            rows.append(
                Attachment(
                    public_id=new_public_id(),
                    kind="applicant",
                    field_name=f["field"],
                    original_name=f["name"],
                    content_type=f["type"],
                    size=f["size"],
                    sha256=f["sha256"],
                    storage_name=name,
                    uploaded_by=filing.clerk,
                )
            )
    except FileNotFoundError:
        attachments.discard(rows)
        raise
    return rows


# --- steps 4 and 5: the fees, payment and filing ----------------------------------------------------------


def replayed(filing: CounterFiling) -> Request | None:
    """The request this very filing already created (a double submit, a resend), if any."""
    replay = existing_for_key(filing.state["key"])
    return replay if replay is not None and replay.office_id == filing.office.id else None


def submit(filing: CounterFiling, method: str, reference: str, fees_seen: str) -> Request:
    """File the request with its payments and scans, in one transaction through the one filing path.

    A second submission of the same filing returns the request the first one filed. The fees must be the ones the
    clerk was shown (`fees_seen` is their token). The citizen is found or created by national code (a stored
    mobile is never overwritten). Whatever fails is rolled back and the links made for it removed."""
    if not filing.state["consent"]:
        raise CounterError(_("پیش از ثبت، رضایت متقاضی را ثبت کنید."), step=IDENTIFY)
    if filing.state["answers"] is None:
        raise CounterError(_("پیش از ثبت، فرم خدمت را پر کنید."), step=FORM)
    replay = replayed(filing)
    if replay is not None:
        return replay
    taken = filing.fees_due
    if method not in fees.COUNTER_METHODS:
        raise CounterError(_("شیوهٔ پرداخت را انتخاب کنید."), "method")
    if method == "card" and taken.total:
        try:
            reference = fees.clean_card_reference(reference)
        except fees.FeeError as error:
            raise CounterError(error.message, error.field) from None
    else:
        reference = ""
    if fees_seen != taken.token:
        raise CounterError(_("هزینه‌های این خدمت همین حالا تغییر کرد؛ مبلغ تازه را ببینید و دوباره تأیید کنید."))

    citizen = filing.state["citizen"]
    try:
        applicant = citizens.find_or_create(citizen["national_code"], citizen["mobile"], citizen["full_name"])
    except citizens.CitizenError as error:
        db.session.rollback()
        raise CounterError(error.message, error.field, IDENTIFY) from None
    try:
        staged = _materialise(filing)
    except FileNotFoundError:
        db.session.rollback()
        replay = replayed(filing)  # the other submission of this page filed it and removed the staged scans
        if replay is not None:
            return replay
        filing.state["files"] = []
        raise CounterError(_("پیوست‌ها دیگر در دسترس نیستند؛ آن‌ها را دوباره پیوست کنید."), step=FORM) from None
    given = filing.state["consent"]
    try:
        filed = file_request(
            Filing(
                service=filing.service,
                applicant=applicant,
                answers=filing.state["answers"],
                channel="counter",
                actor=filing.clerk,
                office=filing.office,
                idempotency_key=filing.state["key"],
                attachments=staged,
                payments=fees.payments_for(taken, method, reference, filing.office, filing.clerk),
                consent_method=given["method"],
                consent_reference=given["reference"],
                consent_at=consent.given_at(given),
            )
        )
    except FilingError as error:
        db.session.rollback()
        attachments.discard(staged)
        # The card's form changed in between: back to the form with the reasons; anything else stays on the fees.
        step = FORM if error.field_errors else FEES
        raise CounterError(error.message, step=step, field_errors=error.field_errors) from None
    except ledger.DayClosed as error:
        db.session.rollback()
        attachments.discard(staged)
        raise CounterError(error.message, step=HOME) from None
    except IntegrityError:
        # Defensive: should the same page sent twice at once collide outside file_request's own retry (an
        # autoflush while it builds the request), the other submission has filed it.
        db.session.rollback()
        attachments.discard(staged)
        replay = replayed(filing)
        if replay is None:
            raise
        return replay
    # Links that a replay did not use were never committed (no extra query to find out).
    attachments.discard([a for a in staged if not sa_inspect(a).persistent])
    for f in filing.state["files"]:
        _unlink(f["storage"])
    return filed


# --- interrupted filings ------------------------------------------------------------------------------------


@dataclass
class Cleanup:
    removed: list[str]
    bytes: int


def remove_orphan_scans(older_than: timedelta = timedelta(hours=24), dry_run: bool = False) -> Cleanup:
    """Remove stored scans that no Attachment row references and that nothing touched for `older_than`.

    A counter filing stages its scans before the request exists; one abandoned (or a process killed mid-filing)
    leaves them behind. A file's age is its newest of modification and status change: linking a staged scan for a
    submission changes its status, so a scan being filed right now is never old. Younger than a step's lifetime
    is refused, so a filing that can still be submitted keeps its scans."""
    if older_than < STEP_LIFETIME:
        raise CounterError(
            _(
                "پیوست‌های کمتر از %(n)s ساعت پیش ممکن است هنوز در ثبتی باز به کار روند.",
                n=local_number(STEP_LIFETIME // timedelta(hours=1)),
            )
        )
    cutoff = time.time() - older_than.total_seconds()
    folder = attachments.folder()
    candidates = {}
    for entry in os.scandir(folder):
        if not (STORAGE_NAME.fullmatch(entry.name) and entry.is_file(follow_symlinks=False)):
            continue
        info = entry.stat(follow_symlinks=False)
        if max(info.st_mtime, info.st_ctime) < cutoff:
            candidates[entry.name] = info.st_size
    names = sorted(candidates)
    referenced: set[str] = set()
    for start in range(0, len(names), 500):
        chunk = names[start : start + 500]
        referenced.update(
            db.session.execute(db.select(Attachment.storage_name).where(Attachment.storage_name.in_(chunk))).scalars()
        )
    orphans = [name for name in names if name not in referenced]
    if not dry_run:
        for name in orphans:
            _unlink(name)
    return Cleanup(orphans, sum(candidates[name] for name in orphans))
