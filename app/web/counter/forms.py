"""Forms of the counter: one per step of a filing, and the day close."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from app.core.persian import clean_text, fold_digits
from app.core.validators import Mobile, NationalCode, WholeNumber
from app.counter import consent


class StepForm(FlaskForm):
    """The CSRF token of a step; the signed state of the filing rides beside it (state.py)."""


def _paper_number(form, field):
    """Required when consent is on paper: the number printed on the signed form (the consent rule's check)."""
    if form.consent_method.data != "paper":
        field.data = ""
        return
    try:
        field.data = consent.clean_paper_number(field.data)
    except consent.ConsentError as error:
        raise ValidationError(error.message) from None


class IdentifyForm(StepForm):
    national_code = StringField(
        _l("کد ملی متقاضی"),
        validators=[InputRequired(_l("کد ملی را وارد کنید.")), NationalCode()],
        description=_l("۱۰ رقم، از روی کارت ملی"),
    )
    full_name = StringField(
        _l("نام و نام خانوادگی"),
        validators=[
            InputRequired(_l("نام متقاضی را وارد کنید.")),
            Length(min=2, max=200, message=_l("نام باید ۲ تا ۲۰۰ نویسه باشد.")),
        ],
        filters=[lambda value: clean_text(value) if value else value],
        description=_l("همان‌گونه که در کارت ملی آمده است"),
    )
    mobile = StringField(
        _l("شمارهٔ همراه متقاضی"),
        validators=[InputRequired(_l("شمارهٔ همراه را وارد کنید.")), Mobile()],
        description=_l("شماره‌ای که به نام این کد ملی ثبت شده است؛ برای متقاضی تازه، کد رهگیری به آن پیامک می‌شود."),
    )
    consent_method = RadioField(
        _l("رضایت متقاضی"),
        default="otp",
        choices=[
            SelectChoice("otp", _l("کد یک‌بارمصرف: به همراه متقاضی پیامک می‌شود و او آن را می‌خواند")),
            SelectChoice("paper", _l("فرم کاغذی امضاشده (وقتی پیامک نمی‌رسد)")),
        ],
        validators=[InputRequired(_l("شیوهٔ رضایت را انتخاب کنید."))],
    )
    paper_number = StringField(
        _l("شمارهٔ فرم رضایت کاغذی"), validators=[_paper_number], description=_l("فقط برای رضایت کاغذی")
    )


class ConsentCodeForm(StepForm):
    code = StringField(
        _l("کد رضایت"),
        validators=[InputRequired(_l("کدی را که متقاضی می‌خواند وارد کنید.")), Length(max=12)],
        filters=[lambda value: fold_digits(value).strip() if value else value],
        description=_l("کد ۶ رقمی که به همراه متقاضی پیامک شد"),
    )


class FeesForm(StepForm):
    fees_seen = HiddenField()
    method = RadioField(
        _l("شیوهٔ پرداخت"),
        default="cash",
        choices=[SelectChoice("cash", _l("نقد")), SelectChoice("card", _l("کارت بانکی (پایانهٔ فروش)"))],
        validators=[InputRequired(_l("شیوهٔ پرداخت را انتخاب کنید."))],
    )
    reference = StringField(
        _l("شمارهٔ مرجع پایانه"),
        validators=[Optional(), Length(max=40)],
        description=_l("برای پرداخت با کارت: شمارهٔ مرجع روی رسید پایانه"),
    )


class CloseDayForm(FlaskForm):
    counted_cash = StringField(
        _l("نقد شمرده‌شده (ریال)"),
        validators=[InputRequired(_l("مبلغ نقد شمرده‌شده را وارد کنید.")), WholeNumber(0, 10**15)],
        description=_l("همهٔ پول نقد صندوق امروز، به ریال"),
    )
    note = TextAreaField(
        _l("یادداشت"),
        validators=[Length(max=2000, message=_l("یادداشت طولانی‌تر از حد مجاز است."))],
        description=_l("اگر نقد با دفتر نمی‌خواند، علت را بنویسید."),
    )
    confirm = HiddenField()
