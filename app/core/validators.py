"""WTForms validators that check identifiers and replace field data with the canonical form."""

from collections.abc import Callable

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import InputRequired, StopValidation, ValidationError

from app.core.identifiers import (
    InvalidIdentifier,
    clean_legal_id,
    clean_mobile,
    clean_national_code,
    clean_postal_code,
    clean_tracking_code,
)
from app.core.persian import local_number, parse_whole_number


class Required(InputRequired):
    """InputRequired that counts text of only spaces as nothing typed (a national code of five spaces is none)."""

    def __call__(self, form, field):
        super().__call__(form, field)
        if isinstance(field.data, str) and not field.data.strip():
            field.errors[:] = []
            raise StopValidation(self.message)


def _required_message(field) -> str | None:
    """The message of the field's InputRequired, when it has one: whitespace alone does not satisfy it."""
    for validator in field.validators:
        if isinstance(validator, InputRequired):
            return str(validator.message)
    return None


class Cleaned:
    """Runs `clean` on the field; subclasses only name the cleaner."""

    clean: Callable[[str], str]

    def __init__(self, message=None):
        self.message = message

    def __call__(self, form, field):
        # Whether a value is required is InputRequired/Optional's decision, not ours; but InputRequired only asks
        # whether something was sent, so spaces alone are refused here with its message.
        if field.data is None or not str(field.data).strip():
            message = _required_message(field) if field.data is not None else None
            if message:
                raise StopValidation(message)
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


class WholeNumber:
    """A whole number typed in any digit script, with thousands separators allowed, within [minimum, maximum]."""

    def __init__(self, minimum: int | None = None, maximum: int | None = None) -> None:
        self.minimum, self.maximum = minimum, maximum

    def __call__(self, form, field):
        if not (field.data or "").strip():
            return
        value = parse_whole_number(field.data, signed=True)
        if value is None:
            raise ValidationError(_("فقط عدد وارد کنید."))
        if self.minimum is not None and value < self.minimum:
            raise ValidationError(_("عدد نباید کمتر از %(n)s باشد.", n=local_number(self.minimum)))
        if self.maximum is not None and value > self.maximum:
            raise ValidationError(_("عدد نباید بیشتر از %(n)s باشد.", n=local_number(self.maximum)))


class Rials:
    """A whole number of rials typed with any digits and with or without thousands separators; field.data
    becomes an int. The text stays as typed when it is rejected, so the person can correct it."""

    def __init__(self, message=None):
        self.message = message

    def __call__(self, form, field):
        if field.data is None or not str(field.data).strip():
            return
        value = parse_whole_number(str(field.data).strip().removesuffix("ریال"), max_digits=13)
        if value is None:
            raise ValidationError(str(self.message or _l("مبلغ را فقط با رقم و به ریال وارد کنید.")))
        field.data = value


class RialField(StringField):
    """An amount in rials: .data is an int once Rials() has run, and the page shows what was typed, as typed."""

    def _value(self):
        return self.raw_data[0] if self.raw_data else super()._value()
