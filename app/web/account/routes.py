"""Account pages: citizen sign-in, changing the mobile, applying, drafts, my requests, the request page; staff
sign-in; the SMS simulator's outbox."""

import secrets

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user
from werkzeug.datastructures import CombinedMultiDict

from app import inquiries
from app.adapters import ownership, sms
from app.catalogue import queries as catalogue
from app.core import kept_forms
from app.core.errors import attach, refuse, render_error
from app.core.identifiers import InvalidIdentifier, clean_mobile
from app.core.persian import persian_digits_enabled, to_persian_digits
from app.core.security import client_is_loopback, safe_next
from app.counter.fees import online_fee
from app.extensions import db, limiter
from app.feedback import ratings
from app.feedback.forms import RatingForm
from app.jobs import cleanup
from app.models import OtpChallenge, Request, Role, SmsMessage
from app.people import citizens, data_access, otp
from app.people import mobile as mobile_change
from app.people.auth import SignInError, authenticate_staff, end_all_sessions, landing_endpoint, role_required
from app.people.auth import sign_in as start_session
from app.people.sign_in import resend_sign_in_code, sign_in_challenge, start_sign_in, verify_sign_in
from app.permissions import request_for, requests_visible_to
from app.requests import attachments, sla, workflow
from app.requests.filing import (
    Filing,
    FilingError,
    draft_bytes,
    draft_for_key,
    file_request,
    filed_before,
    remove_draft_file,
    save_draft,
)
from app.requests.formdefs import (
    Applicant,
    answer_rows,
    answers_from,
    build_form,
    check_files,
    definition_for,
    display_answers,
    file_fields,
    raw_answers,
    raw_formdata,
    stored_definition,
)
from app.web.account import bp
from app.web.account.feedback import rating_panel
from app.web.account.forms import (
    ApplyControls,
    CodeForm,
    MobileChangeForm,
    MobileCodeForm,
    RequestActionForm,
    SignInForm,
    StaffSignInForm,
)


def _mobile_key():
    try:
        return "mobile:" + clean_mobile(request.form.get("mobile", ""))
    except InvalidIdentifier:
        return "ip:" + (request.remote_addr or "")


def _safe_next(default):
    return safe_next(request.values.get("next"), default)


# --- citizen sign-in -------------------------------------------------------------------------------


@bp.route("/account/sign-in", methods=["GET", "POST"])
@limiter.limit("20 per 10 minutes", methods=["POST"])
@limiter.limit("5 per 10 minutes", key_func=_mobile_key, methods=["POST"])
def sign_in():
    form = SignInForm()
    if not form.validate_on_submit():
        return render_template("account/sign_in.html", form=form, next=_safe_next("")), 400 if form.errors else 200
    try:
        challenge, sent = start_sign_in(form.national_code.data, form.mobile.data)
    except (ownership.OwnershipRefused, SignInError) as error:
        attach(form, error, "mobile")
        return render_template("account/sign_in.html", form=form, next=_safe_next("")), error.status or 400
    if not sent:
        flash(_("کد ورود همین چند لحظه پیش فرستاده شد؛ همان را وارد کنید."))
    session["otp"] = challenge.public_id
    session["otp_next"] = _safe_next("")
    return redirect(url_for(".verify"))


def _session_challenge():
    return sign_in_challenge(session.get("otp"))


@bp.route("/account/sign-in/code", methods=["GET", "POST"])
@limiter.limit("30 per 10 minutes", methods=["POST"])
def verify():
    challenge = _session_challenge()
    if challenge is None:
        return redirect(url_for(".sign_in"))
    form = CodeForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = verify_sign_in(challenge, form.code.data)
        except (otp.OtpError, citizens.CitizenError) as error:
            attach(form, error, "code")
        else:
            target = session.pop("otp_next", "") or url_for(landing_endpoint(user))
            start_session(user)
            if user.mobile != challenge.mobile:
                flash(
                    _(
                        "با شمارهٔ %(used)s وارد شدید، ولی پیامک‌های درخواست‌هایتان همچنان به شمارهٔ %(stored)s "
                        "فرستاده می‌شود. برای عوض کردن آن از «تغییر شمارهٔ همراه» در صفحهٔ درخواست‌های من "
                        "استفاده کنید.",
                        used=_shown_mobile(challenge.mobile),
                        stored=_shown_mobile(user.mobile),
                    )
                )
            return redirect(target)
    if form.errors:
        status = 400
    return render_template(
        "account/verify.html",
        form=form,
        challenge=challenge,
        wait=otp.seconds_until_resend(challenge),
        simulator=sms.is_simulator(),
    ), status


@bp.post("/account/sign-in/resend")
@limiter.limit("5 per 10 minutes")
def resend():
    challenge = _session_challenge()
    if challenge is None:
        return redirect(url_for(".sign_in"))
    try:
        fresh = resend_sign_in_code(challenge)
    except otp.OtpError as error:
        flash(error.message)
    else:
        session["otp"] = fresh.public_id
        flash(_("کد تازه پیامک شد."))
    return redirect(url_for(".verify"))


def _end_sessions():
    """Every session of the account ends, this one and any copy of its cookie: a signed cookie cannot be revoked
    alone, so signing out bumps the account's session version (which also signs out its other devices)."""
    if current_user.is_authenticated:
        end_all_sessions(current_user)
        db.session.commit()
    logout_user()
    session.clear()


@bp.post("/account/sign-out")
def sign_out():
    _end_sessions()
    flash(_("از حساب خود خارج شدید."))
    return redirect(url_for("public.home"))


@bp.post("/account/sign-out-everywhere")
def sign_out_everywhere():
    _end_sessions()
    flash(_("از حساب خود در همهٔ دستگاه‌ها خارج شدید."))
    return redirect(url_for("public.home"))


# --- changing the citizen's mobile ------------------------------------------------------------------


bp.add_app_template_filter(mobile_change.masked, "masked_mobile")


def _shown_mobile(mobile):
    """A masked mobile inside a flashed sentence: isolated left to right (so 09 stays in front in a right-to-left
    line) and in Persian digits on a Persian page."""
    text = mobile_change.masked(mobile)
    return "\u2066" + (to_persian_digits(text) if persian_digits_enabled() else text) + "\u2069"


@bp.route("/account/mobile", methods=["GET", "POST"])
@role_required(Role.CITIZEN)
@limiter.limit("10 per 10 minutes", methods=["POST"])
def change_mobile():
    form = MobileChangeForm()
    status = 400 if form.is_submitted() else 200
    if form.validate_on_submit():
        try:
            challenge = mobile_change.start(current_user, form.mobile.data)
            db.session.commit()
        except (ownership.OwnershipRefused, mobile_change.MobileChangeError) as error:
            attach(form, error, "mobile")
            status = error.status or 400
        else:
            session["mobile_change"] = challenge.public_id
            return redirect(url_for(".change_mobile_code"))
    return render_template("account/mobile.html", form=form, current=mobile_change.masked(current_user.mobile)), status


@bp.route("/account/mobile/code", methods=["GET", "POST"])
@role_required(Role.CITIZEN)
@limiter.limit("30 per 10 minutes", methods=["POST"])
def change_mobile_code():
    public_id = session.get("mobile_change")
    challenge = (
        db.session.execute(
            db.select(OtpChallenge).filter_by(
                public_id=public_id, purpose=mobile_change.PURPOSE, national_code=current_user.national_code
            )
        ).scalar_one_or_none()
        if public_id
        else None
    )
    if challenge is None:
        return redirect(url_for(".change_mobile"))
    form = MobileCodeForm()
    if form.validate_on_submit():
        try:
            mobile_change.confirm(current_user, challenge, form.code.data)
            db.session.commit()
        except (otp.OtpError, mobile_change.MobileChangeError) as error:
            db.session.rollback()
            form.code.errors.append(error.message)
        else:
            session.pop("mobile_change", None)
            flash(
                _(
                    "شمارهٔ همراه حساب شما به %(mobile)s تغییر کرد؛ پیامک‌ها از این پس به آن فرستاده می‌شود.",
                    mobile=_shown_mobile(current_user.mobile),
                )
            )
            return redirect(url_for(".my_requests"))
    return render_template(
        "account/mobile_code.html",
        form=form,
        challenge=challenge,
        new=mobile_change.masked(challenge.mobile),
        simulator=sms.is_simulator(),
    ), 400 if form.errors else 200


# --- staff sign-in ---------------------------------------------------------------------------------


@bp.route("/staff/sign-in", methods=["GET", "POST"])
@limiter.limit("20 per 10 minutes", methods=["POST"])
def staff_sign_in():
    form = StaffSignInForm()
    if form.validate_on_submit():
        try:
            user = authenticate_staff(form.username.data, form.password.data, request.remote_addr or "")
        except SignInError as error:
            form.password.errors.append(error.message)
        else:
            start_session(user)
            return redirect(_safe_next(url_for(landing_endpoint(user))))
    return render_template("account/staff_sign_in.html", form=form, next=_safe_next("")), 400 if form.errors else 200


# --- applying and drafts ---------------------------------------------------------------------------


@bp.route("/services/<code>/apply", methods=["GET", "POST"])
@kept_forms.restores
@role_required(Role.CITIZEN)
def apply(code):
    """The form page. «ادامه» validates every field and keeps what passed (typed answers and the files that passed
    their checks) in the citizen's draft, so nothing chosen is lost to another field's error; once all is valid,
    the check-your-answers page. Nothing is filed here: apply_check sends."""
    service = _service_or_404(code)
    draft = _own_draft(service, request.values.get("draft"))
    if draft is not None and draft.status != "draft":
        abort(404)
    definition = definition_for(service.current_revision)
    controls = ApplyControls()
    if request.method == "GET":
        controls.idempotency_key.data = secrets.token_urlsafe(24)
        kept = kept_forms.restore(request.path)  # typed before a stale token or an ended session (core.kept_forms)
        if kept is not None:
            form = _apply_form(definition, formdata=kept.formdata)
        else:
            form = _apply_form(definition, answers=draft.answers if draft else None, raw=True)
        return _apply_page(service, form, controls, draft)

    form = _apply_form(definition, formdata=CombinedMultiDict((request.files, request.form)))
    action = request.form.get("action", "continue")
    key = controls.idempotency_key.data if controls.validate() else None  # a key that is not one is not kept
    if draft is None:  # the same form sent again (a double click, a retry) goes on with the draft it created
        draft = draft_for_key(key, current_user, service)
    if action == "draft" or action.startswith("remove:"):
        stored = _store_files(form, definition, report=True)
        try:
            draft = save_draft(service, current_user, raw_answers(form, definition), draft, files=stored, key=key)
        except FilingError as error:  # submitted or saved from another tab meanwhile
            attach(None, error)
            attachments.discard(stored)
            return _apply_page(service, form, controls, draft, 409)
        if action == "draft":
            flash(_("پیش‌نویس ذخیره شد. هر وقت خواستید از «درخواست‌های من» ادامه دهید."))
            return redirect(url_for(".apply", code=service.code, draft=draft.public_id))
        removed = remove_draft_file(draft, action.removeprefix("remove:"))
        if removed is not None:
            flash(_("«%(name)s» برداشته شد.", name=removed.original_name))
        anchor = removed.field_name if removed is not None else None
        return redirect(url_for(".apply", code=service.code, draft=draft.public_id, _anchor=anchor))

    fields_ok = form.validate()  # every check runs, so all problems are shown at once
    kept = list(draft.attachments) if draft else []
    chosen = {spec["name"] for spec in file_fields(definition) if _chosen(form[spec["name"]])}
    files_ok, total_error = check_files(
        form,
        definition,
        attached={a.field_name for a in kept},
        attached_bytes=sum(a.size for a in kept if a.field_name not in chosen),  # a file chosen again replaces it
    )
    stored = [] if total_error else _store_files(form, definition, only_valid=True)
    files_ok = files_ok and not any(form[spec["name"]].errors for spec in file_fields(definition))
    try:
        draft = save_draft(service, current_user, raw_answers(form, definition), draft, files=stored, key=key)
    except FilingError as error:
        attach(None, error)
        attachments.discard(stored)
        return _apply_page(service, form, controls, draft, 409)
    if total_error:
        flash(total_error, "error")
    if fields_ok and files_ok:
        return redirect(url_for(".apply_check", code=service.code, draft=draft.public_id))
    return _apply_page(service, form, controls, draft, 400)


@bp.route("/services/<code>/apply/check", methods=["GET", "POST"])
@kept_forms.restores(query=("draft",))
@role_required(Role.CITIZEN)
def apply_check(code):
    """Check your answers: what the draft holds, its files and the fee, a «تغییر» link per answer; POST sends it.

    Reachable by GET with just ?draft= (a payment that failed or was cancelled comes back here, nothing lost)."""
    service = _service_or_404(code)
    draft = _own_draft(service, request.values.get("draft"))
    if draft is None:
        return redirect(url_for(".apply", code=service.code))
    if request.method == "POST":
        # Asked after the draft is read, so a draft read as submitted is always found here.
        replay = filed_before(request.form.get("idempotency_key"), current_user)
        if replay is not None and replay.status != "draft":
            return redirect(url_for(".request_page", code=replay.tracking_code))
    if draft.status != "draft":
        abort(404)
    if request.method == "GET":
        kept_forms.restore(request.path)  # sent with a stale token or after the session ended: the draft has it all
    definition = definition_for(service.current_revision)
    controls = ApplyControls()
    form = _apply_form(definition, formdata=raw_formdata(draft.answers))
    fields_ok = form.validate()
    files_ok, total_error = check_files(
        form, definition, attached={a.field_name for a in draft.attachments}, attached_bytes=draft_bytes(draft)
    )
    if total_error:
        flash(total_error, "error")
    if not (fields_ok and files_ok):
        # Not complete (the card changed meanwhile, the page opened by hand): the form, each problem marked.
        controls.idempotency_key.data = secrets.token_urlsafe(24)
        return _apply_page(service, form, controls, draft, 400 if request.method == "POST" else 200)
    answers = answers_from(form, definition)
    if request.method == "POST" and _pay_endpoint(service):
        # A service with a fee is sent by the payment (account.pay_start files it with the verified payment).
        flash(_("این خدمت هزینه دارد؛ با دکمهٔ «پرداخت و فرستادن» بپردازید تا درخواست فرستاده شود."), "error")
        controls.idempotency_key.data = secrets.token_urlsafe(24)
        return _check_page(service, draft, definition, answers, controls, 400)
    # The check page's key is its own: the draft's (the form page's) would find the draft itself as "filed".
    if request.method == "POST" and controls.validate() and controls.idempotency_key.data != draft.idempotency_key:
        try:
            filed = file_request(
                Filing(
                    service=service,
                    applicant=current_user,
                    answers=answers,
                    actor=current_user,
                    idempotency_key=controls.idempotency_key.data,
                    attachments=list(draft.attachments),
                    draft=draft,
                )
            )
        except FilingError as error:
            attach(None, error)  # the reason on top; the answers at fault, if any, next to their fields
            for name, messages in error.field_errors.items():
                if name in form:
                    form[name].errors = list(messages)
            if error.field_errors:
                return _apply_page(service, form, controls, draft, 400)
            return _check_page(service, draft, definition, answers, controls, 409)
        session["just_filed"] = filed.tracking_code  # the request page confirms the filing once, then is itself
        return redirect(url_for(".request_page", code=filed.tracking_code))
    if request.method == "GET":
        controls.idempotency_key.data = secrets.token_urlsafe(24)
    return _check_page(service, draft, definition, answers, controls, 400 if request.method == "POST" else 200)


def _apply_form(definition, **kwargs):
    """The service's form as the citizen applying sees it (one place for what every apply page passes): the fields
    that are the applicant's own hold the account's national code, mobile and name, whatever was posted or saved."""
    return build_form(definition, applicant=Applicant.of(current_user), **kwargs)


def _service_or_404(code):
    service = catalogue.service_by_code(code)
    if service is None:
        abort(404)
    return service


def _apply_page(service, form, controls, draft, status=200):
    return render_template(
        "account/apply.html",
        service=service,
        form=form,
        controls=controls,
        draft=draft,
        attached={a.field_name: a for a in draft.attachments} if draft else {},
        fee=online_fee(service),
    ), status


def _check_page(service, draft, definition, answers, controls, status=200):
    labels = {spec["name"]: spec.get("label", spec["name"]) for spec in file_fields(definition)}
    fee = online_fee(service)
    return render_template(
        "account/apply_check.html",
        service=service,
        draft=draft,
        rows=answer_rows(definition, answers),
        files=[(labels.get(a.field_name, a.field_name), a) for a in draft.attachments],
        controls=controls,
        fee=fee,
        pay_endpoint=_pay_endpoint(service),
    ), status


def _pay_endpoint(service):
    """Where the check page's button sends a service with a fee: the payment step, once it exists (else None)."""
    return (
        "account.pay_start" if online_fee(service) > 0 and "account.pay_start" in current_app.view_functions else None
    )


def _own_draft(service, public_id):
    if not public_id:
        return None
    draft = request_for(current_user, public_id)
    if draft.service_id != service.id:
        abort(404)
    return draft


def _chosen(field):
    return bool(field.data and getattr(field.data, "filename", ""))


def _store_files(form, definition, report=False, only_valid=False):
    """Store the chosen files. A file that fails its checks is left out: with `report` (saving a draft) with a
    message on top; with `only_valid` (continuing) its field already carries the reason."""
    stored = []
    for spec in file_fields(definition):
        field = form[spec["name"]]
        if not _chosen(field) or (only_valid and field.errors):
            continue
        try:
            stored.append(attachments.store(field.data, spec, field_name=spec["name"], uploaded_by=current_user))
        except attachments.UploadError as error:
            if report:
                flash(
                    _("«%(label)s» ذخیره نشد: %(reason)s", label=spec.get("label", spec["name"]), reason=error.message),
                    "error",
                )
            else:
                field.errors = list(field.errors) + [error.message]
    return stored


# --- my requests and the request page --------------------------------------------------------------


@bp.get("/account/requests")
@role_required(Role.CITIZEN)
def my_requests():
    query = requests_visible_to(current_user)
    on_behalf = request.args.get("filter") == "counter"
    if on_behalf:
        query = query.where(Request.channel == "counter")
    rows = db.session.execute(query.order_by(Request.created_at.desc())).scalars().all()
    return render_template(
        "account/my_requests.html",
        requests=rows,
        on_behalf=on_behalf,
        next_step=workflow.next_step_for_citizen,
        labels=workflow.STATUS_LABELS,
        kept_until=cleanup.draft_kept_until,
        held=cleanup.drafts_holding_money([r.id for r in rows if r.status == "draft"]),
    )


@bp.get("/requests/<code>")
@login_required
def request_page(code):
    found = request_for(current_user, code)
    if found.status == "draft":
        return redirect(url_for(".apply", code=found.service.code, draft=found.public_id))
    just_filed = session.get("just_filed") == found.tracking_code
    if just_filed:
        session.pop("just_filed")
    return _render_request(found, RequestActionForm(), just_filed=just_filed)


def _render_request(found, form, status=200, confirm=None, just_filed=False, rating_form=None):
    definition = stored_definition(found.revision)  # a filed request is shown even if its form is now refused
    return render_template(
        "account/request.html",
        req=found,
        form=form,
        confirm=confirm,
        just_filed=just_filed,
        answers=display_answers(definition, found.answers),
        labels=workflow.STATUS_LABELS,
        actions=workflow.allowed_actions(found, current_user),
        inquiries=inquiries.for_request(found) if found.tracking_code else [],  # the state only, never the answer
        inquiry_labels=inquiries.STATE_LABELS,
        clock_paused=sla.is_paused(found),
        **rating_panel(found, rating_form),
    ), status


@bp.post("/requests/<code>/rate")
@role_required(Role.CITIZEN)
def rate(code):
    """The citizen's stars for a delivered request: once (a second click is told it is rated, and shown it)."""
    found = request_for(current_user, code)
    if found.status == "draft":  # no request page to show the reason on
        return render_error(400, ratings.refusal(found))
    form = RatingForm()
    if not form.validate_on_submit():
        return _render_request(found, RequestActionForm(), status=400, rating_form=form)
    try:
        ratings.rate(found, int(form.stars.data), form.comment.data or "")
        db.session.commit()
    except ratings.RatingError as error:
        attach(form, error, "stars")
        return _render_request(found, RequestActionForm(), status=400, rating_form=form)
    flash(_("امتیاز شما ثبت شد. سپاس!"))
    return redirect(url_for(".request_page", code=found.tracking_code))


@bp.post("/requests/<code>/act")
@role_required(Role.CITIZEN)
def act(code):
    found = request_for(current_user, code)
    form = RequestActionForm()
    action = request.form.get("action", "")
    upload = form.document.data if getattr(form.document.data, "filename", "") else None
    error = workflow.check(
        found, action, current_user, message=form.message.data, attachments=[upload] if upload else ()
    )
    if found.status == "draft":
        # A draft has no request page to show the reason on; it is sent from its form (file_request) or not at all.
        return render_error(400, error)
    if error is not None:
        refuse(form, error, "message", on_form=bool(workflow.allowed_actions(found, current_user)))
        return _render_request(found, form, status=400)
    if action == "withdraw" and request.form.get("confirm") != "yes":
        return _render_request(found, form, confirm="withdraw")
    if not form.validate_on_submit():
        return _render_request(found, form, status=400)
    stored = []
    try:
        if upload:
            stored.append(attachments.store(upload, field_name="answer", uploaded_by=current_user))
        workflow.advance(found, action, current_user, message=form.message.data, attachments=stored)
        db.session.commit()
    except workflow.ChangedError as error:  # the agency acted first: the page as it is now, and why
        attachments.discard(stored)
        refuse(form, error.message, "message", on_form=bool(workflow.allowed_actions(found, current_user)))
        return _render_request(found, form, status=409)
    except (workflow.WorkflowError, attachments.UploadError) as error:
        attach(form, error, "message")
        attachments.discard(stored)
        return _render_request(found, form, status=400)
    flash(_("انجام شد."))
    return redirect(url_for(".request_page", code=found.tracking_code))


@bp.get("/requests/<code>/files/<file_id>")
@login_required
def download(code, file_id):
    found = request_for(current_user, code)
    attachment = next((a for a in found.attachments if a.public_id == file_id), None)
    if attachment is None:
        abort(404)
    data_access.note_desk_use(current_user, found, data_access.DOWNLOAD_FILE, "attachment")
    return attachments.download(attachment)


# --- the SMS simulator's outbox (only while the local backend is configured) -----------------------


def _dev_sms_allowed():
    """The simulator's outbox holds every code sent: only with the simulator and only to this machine."""
    return sms.is_simulator() and client_is_loopback()


# The code pages (here and at the counter) link the outbox only for whom it opens.
bp.add_app_template_global(_dev_sms_allowed, "sms_outbox_available")


@bp.get("/_dev/sms")
def dev_sms():
    if not _dev_sms_allowed():
        abort(404)
    # What the simulated phones received: a message appears once the worker has sent it, not when it was written.
    query = db.select(SmsMessage).where(SmsMessage.status == "sent").order_by(SmsMessage.id.desc()).limit(50)
    messages = db.session.execute(query).scalars().all()
    return render_template("account/dev_sms.html", messages=messages)
