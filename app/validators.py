"""WTForms validators that check identifiers and replace field data with the canonical form."""

from typing import Callable

from wtforms.validators import ValidationError

from app.identifiers import (
    InvalidIdentifier,
    clean_legal_id,
    clean_mobile,
    clean_national_code,
    clean_postal_code,
    clean_tracking_code,
)


class Cleaned:
    """Runs `clean` on the field; subclasses only name the cleaner."""

    clean: Callable[[object], str]

    def __init__(self, message=None):
        self.message = message

    def __call__(self, form, field):
        # Whether a value is required is DataRequired/Optional's decision, not ours.
        if field.data is None or not str(field.data).strip():
            return
        try:
            field.data = self.clean(field.data)
        except InvalidIdentifier as exc:
            raise ValidationError(str(self.message or exc.message)) from None


class NationalCode(Cleaned):
    clean = staticmethod(clean_national_code)


class LegalId(Cleaned):
    clean = staticmethod(clean_legal_id)


class Mobile(Cleaned):
    clean = staticmethod(clean_mobile)


class PostalCode(Cleaned):
    clean = staticmethod(clean_postal_code)


class TrackingCode(Cleaned):
    clean = staticmethod(clean_tracking_code)
