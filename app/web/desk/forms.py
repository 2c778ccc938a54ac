"""Forms of the agency desk."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField, RadioField, SelectField, SelectMultipleField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from app.core.validators import RialField, Rials


class DeskActionForm(FlaskForm):
    message = TextAreaField(
        _l("پیام به متقاضی یا دلیل"),
        validators=[Length(max=4000, message=_l("متن طولانی‌تر از حد مجاز است."))],
        description=_l("برای درخواست مدرک، رد درخواست و پیام لازم است؛ متقاضی آن را می‌بیند."),
    )
    result_note = TextAreaField(
        _l("شیوهٔ دریافت نتیجه"),
        validators=[Length(max=2000)],
        description=_l("برای تحویل: یا سند نتیجه را پیوست کنید یا بنویسید متقاضی نتیجه را کجا و چطور بگیرد."),
    )
    document = FileField(_l("سند نتیجه یا پیوست"), description=_l("پی‌دی‌اف، جی‌پگ یا پی‌ان‌جی، حداکثر ۵ مگابایت."))


class ClaimForm(FlaskForm):
    """«برداشتن»: the officer takes an unassigned request for themself; `version` is the request as the page showed
    it, so a request someone took meanwhile is not taken over silently."""

    version = HiddenField(validators=[InputRequired(_l("صفحه را دوباره باز کنید و دوباره بزنید."))])


class ReassignForm(FlaskForm):
    """The agency manager gives a request to another officer of the agency (choices: permissions.assignable_officers)."""

    officer = SelectField(
        _l("ارجاع به کارشناس"),
        choices=[],
        validate_choice=False,  # checked against the manager's own agency by the view (an outsider answers an error)
        validators=[InputRequired(_l("کارشناسی را انتخاب کنید."))],
    )
    version = HiddenField()


class ProposalForm(FlaskForm):
    """An agency manager's proposal to let counter offices file one of the agency's services."""

    scope = RadioField(
        _l("کجا"),
        choices=[SelectChoice("all", _l("همهٔ استان‌ها")), SelectChoice("listed", _l("فقط استان‌های انتخاب‌شده"))],
        default="all",
        validators=[InputRequired(_l("گستره را انتخاب کنید."))],
    )
    provinces = SelectMultipleField(
        _l("استان‌ها"),
        choices=[],
        validate_choice=False,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        description=_l("اگر «فقط استان‌های انتخاب‌شده» را زده‌اید، دست‌کم یکی را علامت بزنید."),
    )
    counter_fee_rial = RialField(
        _l("کارمزد پیشخوان (ریال)"),
        validators=[InputRequired(_l("کارمزد را به ریال وارد کنید؛ اگر رایگان است ۰ بنویسید.")), Rials()],
    )
    note = TextAreaField(
        _l("توضیح (اختیاری)"),
        validators=[Length(max=2000, message=_l("توضیح طولانی‌تر از حد مجاز است."))],
        description=_l("برای مدیر سامانه: چرا و با چه شرایطی."),
    )
