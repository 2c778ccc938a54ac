"""Forms of the agency desk."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import TextAreaField
from wtforms.validators import Length


class DeskActionForm(FlaskForm):
    message = TextAreaField(_l("پیام به متقاضی یا دلیل"),
                            validators=[Length(max=4000, message=_l("متن طولانی‌تر از حد مجاز است."))],
                            description=_l("برای درخواست مدرک، رد درخواست و پیام لازم است؛ متقاضی آن را می‌بیند."))
    result_note = TextAreaField(_l("شیوهٔ دریافت نتیجه"), validators=[Length(max=2000)],
                                description=_l("برای تحویل: یا سند نتیجه را پیوست کنید یا بنویسید متقاضی نتیجه را کجا و چطور بگیرد."))
    document = FileField(_l("سند نتیجه یا پیوست"), description=_l("پی‌دی‌اف، جی‌پگ یا پی‌ان‌جی، حداکثر ۵ مگابایت."))
