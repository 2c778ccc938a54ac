"""Forms of the account pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField, PasswordField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Regexp

from app.core.validators import Mobile, NationalCode


class SignInForm(FlaskForm):
    national_code = StringField(
        _l("کد ملی"),
        validators=[InputRequired(_l("کد ملی را وارد کنید.")), NationalCode()],
        description=_l("۱۰ رقم، بدون خط تیره"),
    )
    mobile = StringField(
        _l("شمارهٔ همراه"),
        validators=[InputRequired(_l("شمارهٔ همراه را وارد کنید.")), Mobile()],
        description=_l("شماره‌ای که به نام خود شماست؛ کد ورود به آن پیامک می‌شود."),
    )


class CodeForm(FlaskForm):
    code = StringField(
        _l("کد ورود"),
        validators=[InputRequired(_l("کد ورود را وارد کنید.")), Length(max=12)],
        description=_l("کد ۶ رقمی پیامک‌شده"),
    )


class MobileChangeForm(FlaskForm):
    mobile = StringField(
        _l("شمارهٔ همراه تازه"),
        validators=[InputRequired(_l("شمارهٔ همراه تازه را وارد کنید.")), Mobile()],
        description=_l("شماره‌ای که به نام خود شماست؛ کد تأیید به آن پیامک می‌شود."),
    )


class MobileCodeForm(FlaskForm):
    code = StringField(
        _l("کد تأیید"),
        validators=[InputRequired(_l("کد تأیید را وارد کنید.")), Length(max=12)],
        description=_l("کد ۶ رقمی پیامک‌شده به شمارهٔ تازه"),
    )


class StaffSignInForm(FlaskForm):
    username = StringField(_l("نام کاربری"), validators=[InputRequired(_l("نام کاربری را وارد کنید.")), Length(max=64)])
    password = PasswordField(_l("گذرواژه"), validators=[InputRequired(_l("گذرواژه را وارد کنید.")), Length(max=200)])


class ApplyControls(FlaskForm):
    """The parts of the apply page that are not the service's own form."""

    idempotency_key = HiddenField(validators=[Regexp(r"^[A-Za-z0-9_-]{16,64}$")])


class RequestActionForm(FlaskForm):
    message = TextAreaField(_l("متن پیام"), validators=[Length(max=4000, message=_l("پیام طولانی‌تر از حد مجاز است."))])
    document = FileField(_l("پیوست (اختیاری)"), description=_l("پی‌دی‌اف، جی‌پگ یا پی‌ان‌جی، حداکثر ۵ مگابایت."))
