"""Public tracking: tracking code + national code → the request's status and dates, nothing more."""

from flask import g, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import InputRequired

from app.core.identifiers import InvalidIdentifier, clean_tracking_code
from app.core.validators import NationalCode, TrackingCode
from app.extensions import limiter
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
    status = 400 if form.errors else 200
    return render_template(
        "public/track.html",
        form=form,
        found=found,
        steps=public_steps(found) if found else [],
        labels=workflow.STATUS_LABELS,
    ), status
