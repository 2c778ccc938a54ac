"""The feedback forms, one copy for every mode that shows them: rating and complaint (the citizen's account and
the /track page), and the staff's reply and flag (the agency desk and the administration)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, Length

from app.core.validators import Required
from app.feedback import complaints, ratings

STARS_MESSAGE = _l("از ۱ تا ۵ ستاره یکی را انتخاب کنید.")


class RatingForm(FlaskForm):
    stars = RadioField(
        _l("امتیاز شما به این خدمت"),
        choices=[SelectChoice(str(n), label) for n, label in ratings.STAR_LABELS.items()],
        validate_choice=False,  # an unknown value is refused below, in Persian
        validators=[Required(STARS_MESSAGE), AnyOf([str(n) for n in ratings.STARS], message=STARS_MESSAGE)],
    )
    comment = TextAreaField(
        _l("نظر شما (اختیاری)"),
        validators=[
            Length(
                max=ratings.COMMENT_MAX,
                message=_l("نظر طولانی‌تر از حد مجاز است (حداکثر ۱۰۰۰ نویسه)."),
            )
        ],
        description=_l("نظر شما فقط به دستگاه نشان داده می‌شود؛ در صفحه‌های عمومی فقط میانگین امتیازها می‌آید."),
    )


BODY = TextAreaField(
    _l("متن شکایت"),
    validators=[
        Required(_l("متن شکایت را بنویسید.")),
        Length(max=complaints.BODY_MAX, message=_l("متن شکایت طولانی‌تر از حد مجاز است (حداکثر ۲۰۰۰ نویسه).")),
    ],
    description=_l("بنویسید چه شد و چه انتظاری دارید. از نوشتن کد ملی یا اطلاعات شخصی دیگران خودداری کنید."),
)


class TrackComplaintForm(FlaskForm):
    """A complaint about the request proven on /track (its tracking code and national code)."""

    body = BODY


class ComplaintForm(FlaskForm):
    """A signed-in citizen's complaint: about one of their requests, or (without one) about a service by its code."""

    request = SelectField(
        _l("درخواست"),
        choices=[],
        validate_choice=False,  # looked up among the citizen's own requests by the view
        description=_l("اگر شکایت دربارهٔ درخواستی است که ثبت کرده‌اید، آن را انتخاب کنید."),
    )
    service = StringField(
        _l("کد خدمت (اگر درخواستی ثبت نکرده‌اید)"),
        validators=[Length(max=40, message=_l("کد خدمت طولانی‌تر از حد مجاز است."))],
        description=_l("کد خدمت در صفحهٔ شناسنامهٔ خدمت آمده است."),
    )
    body = BODY


class ComplaintActionForm(FlaskForm):
    """Staff on a complaint: reply (or close, with the other button)."""

    reply = TextAreaField(
        _l("پاسخ به شهروند"),
        validators=[Length(max=complaints.REPLY_MAX, message=_l("متن پاسخ طولانی‌تر از حد مجاز است."))],
        description=_l("شهروند این پاسخ را در حساب خود و در صفحهٔ پیگیری می‌بیند."),
    )


FLAG_CHOICES = [SelectChoice(value, label) for value, label in ratings.FLAG_LABELS.items()]


class FlagForm(FlaskForm):
    """Staff mark what a citizen wrote as personal data or spam (or take the mark off)."""

    flag = SelectField(
        _l("علامت متن"),
        choices=FLAG_CHOICES,
        validate_choice=False,
        validators=[AnyOf(list(ratings.FLAG_LABELS), message=_l("یکی از گزینه‌ها را انتخاب کنید."))],
    )


class CloseForm(FlaskForm):
    """Nothing to fill in: the CSRF token of the POST that closes a complaint."""
