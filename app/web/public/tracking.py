"""Public tracking: tracking code + national code → the request's status and dates, nothing more; and with that
proof, kept in the session for a while, rating the delivered service and complaining about the request (issue 14)."""

from datetime import datetime, timedelta

from flask import flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import InputRequired

from app import permissions
from app.core.errors import RuleError, attach
from app.core.identifiers import InvalidIdentifier, clean_tracking_code
from app.core.validators import NationalCode, TrackingCode
from app.extensions import db, limiter
from app.feedback import complaints, ratings
from app.feedback.forms import CloseForm, RatingForm, TrackComplaintForm
from app.models import Request, utcnow
from app.requests import workflow
from app.requests.tracking import find_tracked, public_steps
from app.web.public import bp


class TrackForm(FlaskForm):
    code = StringField(
        _l("کد رهگیری"),
        validators=[InputRequired(_l("کد رهگیری را وارد کنید.")), TrackingCode()],
        description=_l("۱۲ رقم؛ با فاصله یا بدون فاصله"),
    )
    national_code = StringField(
        _l("کد ملی متقاضی"), validators=[InputRequired(_l("کد ملی را وارد کنید.")), NationalCode()]
    )


# Many phones share one address behind carrier NAT, so the address limit is loose; guessing the national code of
# one tracking code is what must be stopped, so the wrong answers for one code are limited strictly, from anywhere.
PER_ADDRESS = "120 per 10 minutes"
MISSES_PER_CODE = "5 per 10 minutes"


def _tracking_code_key() -> str:
    typed = request.form.get("code", "")
    try:
        return "track-code:" + clean_tracking_code(typed)
    except InvalidIdentifier:
        return "track-code:" + typed[:40]  # refused by the form anyway; never counted (no lookup, no miss)


def _was_a_miss(response) -> bool:
    return bool(g.get("tracking_miss"))


@bp.route("/track", methods=["GET", "POST"])
@limiter.limit(PER_ADDRESS, methods=["POST"])
@limiter.limit(MISSES_PER_CODE, key_func=_tracking_code_key, methods=["POST"], deduct_when=_was_a_miss)
def track():
    form = TrackForm()
    if request.method == "GET" and request.args.get("code"):
        form.code.data = request.args["code"][:40]
    found = None
    if form.validate_on_submit():
        found = find_tracked(form.code.data, form.national_code.data)
        if found is None:
            g.tracking_miss = True
            # One neutral answer whether the code, the national code or the pair is wrong.
            form.national_code.errors.append(_("درخواستی با این کد رهگیری و کد ملی پیدا نشد."))
        else:
            _remember(found)
    return _page(form, found, 400 if form.errors else 200)


def _page(form, found, status=200, rating_form=None, complaint_form=None):
    return render_template(
        "public/track.html",
        form=form,
        found=found,
        steps=public_steps(found) if found else [],
        labels=workflow.STATUS_LABELS,
        rating=ratings.rating_of(found) if found is not None else None,
        rating_form=rating_form or RatingForm(),
        star_labels=ratings.STAR_LABELS,
        complaint_form=complaint_form or TrackComplaintForm(),
        complaints=complaints.of_request(found) if found is not None else [],
        complaint_labels=complaints.STATE_LABELS,
        shown_body=complaints.shown_body,
        close_form=CloseForm(),
    ), status


# --- with the proof: the tracked request's rating and complaints -------------------------------------------------

PROOF_KEY = "tracked"
PROOF_MINUTES = 30  # the tracking code and national code prove the request this long (then they are asked again)


def _remember(found: Request) -> None:
    session[PROOF_KEY] = {"code": found.tracking_code, "at": utcnow().isoformat()}


def _proven() -> Request | None:
    """The request the session proved on /track in the last PROOF_MINUTES, or None."""
    proof = session.get(PROOF_KEY)
    if not isinstance(proof, dict) or not isinstance(proof.get("code"), str):
        return None
    try:
        at = datetime.fromisoformat(str(proof.get("at")))
    except ValueError:
        return None
    if utcnow() - at > timedelta(minutes=PROOF_MINUTES):
        session.pop(PROOF_KEY, None)
        return None
    return db.session.execute(db.select(Request).where(Request.tracking_code == proof["code"])).scalar_one_or_none()


def _again():
    flash(_("برای ادامه، کد رهگیری و کد ملی را دوباره وارد کنید."), "error")
    return redirect(url_for(".track"))


@bp.get("/track/result")
def tracked():
    found = _proven()
    if found is None:
        return _again()
    return _page(TrackForm(), found)


def _on_tracked(form, slot, act):
    """A POST about the proven request: `act(found, form)` does it and returns the flash message; a refused form or
    rule shows the /track page again with the form (`slot`: rating_form or complaint_form) and its reason."""
    found = _proven()
    if found is None:
        return _again()
    if form.validate_on_submit():
        try:
            message = act(found, form)
            db.session.commit()
        except RuleError as error:
            attach(form, error, "stars" if slot == "rating_form" else "body")
        else:
            flash(message)
            return redirect(url_for(".tracked"))
    return _page(TrackForm(), found, 400, **{slot: form})


@bp.post("/track/rate")
@limiter.limit(PER_ADDRESS)
def track_rate():
    def rate(found, form):
        ratings.rate(found, int(form.stars.data), form.comment.data or "")
        return _("امتیاز شما ثبت شد. سپاس!")

    return _on_tracked(RatingForm(), "rating_form", rate)


@bp.post("/track/complaint")
@limiter.limit(PER_ADDRESS)
def track_complaint():
    def complain(found, form):
        complaint = complaints.file_complaint(found.applicant, form.body.data, request=found)
        return complaints.filed_message(complaint)

    return _on_tracked(TrackComplaintForm(), "complaint_form", complain)


@bp.post("/track/complaint/<reference>/close")
@limiter.limit(PER_ADDRESS)
def track_complaint_close(reference):
    """The citizen closes a complaint about the tracked request (solved, or no longer wanted), as from their account."""
    found = _proven()
    if found is None:
        return _again()
    complaint = permissions.complaint_of_tracked(found, reference)
    if not CloseForm().validate_on_submit():
        flash(_("صفحه را دوباره باز کنید و دوباره بزنید."), "error")
    else:
        try:
            complaints.close(complaint, found.applicant)
            db.session.commit()
        except complaints.ComplaintError as error:
            flash(error.message, "error")
        else:
            flash(_("شکایت بسته شد."))
    return redirect(url_for(".tracked", _anchor="complaint"))
