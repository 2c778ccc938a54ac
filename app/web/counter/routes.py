"""Counter pages: pick a service, identify the citizen and record consent, fill the form, take the fees, file,
print the receipt; the office's requests; the day ledger and its close.

A filing's steps are real POST pages; what earlier steps settled travels in one signed hidden field (state.py).
Every step re-checks that the service is still fileable here; the filing path checks it once more.
"""

import re
from datetime import timedelta

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import CombinedMultiDict

from app.adapters import sms
from app.catalogue import queries as catalogue
from app.core import kept_forms
from app.core.persian import fold_digits, normalize_for_search, parse_whole_number
from app.counter import fees, flow, ledger, receipts
from app.extensions import db
from app.models import Office, Role
from app.people import otp
from app.people.auth import role_required
from app.people.mobile import masked as masked_mobile
from app.permissions import (
    can_close_day,
    offices_visible_to,
)
from app.requests import workflow
from app.requests.formdefs import (
    answers_from,
    build_form,
    check_files,
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
    services = flow.find_services(office, query)
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
        counter_fees=fees.counter_fees([s.id for s in services[:PICK_LIMIT]], office),
        closed=ledger.is_closed(office),
    )


# --- the filing in progress ------------------------------------------------------------------------------


class Flow(flow.CounterFiling):
    """A filing in progress on these pages: its state travels signed in a hidden field (state.py)."""

    @property
    def token(self):
        return state.dump(self.state)


def _clerk():
    return current_user._get_current_object()


@bp.get("/file/<code>")
@role_required(*COUNTER)
def start(code):
    office = _office()
    service = flow.fileable_service(code, office)
    if service is None:
        abort(404)
    try:
        begun = flow.begin(service, office, _clerk())
    except flow.CounterError as error:
        return _back(None, error)
    return _identify_page(Flow(service, office, begun.clerk, begun.state), IdentifyForm(formdata=None))


def _load_flow(code, check_closed=True):
    """The service, office and state of a step's POST; anything stale or foreign goes back to a safe page.

    The submission skips the closed-day check: the ledger's flush hook refuses it in the same transaction."""
    office = _office()
    service = flow.fileable_service(code, office)
    if service is None:
        flash(_("این خدمت در این دفتر قابل ثبت نیست (واگذار نشده، تأیید نشده یا لغو شده است)."), "error")
        abort(redirect(url_for(".home")))
    current = state.load(request.form.get("state"), service, office, current_user)
    if current is None:
        flash(_("این صفحه کهنه شده است؛ ثبت را از نو شروع کنید."), "error")
        abort(redirect(url_for(".start", code=service.code)))
    if check_closed:
        try:
            flow.check_open(office)
        except flow.CounterError as error:
            abort(_back(None, error))
    return Flow(service, office, _clerk(), current)


def _back(filing, error, form=None):
    """The step a refused rule sent the filing back to, with the message next to its field (else at the top)."""
    if error.step == flow.HOME:
        flash(error.message, "error")
        return redirect(url_for(".home"))
    if error.step == flow.IDENTIFY:
        if not isinstance(form, IdentifyForm):
            form = _identify_form(filing)
        _show(form, error)
        return _identify_page(filing, form, error.status or 400)  # 503: the registry could not answer
    if error.step == flow.CONSENT:
        if not isinstance(form, ConsentCodeForm):
            form = ConsentCodeForm(formdata=None)
        _show(form, error)
        return _consent_page(filing, form, flow.consent_challenge(filing), 400)
    if error.step == flow.FORM:
        if form is None or isinstance(form, StepForm):
            form = _prefilled_form(filing)
        for name, messages in error.field_errors.items():
            if name in form:
                form[name].errors = list(messages)
        _show(form, error)
        return _form_page(filing, form, 400)
    if not isinstance(form, FeesForm):
        form = FeesForm(formdata=None)
    _show(form, error)
    return _fees_page(filing, form, 400)


def _show(form, error):
    """Next to the field the rule named when this page has it; otherwise at the top of the page."""
    if error.field and error.field in form:
        form[error.field].errors = list(form[error.field].errors or []) + [error.message]
    else:
        flash(error.message, "error")


def _page(template, filing, status=200, **context):
    return render_template(
        template,
        flow=filing,
        service=filing.service,
        office=filing.office,
        fees=filing.fees_due,
        **context,
    ), status


def _identify_page(filing, form, status=200):
    _autofocus(form)
    return _page("counter/identify.html", filing, status, form=form)


def _consent_page(filing, form, challenge, status=200):
    _autofocus(form)
    return _page(
        "counter/consent.html",
        filing,
        status,
        form=form,
        challenge=challenge,
        wait=otp.seconds_until_resend(challenge),
        simulator=sms.is_simulator(),
    )


def _form_page(filing, dform, status=200):
    _autofocus(dform)
    staged = {f["field"]: f["name"] for f in filing.state["files"]}
    return _page(
        "counter/form.html",
        filing,
        status,
        dform=dform,
        controls=StepForm(formdata=None),
        staged=staged,
        sms_to=_sms_to(filing),
        visit_consent_at=flow.consent_from_visit(filing),
    )


def _fees_page(filing, form, status=200):
    _autofocus(form)
    form.fees_seen.data = filing.fees_due.token
    answers = display_answers(filing.definition, filing.state["answers"] or {})
    return _page(
        "counter/fees.html",
        filing,
        status,
        form=form,
        answers=answers,
        method_label=ledger.method_label,
        sms_to=_sms_to(filing),
    )


def _sms_to(filing):
    """The existing account's own number, masked, when status SMS go there rather than to the number typed."""
    stored = flow.stored_mobile(filing)
    return masked_mobile(stored) if stored else ""


def _autofocus(form):
    """Focus lands on the first field in error, else on the first field: the clerk types at once (no JS needed)."""
    fields = [f for f in form if f.type not in ("CSRFTokenField", "HiddenField") and not getattr(f, "prefilled", "")]
    target = next((f for f in fields if f.errors), fields[0] if fields else None)
    if target is not None and target.type != "RadioField":
        target.render_kw = {**(target.render_kw or {}), "autofocus": True}


# --- step 2: the citizen and their consent --------------------------------------------------------------


def _identify_form(filing):
    """The citizen's step as last sent: who, and how they consented."""
    given = filing.state["consent"]
    data = {
        **filing.state["citizen"],
        "consent_method": given.get("method", "otp"),
        "paper_number": given.get("reference", "") if given.get("method") == "paper" else "",
    }
    return IdentifyForm(formdata=None, data=data)


@bp.post("/file/<code>/citizen")
@role_required(*COUNTER)
def identify(code):
    filing = _load_flow(code)
    if request.form.get("nav") == "show":  # back from a later step: what was entered, as entered
        if filing.state["answers"] is None and any(spec["name"] in request.form for spec in filing.definition):
            # Back from the form page before it was sent: keep what was typed there for the way forward.
            typed = raw_answers(build_form(filing.definition, formdata=request.form), filing.definition)
            filing.state["typed"] = typed
        return _identify_page(filing, _identify_form(filing))
    form = IdentifyForm()
    if not form.validate():
        return _identify_page(filing, form, 400)
    try:
        challenge = flow.identify(
            filing,
            form.national_code.data,
            form.full_name.data,
            form.mobile.data,
            form.consent_method.data,
            form.paper_number.data,
        )
    except flow.CounterError as error:
        return _back(filing, error, form)
    if challenge is None:  # consent on paper, or already verified for this very person
        return _form_page(filing, _prefilled_form(filing))
    return _consent_page(filing, ConsentCodeForm(formdata=None), challenge)


@bp.post("/file/<code>/consent")
@role_required(*COUNTER)
def consent(code):
    filing = _load_flow(code)
    resend = request.form.get("action") == "resend"
    form = ConsentCodeForm(formdata=None) if resend else ConsentCodeForm()
    try:
        challenge = flow.sent_challenge(filing)
        if resend:
            challenge = flow.resend_consent_code(filing)
            flash(_("کد تازه پیامک شد."))
            return _consent_page(filing, form, challenge)
        if not form.validate():
            return _consent_page(filing, form, challenge, 400)
        flow.give_consent(filing, form.code.data)
    except flow.CounterError as error:
        return _back(filing, error, form)
    return _form_page(filing, _prefilled_form(filing))


# --- step 3: the service's own form and scans ------------------------------------------------------------


def _prefilled_form(filing):
    """The form as last sent (canonical answers), else as last typed before going back, else empty; the fields that
    are the applicant's own hold the identified citizen's details."""
    who = flow.applicant(filing)
    if filing.state["answers"]:
        return build_form(filing.definition, answers=filing.state["answers"], applicant=who)
    return build_form(filing.definition, answers=filing.state.get("typed") or None, raw=True, applicant=who)


@bp.post("/file/<code>/form")
@kept_forms.restores
@role_required(*COUNTER)
def fill(code):
    filing = _load_flow(code)
    if not filing.state["consent"]:
        return _identify_page(filing, _identify_form(filing), 400)
    if request.form.get("nav") == "show":
        return _form_page(filing, _prefilled_form(filing))
    definition = filing.definition
    dform = build_form(
        definition, formdata=CombinedMultiDict((request.files, request.form)), applicant=flow.applicant(filing)
    )
    fields_ok = dform.validate()  # every check runs, so all problems show at once
    if not (_files_ok(filing, dform) and fields_ok):
        return _form_page(filing, dform, 400)
    uploads = {spec["name"]: dform[spec["name"]].data for spec in file_fields(definition)}
    try:
        flow.take_form(filing, answers_from(dform, definition), uploads)
    except flow.CounterError as error:
        return _back(filing, error, dform)
    return _fees_page(filing, FeesForm(formdata=None))


@bp.get("/file/<code>/form")
@role_required(*COUNTER)
def fill_again(code):
    """The form step again, as typed, after its POST met an ended session or a stale token (core.kept_forms keeps
    it, the clerk signs in again and lands here); with nothing kept for this clerk, the filing starts over."""
    office = _office()
    service = flow.fileable_service(code, office)
    if service is None:
        abort(404)
    kept = kept_forms.restore(request.path)
    current = state.load(kept.formdata.get("state"), service, office, current_user) if kept else None
    if current is None or not current["consent"]:
        return redirect(url_for(".start", code=service.code))
    filing = Flow(service, office, _clerk(), current)
    return _form_page(filing, build_form(filing.definition, formdata=kept.formdata, applicant=flow.applicant(filing)))


def _files_ok(filing, dform):
    """Required scans are chosen now or were attached before going back; all of them stay under the limit."""
    staged = filing.state["files"]
    ok, total_error = check_files(
        dform, filing.definition, attached={f["field"] for f in staged}, attached_bytes=sum(f["size"] for f in staged)
    )
    if total_error:
        flash(total_error, "error")
    return ok


# --- steps 4 and 5: fees, payment and filing -------------------------------------------------------------


@bp.post("/file/<code>/submit")
@role_required(*COUNTER)
def submit(code):
    filing = _load_flow(code, check_closed=False)
    if request.form.get("nav") == "show":
        return _fees_page(filing, FeesForm(formdata=None))
    form = FeesForm()  # bound to what was posted, so a refused page shows it again as typed
    try:
        filed = flow.submit(
            filing, request.form.get("method", ""), request.form.get("reference", ""), form.fees_seen.data or ""
        )
    except flow.CounterError as error:
        return _back(filing, error, form)
    return redirect(url_for(".receipt", code=filed.tracking_code), 303)


# --- step 6: the receipt ---------------------------------------------------------------------------------


@bp.get("/requests/<code>/receipt")
@role_required(*COUNTER)
def receipt(code):
    found = receipts.receipt_for(current_user, code)
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
    day_text = request.args.get("day", "").strip()
    code_text = request.args.get("code", "").strip()
    error = day = None
    if day_text:
        try:
            day = ledger.parse_day(day_text)
        except ValueError as problem:
            error = str(problem.args[0])
    # A page number that is not one, or absurdly far, is the first page rather than an error.
    page = max(parse_whole_number(request.args.get("page", "")[:12], max_digits=6) or 1, 1)
    tracking_code = re.sub(r"\D", "", fold_digits(code_text)) if code_text else None
    rows, has_more = ledger.counter_requests(current_user, day, tracking_code, page, PAGE_SIZE)
    return render_template(
        "counter/requests.html",
        office=office,
        requests=rows,
        has_more=has_more,
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
        can_close=can_close_day(current_user),
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
    counted = _rial(form.counted_cash.data)
    try:
        if form.confirm.data != "yes":  # closing is final: show what will be recorded and ask once more
            ledger.check_close(office, day, counted, form.note.data)
            return _ledger_page(office, day, form, confirm=True)
        ledger.close_day(office, day, counted, form.note.data, current_user)
    except ledger.LedgerError as problem:
        if problem.field in ("counted_cash", "note"):
            form[problem.field].errors = [problem.message]
            return _ledger_page(office, day, form, 400)
        flash(problem.message, "error")
        return redirect(url_for(".day_ledger", office_code=office.code, day=ledger.day_param(day)))
    # No flash: the page it lands on says «این روز بسته شده است» in its own panel, and saying it twice was noise.
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


@bp.get("/offices/<office_code>/ledger.xlsx")
@role_required(*COUNTER)
def day_xlsx(office_code):
    office = _visible_office(office_code)
    day, error = _day_from(request.args)
    if error:
        abort(400)
    return Response(
        ledger.day_xlsx(office, day),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={
            "Content-Disposition": f'attachment; filename="ledger-{office.code}-{ledger.day_param(day)}.xlsx"',
            "Cache-Control": "no-store",
        },
    )


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
