"""Forms of the administration area; choices that depend on the administrator's scope are set by the views."""

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional, Regexp, ValidationError
from wtforms.widgets import HiddenInput

from app.core.persian import clean_text, fold_digits, parse_jalali_date
from app.core.validators import RialField, Rials
from app.models import Agency

TOO_LONG = _l("متن طولانی‌تر از حد مجاز است.")


def options(pairs):
    """(value, label) pairs as WTForms choices."""
    return [SelectChoice(str(value), label) for value, label in pairs]


class Coordinate:
    """A decimal number typed with any digits, '.' or '٫' as the point; field.data becomes a float or None."""

    def __init__(self, message):
        self.message = message

    def __call__(self, form, field):
        text = fold_digits(field.data or "").strip().replace("\u066b", ".").replace("/", ".")
        if not text:
            field.data = None
            return
        if not re.fullmatch(r"-?[0-9]{1,3}(\.[0-9]{1,8})?", text):
            raise ValidationError(str(self.message))
        field.data = float(text)


class WebAddress:
    def __call__(self, form, field):
        value = (field.data or "").strip()
        if value and not re.fullmatch(r"https?://[^\s/$.?#][^\s]*", value, re.IGNORECASE):
            raise ValidationError(str(_l("نشانی وبگاه را کامل و با https:// وارد کنید.")))
        field.data = value


def _cleaned(value):
    return clean_text(value) if isinstance(value, str) else value


# --- outsourcing ---------------------------------------------------------------------------------------


class DecisionForm(FlaskForm):
    """Approve or reject a pending proposal; a rejection needs its reason."""

    reason = TextAreaField(
        _l("دلیل یا توضیح تصمیم"),
        validators=[Length(max=2000, message=TOO_LONG)],
        description=_l("برای رد لازم است؛ مدیر دستگاه آن را می‌بیند."),
    )


class RevokeForm(FlaskForm):
    reason = TextAreaField(
        _l("دلیل لغو"),
        validators=[InputRequired(_l("دلیل لغو را بنویسید.")), Length(max=2000, message=TOO_LONG)],
        description=_l("از این پس دفاتر پیشخوان این خدمت را ثبت نمی‌کنند؛ درخواست‌های ثبت‌شده همان‌طور ادامه می‌یابند."),
    )


class FeeChangeForm(FlaskForm):
    counter_fee_rial = RialField(
        _l("کارمزد تازه (ریال)"), validators=[InputRequired(_l("کارمزد تازه را به ریال وارد کنید.")), Rials()]
    )
    reason = TextAreaField(
        _l("دلیل تغییر کارمزد"),
        validators=[InputRequired(_l("دلیل تغییر کارمزد را بنویسید.")), Length(max=2000, message=TOO_LONG)],
    )


class FeeCapForm(FlaskForm):
    amount = RialField(
        _l("سقف کارمزد پیشخوان (ریال)"),
        validators=[InputRequired(_l("سقف کارمزد را به ریال وارد کنید.")), Rials()],
        description=_l("هیچ پیشنهاد واگذاری یا تغییر کارمزدی بیش از این مبلغ پذیرفته نمی‌شود."),
    )


# --- agencies, offices, staff --------------------------------------------------------------------------

CONNECTION_CHOICES = [
    ("connected", _l("متصل به پنجره")),
    ("redirect", _l("فقط ارجاع به سامانهٔ دستگاه")),
    ("not_connected", _l("هنوز متصل نشده")),
]
assert {c for c, _label in CONNECTION_CHOICES} == set(Agency.CONNECTION_STATUSES)


class AgencyEditForm(FlaskForm):
    name = StringField(
        _l("نام دستگاه"),
        filters=[_cleaned],
        validators=[InputRequired(_l("نام دستگاه را وارد کنید.")), Length(max=200, message=TOO_LONG)],
    )
    name_en = StringField(_l("نام انگلیسی"), validators=[Optional(), Length(max=200, message=TOO_LONG)])
    connection_status = SelectField(
        _l("وضعیت اتصال به پنجره"),
        choices=options(CONNECTION_CHOICES),
        validators=[InputRequired(_l("وضعیت اتصال را انتخاب کنید."))],
    )
    website_url = StringField(
        _l("نشانی وبگاه دستگاه"),
        validators=[Length(max=500, message=TOO_LONG), WebAddress()],
        description=_l("مثلاً https://rahvar120.ir"),
    )


class AgencyForm(AgencyEditForm):
    code = StringField(
        _l("کد دستگاه"),
        filters=[lambda v: fold_digits(v).strip() if v else v],
        validators=[
            InputRequired(_l("کد دستگاه را وارد کنید.")),
            Regexp(r"^[0-9A-Za-z-]{2,32}$", message=_l("کد دستگاه ۲ تا ۳۲ نویسه از رقم، حرف لاتین یا خط تیره است.")),
        ],
        description=_l("کد یکتای دستگاه؛ بعداً تغییر نمی‌کند."),
    )
    level = SelectField(_l("سطح"), choices=options([("national", _l("ملی")), ("provincial", _l("استانی"))]))
    province = SelectField(_l("استان (برای دستگاه استانی)"), choices=[], validate_choice=False)


class OfficeForm(FlaskForm):
    code = StringField(
        _l("کد دفتر"),
        filters=[lambda v: fold_digits(v).strip() if v else v],
        validators=[
            InputRequired(_l("کد دفتر را وارد کنید.")),
            Regexp(r"^[0-9A-Za-z-]{2,20}$", message=_l("کد دفتر ۲ تا ۲۰ نویسه از رقم، حرف لاتین یا خط تیره است.")),
        ],
    )
    name = StringField(
        _l("نام دفتر"),
        filters=[_cleaned],
        validators=[InputRequired(_l("نام دفتر را وارد کنید.")), Length(max=200, message=TOO_LONG)],
    )
    province = SelectField(
        _l("استان"), choices=[], validate_choice=False, validators=[InputRequired(_l("استان را انتخاب کنید."))]
    )
    county = SelectField(
        _l("شهرستان"),
        choices=[],
        validate_choice=False,
        description=_l("شهرستانی که دفتر در آن است؛ در فهرست عمومی برای یافتن نزدیک‌ترین دفتر به کار می‌رود."),
    )
    address = TextAreaField(
        _l("نشانی"),
        filters=[_cleaned],
        validators=[InputRequired(_l("نشانی دفتر را وارد کنید.")), Length(max=500, message=TOO_LONG)],
    )
    phone = StringField(
        _l("تلفن"),
        filters=[lambda v: re.sub(r"[\s-]", "", fold_digits(v)) if v else v],
        validators=[
            InputRequired(_l("تلفن دفتر را وارد کنید.")),
            Regexp(r"^0[0-9]{9,10}$", message=_l("تلفن را با پیش‌شماره وارد کنید، مثلاً ۰۲۱۶۶۵۵۴۴۳۳.")),
        ],
    )
    opening_hours = StringField(
        _l("ساعت کار"),
        filters=[_cleaned],
        validators=[InputRequired(_l("ساعت کار دفتر را وارد کنید.")), Length(max=200, message=TOO_LONG)],
        description=_l("مثلاً شنبه تا چهارشنبه ۸ تا ۱۶، پنجشنبه ۸ تا ۱۲"),
    )
    latitude = StringField(
        _l("عرض جغرافیایی"),
        validators=[Coordinate(_l("عرض جغرافیایی را به شکل ۳۵٫۶۹ وارد کنید."))],
        description=_l("اختیاری؛ برای نمایش دفتر به نزدیک‌ترین مراجعه‌کنندگان."),
    )
    longitude = StringField(
        _l("طول جغرافیایی"), validators=[Coordinate(_l("طول جغرافیایی را به شکل ۵۱٫۳۹ وارد کنید."))]
    )


class OfficeEditForm(OfficeForm):
    code = None  # an office's code is its public identifier: receipts and links carry it


class StaffForm(FlaskForm):
    username = StringField(
        _l("نام کاربری"),
        filters=[lambda v: v.strip().lower() if v else v],
        validators=[
            InputRequired(_l("نام کاربری را وارد کنید.")),
            Regexp(
                r"^[a-z0-9][a-z0-9._-]{2,63}$",
                message=_l("نام کاربری ۳ تا ۶۴ نویسه از حروف کوچک لاتین، رقم، نقطه یا خط تیره است."),
            ),
        ],
    )
    full_name = StringField(
        _l("نام و نام خانوادگی"),
        filters=[_cleaned],
        validators=[InputRequired(_l("نام کارمند را وارد کنید.")), Length(max=200, message=TOO_LONG)],
    )
    role = SelectField(
        _l("نقش"), choices=[], validate_choice=False, validators=[InputRequired(_l("نقش را انتخاب کنید."))]
    )
    office = SelectField(
        _l("دفتر پیشخوان"), choices=[], validate_choice=False, description=_l("برای متصدی و مدیر دفتر پیشخوان")
    )
    agency = SelectField(_l("دستگاه"), choices=[], validate_choice=False, description=_l("برای کارشناس و مدیر دستگاه"))
    province = SelectField(_l("استان"), choices=[], validate_choice=False, description=_l("برای مدیر استانی سامانه"))


class RoleForm(StaffForm):
    username = None
    full_name = None


class ConfirmForm(FlaskForm):
    """Buttons that change an account or an office: only the CSRF token travels."""


# --- the audit log -------------------------------------------------------------------------------------


class JalaliDate:
    """Sets field.date to the Gregorian date; field.data keeps the Jalali text as typed for the page."""

    def __call__(self, form, field):
        field.date = None
        if not (field.data or "").strip():
            return
        try:
            field.date = parse_jalali_date(field.data)
        except ValueError as error:
            raise ValidationError(str(error.args[0])) from None


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter: nothing changes, and the URL must be shareable

    actor = StringField(
        _l("کاربر"),
        filters=[lambda v: v.strip().lower() if v else v],
        validators=[Optional(), Length(max=64, message=TOO_LONG)],
        description=_l("نام کاربری کسی که کار را کرده"),
    )
    action = SelectField(_l("کار"), choices=[], validate_choice=False)
    object_type = SelectField(_l("نوع موضوع"), choices=[], validate_choice=False)
    date_from = StringField(_l("از تاریخ"), validators=[JalaliDate()], description=_l("مثلاً ۱۴۰۵/۰۱/۱۵"))
    date_to = StringField(_l("تا تاریخ"), validators=[JalaliDate()])


class RetryJobForm(FlaskForm):
    """The retry button of one failed background job."""

    job = IntegerField(widget=HiddenInput(), validators=[InputRequired(_l("کدام کار را دوباره امتحان کنیم؟"))])
