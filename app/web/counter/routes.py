"""Counter pages: pick a service, identify the citizen and record consent, fill the form, take the fees, file,
print the receipt; the office's requests; the day ledger and its close.

A filing's steps are real POST pages; what earlier steps settled travels in one signed hidden field (state.py).
Every step re-checks that the service is still fileable here; the filing path checks it once more.
"""

import os
import re
from dataclasses import dataclass
from datetime import timedelta

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.datastructures import CombinedMultiDict

from app.adapters import sms
from app.catalogue import queries as catalogue
from app.core.persian import fold_digits, normalize_for_search, parse_whole_number
from app.counter import ledger, receipts
from app.extensions import db
from app.models import Attachment, Office, OtpChallenge, Request, Role, Service, User, new_public_id, utcnow
from app.people import otp
from app.people.auth import role_required
from app.permissions import offices_visible_to, requests_visible_to, service_fileable_at, services_fileable_at
from app.requests import attachments, workflow
from app.requests.filing import Filing, FilingError, existing_for_key, file_request
from app.requests.formdefs import (
    answers_from,
    build_form,
    check_files,
    definition_for,
    display_answers,
    file_fields,
    raw_answers,
)
from app.web.counter import bp, state
from app.web.counter.forms import CloseDayForm, ConsentCodeForm, FeesForm, IdentifyForm, StepForm

COUNTER = (Role.CLERK, Role.OFFICE_MANAGER)
PAGE_SIZE = 50
PICK_LIMIT = 30


def _office():
    """The signed-in clerk's office; staff without one have no counter."""
    office = current_user.office
    if office is None:
        abort(404)
    return office


# --- step 1: pick the service ---------------------------------------------------------------------------


@bp.get("/")
@role_required(*COUNTER)
def home():
    office = _office()
    query = normalize_for_search(request.args.get("q", ""))[:100]
    services = _fileable(office, query)
    digits = fold_digits(query).replace(" ", "")
    exact = next((s for s in services if s.code == digits), None)
    if exact is not None and request.args.get("go", "1") != "0":
        return redirect(url_for(".start", code=exact.code))
    refused = None
    if digits.isdigit() and exact is None:
        # The code exists but is not fileable here: say so instead of "nothing found".
        refused = catalogue.service_by_code(digits)
    return render_template(
        "counter/pick.html",
        office=office,
        q=request.args.get("q", ""),
        services=services[:PICK_LIMIT],
        more=len(services) > PICK_LIMIT,
        refused=refused,
        counter_fees=ledger.counter_fees([s.id for s in services[:PICK_LIMIT]], office),
        closed=ledger.is_closed(office),
    )


def _fileable(office, query):
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
    return services


# --- the filing in progress ------------------------------------------------------------------------------


@dataclass
class Flow:
    service: object
    office: object
    state: dict

    @property
    def token(self):
        return state.dump(self.state)

    @property
    def definition(self):
        return definition_for(self.service.current_revision)


def _fileable_service(code, office):
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


@bp.get("/file/<code>")
@role_required(*COUNTER)
def start(code):
    office = _office()
    service = _fileable_service(code, office)
    if service is None:
        abort(404)
    if ledger.is_closed(office):
        flash(str(ledger.CLOSED_MESSAGE), "error")
        return redirect(url_for(".home"))
    flow = Flow(service, office, state.new(service, office, current_user))
    return _identify_page(flow, IdentifyForm(formdata=None))


def _load_flow(code, check_closed=True):
    """The service, office and state of a step's POST; anything stale or foreign goes back to a safe page.

    The submission skips the closed-day check: the ledger's flush hook refuses it in the same transaction."""
    office = _office()
    service = _fileable_service(code, office)
    if service is None:
        flash(_("این خدمت در این دفتر قابل ثبت نیست (واگذار نشده، تأیید نشده یا لغو شده است)."), "error")
        abort(redirect(url_for(".home")))
    current = state.load(request.form.get("state"), service, office, current_user)
    if current is None:
        flash(_("این صفحه کهنه شده است؛ ثبت را از نو شروع کنید."), "error")
        abort(redirect(url_for(".start", code=service.code)))
    if check_closed and ledger.is_closed(office):
        flash(str(ledger.CLOSED_MESSAGE), "error")
        abort(redirect(url_for(".home")))
    return Flow(service, office, current)


def _page(template, flow, status=200, **context):
    return render_template(
        template,
        flow=flow,
        service=flow.service,
        office=flow.office,
        fees=ledger.fees_for(flow.service, flow.office),
        **context,
    ), status


def _identify_page(flow, form, status=200):
    _autofocus(form)
    return _page("counter/identify.html", flow, status, form=form)


def _consent_page(flow, form, challenge, status=200):
    _autofocus(form)
    return _page(
        "counter/consent.html",
        flow,
        status,
        form=form,
        challenge=challenge,
        wait=otp.seconds_until_resend(challenge),
        simulator=sms.is_simulator(),
    )


def _form_page(flow, dform, status=200):
    _autofocus(dform)
    staged = {f["field"]: f["name"] for f in flow.state["files"]}
    return _page("counter/form.html", flow, status, dform=dform, controls=StepForm(formdata=None), staged=staged)


def _fees_page(flow, form, status=200):
    _autofocus(form)
    fees = ledger.fees_for(flow.service, flow.office)
    form.fees_seen.data = fees.token
    answers = display_answers(flow.definition, flow.state["answers"] or {})
    return _page("counter/fees.html", flow, status, form=form, answers=answers, method_label=ledger.method_label)


def _autofocus(form):
    """Focus lands on the first field in error, else on the first field: the clerk types at once (no JS needed)."""
    fields = [f for f in form if f.type not in ("CSRFTokenField", "HiddenField")]
    target = next((f for f in fields if f.errors), fields[0] if fields else None)
    if target is not None and target.type != "RadioField":
        target.render_kw = {**(target.render_kw or {}), "autofocus": True}


# --- step 2: the citizen and their consent --------------------------------------------------------------


@bp.post("/file/<code>/citizen")
@role_required(*COUNTER)
def identify(code):
    flow = _load_flow(code)
    if request.form.get("nav") == "show":  # back from a later step: what was entered, as entered
        if flow.state["answers"] is None and any(spec["name"] in request.form for spec in flow.definition):
            # Back from the form page before it was sent: keep what was typed there for the way forward.
            typed = raw_answers(build_form(flow.definition, formdata=request.form), flow.definition)
            flow.state["typed"] = typed
        consent = flow.state["consent"]
        data = {
            **flow.state["citizen"],
            "consent_method": consent.get("method", "otp"),
            "paper_number": consent.get("reference", "") if consent.get("method") == "paper" else "",
        }
        return _identify_page(flow, IdentifyForm(formdata=None, data=data))
    form = IdentifyForm()
    if not form.validate():
        return _identify_page(flow, form, 400)
    citizen = {"national_code": form.national_code.data, "full_name": form.full_name.data, "mobile": form.mobile.data}
    same_person = citizen == flow.state["citizen"]
    flow.state["citizen"] = citizen
    if form.consent_method.data == "paper":
        flow.state.update(consent={"method": "paper", "reference": form.paper_number.data}, challenge="")
        return _form_page(flow, _prefilled_form(flow))
    if same_person and flow.state["consent"].get("method") == "otp":
        return _form_page(flow, _prefilled_form(flow))  # consent already verified for this very person
    flow.state["consent"] = {}
    try:
        challenge = _send_consent_code(flow)
    except otp.OtpError as error:
        form.mobile.errors.append(error.message)
        return _identify_page(flow, form, 400)
    flow.state["challenge"] = challenge.public_id
    return _consent_page(flow, ConsentCodeForm(formdata=None), challenge)


def _consent_text(flow):
    # otp.send_code() fills in %(code)s afterwards, so a literal % in a title must survive one more formatting.
    return _(
        "پنجره: کد رضایت برای ثبت درخواست «%(title)s» به نام شما در %(office)s: %%(code)s\n"
        "اگر خودتان در دفتر نیستید، این کد را به کسی ندهید.",
        title=flow.service.title.replace("%", "%%"),
        office=flow.office.name.replace("%", "%%"),
    )


def _send_consent_code(flow):
    """A code by SMS to the citizen's mobile; within a minute of the last one, that one is still valid."""
    citizen = flow.state["citizen"]
    try:
        challenge = otp.send_code(
            citizen["national_code"], citizen["mobile"], purpose="counter_consent", text=_consent_text(flow)
        )
        db.session.commit()
        return challenge
    except otp.OtpError:
        db.session.rollback()
        recent = db.session.execute(
            db.select(OtpChallenge)
            .filter_by(
                national_code=citizen["national_code"],
                mobile=citizen["mobile"],
                purpose="counter_consent",
                consumed_at=None,
            )
            .where(OtpChallenge.expires_at > utcnow())
            .order_by(OtpChallenge.sent_at.desc())
            .limit(1)
        ).scalar_one_or_none()
        if recent is None:
            raise
        return recent


def _challenge(flow):
    citizen = flow.state["citizen"]
    if not flow.state.get("challenge") or not citizen:
        return None
    return db.session.execute(
        db.select(OtpChallenge).filter_by(
            public_id=flow.state["challenge"],
            purpose="counter_consent",
            national_code=citizen["national_code"],
            mobile=citizen["mobile"],
        )
    ).scalar_one_or_none()


@bp.post("/file/<code>/consent")
@role_required(*COUNTER)
def consent(code):
    flow = _load_flow(code)
    challenge = _challenge(flow)
    if challenge is None:
        flash(_("کد رضایتی برای این متقاضی فرستاده نشده است؛ دوباره «ادامه» را بزنید تا کد فرستاده شود."), "error")
        return _identify_page(flow, IdentifyForm(formdata=None, data=flow.state["citizen"]), 400)
    if request.form.get("action") == "resend":
        form = ConsentCodeForm(formdata=None)
        try:
            challenge = otp.send_code(
                challenge.national_code, challenge.mobile, purpose="counter_consent", text=_consent_text(flow)
            )
            db.session.commit()
            flow.state["challenge"] = challenge.public_id
            flash(_("کد تازه پیامک شد."))
        except otp.OtpError as error:
            db.session.rollback()
            form.code.errors = [error.message]
            return _consent_page(flow, form, challenge, 400)
        return _consent_page(flow, form, challenge)
    form = ConsentCodeForm()
    if form.validate():
        try:
            otp.verify(challenge, form.code.data)
        except otp.OtpError as error:
            form.code.errors.append(error.message)
        else:
            db.session.commit()
            flow.state.update(consent={"method": "otp", "reference": challenge.public_id})
            return _form_page(flow, _prefilled_form(flow))
    return _consent_page(flow, form, challenge, 400)


# --- step 3: the service's own form and scans ------------------------------------------------------------


def _prefilled_form(flow):
    """The form as last sent (canonical answers), else as last typed before going back, else empty."""
    if flow.state["answers"]:
        return build_form(flow.definition, answers=flow.state["answers"])
    return build_form(flow.definition, answers=flow.state.get("typed") or None, raw=True)


@bp.post("/file/<code>/form")
@role_required(*COUNTER)
def fill(code):
    flow = _load_flow(code)
    if not flow.state["consent"]:
        return _identify_page(flow, IdentifyForm(formdata=None, data=flow.state["citizen"]), 400)
    if request.form.get("nav") == "show":
        return _form_page(flow, _prefilled_form(flow))
    definition = flow.definition
    dform = build_form(definition, formdata=CombinedMultiDict((request.files, request.form)))
    fields_ok = dform.validate()  # every check runs, so all problems show at once
    if not (_files_ok(flow, dform, definition) and fields_ok):
        return _form_page(flow, dform, 400)
    try:
        _stage_files(flow, dform, definition)
    except attachments.UploadError as error:
        flash(error.message, "error")
        return _form_page(flow, dform, 400)
    flow.state["answers"] = answers_from(dform, definition)
    return _fees_page(flow, FeesForm(formdata=None))


def _files_ok(flow, dform, definition):
    """Required scans are chosen now or were attached before going back; all of them stay under the limit."""
    staged = flow.state["files"]
    ok, total_error = check_files(
        dform, definition, attached={f["field"] for f in staged}, attached_bytes=sum(f["size"] for f in staged)
    )
    if total_error:
        flash(total_error, "error")
    return ok


def _stage_files(flow, dform, definition):
    """Write the chosen scans under instance/ now; the filing links them under fresh names (see _materialise)."""
    for spec in file_fields(definition):
        upload = dform[spec["name"]].data
        if not (upload and getattr(upload, "filename", "")):
            continue
        row = attachments.store(upload, spec, field_name=spec["name"], uploaded_by=current_user)
        for old in [f for f in flow.state["files"] if f["field"] == spec["name"]]:
            _unlink(old["storage"])  # replaced by the new scan
            flow.state["files"].remove(old)
        flow.state["files"].append(
            {
                "field": spec["name"],
                "name": row.original_name,
                "type": row.content_type,
                "size": row.size,
                "sha256": row.sha256,
                "storage": row.storage_name,
            }
        )


def _unlink(storage_name):
    try:
        (attachments.folder() / storage_name).unlink()
    except FileNotFoundError:
        pass


def _materialise(flow):
    """Attachment rows for the staged scans, each under a new name (a hard link to the staged file).

    Two submissions of the same page race for one idempotency key; the loser deletes its attachments' files.
    Fresh names make that deletion touch only the loser's own links, never the winner's files."""
    rows = []
    try:
        for f in flow.state["files"]:
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
                    uploaded_by=current_user,
                )
            )
    except FileNotFoundError:
        attachments.discard(rows)
        raise
    return rows


# --- steps 4 and 5: fees, payment and filing -------------------------------------------------------------


@bp.post("/file/<code>/submit")
@role_required(*COUNTER)
def submit(code):
    flow = _load_flow(code, check_closed=False)
    if not flow.state["consent"]:
        return _identify_page(flow, IdentifyForm(formdata=None, data=flow.state["citizen"]), 400)
    if flow.state["answers"] is None:
        return _form_page(flow, _prefilled_form(flow), 400)
    if request.form.get("nav") == "show":
        return _fees_page(flow, FeesForm(formdata=None))
    key = flow.state["key"]
    replay = existing_for_key(key)
    if replay is not None and replay.office_id == flow.office.id:  # a double submit: the first one filed it
        return redirect(url_for(".receipt", code=replay.tracking_code), 303)

    form = FeesForm()
    fees = ledger.fees_for(flow.service, flow.office)
    if not form.validate():
        return _fees_page(flow, form, 400)
    reference = ""
    if form.method.data == "card" and fees.total:
        try:
            reference = ledger.clean_card_reference(form.reference.data)
        except ledger.LedgerError as error:
            form.reference.errors = [error.message]
            return _fees_page(flow, form, 400)
    if form.fees_seen.data != fees.token:
        flash(_("هزینه‌های این خدمت همین حالا تغییر کرد؛ مبلغ تازه را ببینید و دوباره تأیید کنید."), "error")
        return _fees_page(flow, form, 400)

    applicant = _citizen(flow.state["citizen"])
    try:
        staged = _materialise(flow)
    except FileNotFoundError:
        replay = existing_for_key(key)
        if replay is not None:
            return redirect(url_for(".receipt", code=replay.tracking_code), 303)
        flow.state["files"] = []
        flash(_("پیوست‌ها دیگر در دسترس نیستند؛ آن‌ها را دوباره پیوست کنید."), "error")
        return _form_page(flow, _prefilled_form(flow), 400)
    consent_given = flow.state["consent"]
    try:
        filed = file_request(
            Filing(
                service=flow.service,
                applicant=applicant,
                answers=flow.state["answers"],
                channel="counter",
                actor=current_user,
                office=flow.office,
                idempotency_key=key,
                attachments=staged,
                payments=ledger.payments_for(fees, form.method.data, reference, flow.office, current_user),
                consent_method=consent_given["method"],
                consent_reference=consent_given["reference"],
            )
        )
    except FilingError as error:
        db.session.rollback()
        attachments.discard(staged)
        if error.field_errors:  # the card's form changed in between: back to the form with the reasons
            dform = _prefilled_form(flow)
            for name, messages in error.field_errors.items():
                if name in dform:
                    dform[name].errors = list(messages)
            flash(error.message, "error")
            return _form_page(flow, dform, 400)
        flash(error.message, "error")
        return _fees_page(flow, form, 400)
    except ledger.DayClosed as error:
        db.session.rollback()
        attachments.discard(staged)
        flash(error.message, "error")
        return redirect(url_for(".home"))
    except IntegrityError:
        # Defensive: should the same page sent twice at once collide outside file_request's own retry (an
        # autoflush while it builds the request), the other submission has filed it; show its receipt.
        db.session.rollback()
        attachments.discard(staged)
        replay = existing_for_key(key)
        if replay is None:
            raise
        return redirect(url_for(".receipt", code=replay.tracking_code), 303)
    # Links that a replay did not use were never committed (no extra query to find out).
    attachments.discard([a for a in staged if not sa_inspect(a).persistent])
    for f in flow.state["files"]:
        _unlink(f["storage"])
    return redirect(url_for(".receipt", code=filed.tracking_code), 303)


def _citizen(details):
    """The citizen with this national code, created on first visit in the filing's own transaction (flushed, not
    committed: one commit per filing). An existing account's name and mobile are not overwritten from the counter
    (the account holder keeps them current when signing in online)."""
    query = db.select(User).filter_by(national_code=details["national_code"])
    user = db.session.execute(query).scalar_one_or_none()
    if user is None:
        user = User(
            public_id=new_public_id(),
            role=Role.CITIZEN,
            national_code=details["national_code"],
            full_name=details["full_name"],
            mobile=details["mobile"],
        )
        db.session.add(user)
        try:
            db.session.flush()
        except IntegrityError:  # registered a moment ago by another counter, or by this page's double submit
            db.session.rollback()
            user = db.session.execute(query).scalar_one()
    elif user.role != Role.CITIZEN:
        abort(400)
    else:
        user.full_name = user.full_name or details["full_name"]
        user.mobile = user.mobile or details["mobile"]
    return user


# --- step 6: the receipt ---------------------------------------------------------------------------------


@bp.get("/requests/<code>/receipt")
@role_required(*COUNTER)
def receipt(code):
    # Scoped like request_for(), with everything the receipt prints loaded in two queries.
    found = (
        db.session.execute(
            requests_visible_to(current_user)
            .options(
                joinedload(Request.service),
                joinedload(Request.agency),
                joinedload(Request.office),
                joinedload(Request.applicant),
                joinedload(Request.filed_by),
                selectinload(Request.payments),
            )
            .where(Request.tracking_code == code, Request.channel == "counter")
        )
        .unique()
        .scalar_one_or_none()
    )
    if found is None:
        abort(404)
    paper = "80" if request.args.get("paper") == "80" else "a5"
    url = receipts.tracking_url(found.tracking_code)
    payments = {p.kind: p for p in found.payments}
    method = next(iter(payments.values()), None)
    return render_template(
        "counter/receipt.html",
        req=found,
        paper=paper,
        url=url,
        qr=receipts.qr_svg(url),
        payments=payments,
        payment=method,
        total=sum(p.amount_rial for p in found.payments),
        method_label=ledger.method_label,
        masked=receipts.mask_national_code,
    )


# --- the office's requests -------------------------------------------------------------------------------


@bp.get("/requests")
@role_required(*COUNTER)
def requests_list():
    office = _office()
    query = (
        requests_visible_to(current_user)
        .where(Request.channel == "counter")
        .options(
            joinedload(Request.service),
            joinedload(Request.applicant),
            joinedload(Request.filed_by),
            selectinload(Request.payments),
        )
    )
    day_text = request.args.get("day", "").strip()
    code_text = request.args.get("code", "").strip()
    error = None
    day = None
    if day_text:
        try:
            day = ledger.parse_day(day_text)
        except ValueError as problem:
            error = str(problem.args[0])
    if day is not None:
        start, end = ledger.day_bounds(day)
        query = query.where(Request.submitted_at >= start, Request.submitted_at < end)
    code_digits = re.sub(r"\D", "", fold_digits(code_text))
    if code_text:
        query = query.where(Request.tracking_code == code_digits)
    page = max(request.args.get("page", 1, type=int), 1)
    rows = (
        db.session.execute(
            query.order_by(Request.submitted_at.desc(), Request.id.desc())
            .limit(PAGE_SIZE + 1)
            .offset((page - 1) * PAGE_SIZE)
        )
        .unique()
        .scalars()
        .all()
    )
    return render_template(
        "counter/requests.html",
        office=office,
        requests=rows[:PAGE_SIZE],
        has_more=len(rows) > PAGE_SIZE,
        page=page,
        day_text=day_text,
        code_text=code_text,
        error=error,
        labels=workflow.STATUS_LABELS,
    ), 400 if error else 200


# --- the day ledger --------------------------------------------------------------------------------------


def _visible_office(office_code):
    office = db.session.execute(offices_visible_to(current_user).where(Office.code == office_code)).scalar_one_or_none()
    if office is None:
        abort(404)
    return office


@bp.get("/ledger")
@role_required(*COUNTER)
def ledger_today():
    return redirect(url_for(".day_ledger", office_code=_office().code))


def _day_from(values):
    text = (values.get("day") or "").strip()
    if not text:
        return ledger.tehran_today(), None
    try:
        return ledger.parse_day(text), None
    except ValueError as problem:
        return ledger.tehran_today(), str(problem.args[0])


def _ledger_page(office, day, form, status=200, confirm=False, day_error=None):
    book = ledger.day_ledger(office, day)
    counted = _rial(form.counted_cash.data)
    return render_template(
        "counter/ledger.html",
        office=office,
        book=book,
        form=form,
        confirm=confirm,
        day_error=day_error,
        counted=counted,
        today=ledger.tehran_today(),
        day_param=ledger.day_param,
        month_param=ledger.month_param,
        timedelta=timedelta,
        can_close=current_user.role == Role.OFFICE_MANAGER,
    ), status


def _rial(text):
    return parse_whole_number(text, max_digits=16)


@bp.get("/offices/<office_code>/ledger")
@role_required(*COUNTER)
def day_ledger(office_code):
    office = _visible_office(office_code)
    day, error = _day_from(request.args)
    return _ledger_page(office, day, CloseDayForm(formdata=None), status=400 if error else 200, day_error=error)


@bp.post("/offices/<office_code>/ledger/close")
@role_required(Role.OFFICE_MANAGER)
def close_day(office_code):
    office = _visible_office(office_code)
    day, error = _day_from(request.form)
    if error:
        abort(400)
    form = CloseDayForm()
    if not form.validate():
        return _ledger_page(office, day, form, 400)
    if ledger.is_closed(office, day):
        flash(_("این روز قبلاً بسته شده است و تغییر نمی‌کند."), "error")
        return redirect(url_for(".day_ledger", office_code=office.code, day=ledger.day_param(day)))
    counted = _rial(form.counted_cash.data)
    book = ledger.day_ledger(office, day)
    if counted != book.expected_cash and not (form.note.data or "").strip():
        form.note.errors = [_("نقد شمرده‌شده با دفتر فرق دارد؛ علت اختلاف را در یادداشت بنویسید.")]
        return _ledger_page(office, day, form, 400)
    if form.confirm.data != "yes":  # closing is final: show what will be recorded and ask once more
        return _ledger_page(office, day, form, confirm=True)
    try:
        ledger.close_day(office, day, counted, form.note.data, current_user)
    except ledger.LedgerError as problem:
        if problem.field in ("counted_cash", "note"):
            form[problem.field].errors = [problem.message]
            return _ledger_page(office, day, form, 400)
        flash(problem.message, "error")
        return redirect(url_for(".day_ledger", office_code=office.code, day=ledger.day_param(day)))
    flash(_("روز بسته شد. ارقام بسته‌شده دیگر تغییر نمی‌کنند."))
    return redirect(url_for(".day_ledger", office_code=office.code, day=ledger.day_param(day)))


def _csv_response(text, filename):
    return Response(
        text,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )


@bp.get("/offices/<office_code>/ledger.csv")
@role_required(*COUNTER)
def day_csv(office_code):
    office = _visible_office(office_code)
    day, error = _day_from(request.args)
    if error:
        abort(400)
    return _csv_response(ledger.day_csv(office, day), f"ledger-{office.code}-{ledger.day_param(day)}.csv")


@bp.get("/offices/<office_code>/ledger/month.csv")
@role_required(*COUNTER)
def month_csv(office_code):
    office = _visible_office(office_code)
    text = request.args.get("month") or ledger.month_param(ledger.tehran_today())
    try:
        first, last = ledger.parse_month(text)
    except ValueError:
        abort(400)
    return _csv_response(ledger.month_csv(office, first, last), f"ledger-{office.code}-{ledger.month_param(first)}.csv")
