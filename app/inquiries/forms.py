"""The desk's inquiry forms: retry a failed inquiry, add one to a request."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField
from wtforms.validators import InputRequired


class RetryInquiryForm(FlaskForm):
    inquiry = HiddenField(validators=[InputRequired()])


class AddInquiryForm(FlaskForm):
    inquiry_type = SelectField(
        _l("استعلام تازه"),
        choices=[],
        validate_choice=False,  # the view looks the code up; an unknown one is that field's error
        validators=[InputRequired(_l("استعلامی را انتخاب کنید."))],
    )
