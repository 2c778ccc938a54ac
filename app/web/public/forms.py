"""Forms of the public site."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField
from wtforms.validators import InputRequired, ValidationError


class PlaceForm(FlaskForm):
    """The visitor's province and (optionally) county; the choices are filled by the view."""

    province = SelectField(_l("استان"), validators=[InputRequired(_l("استان را انتخاب کنید."))], validate_choice=True)
    county = SelectField(_l("شهرستان"), description=_l("اگر نمی‌دانید، خالی بگذارید."), validate_choice=False)
    next = HiddenField()

    def validate_county(self, field):
        allowed = {value for value, _label in self.county.choices}
        if field.data and field.data not in allowed:
            field.data = ""
            raise ValidationError(_l("این شهرستان در استان انتخاب‌شده نیست؛ دوباره انتخاب کنید."))
