"""Validation and canonical forms of Iranian identifiers, plus our own Damm-checked tracking codes."""

import re
import secrets

from flask_babel import lazy_gettext as _l

from app.core.persian import fold_digits, persian_digits_enabled, to_persian_digits


class InvalidIdentifier(ValueError):
    def __init__(self, message):
        super().__init__(message)
        self.message = message


# People paste numbers with all kinds of grouping; none of these characters carries meaning.
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212\u200c._]+")


def _digits(value: str | None, separators: re.Pattern[str] = _SEPARATORS) -> str:
    return separators.sub("", fold_digits("" if value is None else value))


def _all_same(digits: str) -> bool:
    return len(set(digits)) == 1


def clean_national_code(value: str | None) -> str:
    code = _digits(value)
    if not re.fullmatch(r"[0-9]{10}", code):
        raise InvalidIdentifier(_l("کد ملی باید ۱۰ رقم باشد."))
    d = [int(c) for c in code]
    r = sum(d[i] * (10 - i) for i in range(9)) % 11
    if _all_same(code) or d[9] != (r if r < 2 else 11 - r):
        raise InvalidIdentifier(_l("کد ملی معتبر نیست."))
    return code


_LEGAL_ID_COEFFICIENTS = (29, 27, 23, 19, 17, 29, 27, 23, 19, 17)


def clean_legal_id(value: str | None) -> str:
    code = _digits(value)
    if not re.fullmatch(r"[0-9]{11}", code):
        raise InvalidIdentifier(_l("شناسه ملی باید ۱۱ رقم باشد."))
    d = [int(c) for c in code]
    s = d[9] + 2
    r = sum((d[i] + s) * coef for i, coef in enumerate(_LEGAL_ID_COEFFICIENTS)) % 11
    if code == "0" * 11 or d[10] != (0 if r == 10 else r):
        raise InvalidIdentifier(_l("شناسه ملی معتبر نیست."))
    return code


_PHONE_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212\u200c.()]+")
# Optional country code, optional trunk zero (people write "+98 (0)912..."), then the 10-digit number.
_MOBILE = re.compile(r"(?:\+98|0098|98)?0?(9[0-9]{9})")


def clean_mobile(value: str | None) -> str:
    match = _MOBILE.fullmatch(_digits(value, _PHONE_SEPARATORS))
    if match is None:
        raise InvalidIdentifier(_l("شماره موبایل معتبر نیست؛ آن را مانند ۰۹۱۲۳۴۵۶۷۸۹ وارد کنید."))
    return "0" + match.group(1)


# Iran Post never uses 0 or 2 in the first four digits, nor 0, 2 or 5 in the fifth, nor 2 in the
# last five, and no code starts with four equal digits (same rule as the persian-tools libraries).
_POSTAL_CODE = re.compile(r"(?!([0-9])\1{3})[13-9]{4}[1346-9][013-9]{5}")


def clean_postal_code(value: str | None) -> str:
    code = _digits(value)
    if not re.fullmatch(r"[0-9]{10}", code):
        raise InvalidIdentifier(_l("کد پستی باید ۱۰ رقم باشد."))
    if not _POSTAL_CODE.fullmatch(code):
        raise InvalidIdentifier(_l("کد پستی معتبر نیست."))
    return code


# Damm's quasigroup: the check digit catches every single-digit error and every adjacent transposition.
_DAMM = (
    "0317598642",
    "7092154863",
    "4206871359",
    "1750983426",
    "6123045978",
    "3674209581",
    "5869720134",
    "8945362017",
    "9438617205",
    "2581436790",
)
TRACKING_CODE_LENGTH = 12


def damm_digit(digits: str) -> str:
    """Check digit for an ASCII digit string; appending it makes the Damm interim digit 0."""
    interim = "0"
    for c in digits:
        interim = _DAMM[int(interim)][int(c)]
    return interim


def is_valid_tracking_code(code: str) -> bool:
    return len(code) == TRACKING_CODE_LENGTH and code.isascii() and code.isdigit() and damm_digit(code) == "0"


def new_tracking_code() -> str:
    # A non-zero lead keeps the code 12 digits even when someone stores it as a number.
    body = secrets.choice("123456789") + "".join(secrets.choice("0123456789") for _ in range(10))
    return body + damm_digit(body)


def clean_tracking_code(value: str | None) -> str:
    code = _digits(value)
    if not re.fullmatch(r"[0-9]{12}", code):
        raise InvalidIdentifier(_l("کد رهگیری باید ۱۲ رقم باشد."))
    if damm_digit(code) != "0":
        raise InvalidIdentifier(_l("کد رهگیری اشتباه تایپ شده است؛ رقم‌ها را دوباره بررسی کنید."))
    return code


def format_tracking_code(code: str) -> str:
    """'123456789012' -> '1234 5678 9012' (ASCII; templates turn the digits Persian)."""
    return " ".join(code[i : i + 4] for i in range(0, len(code), 4))


def shown_tracking_code(code: str | None) -> str:
    """A tracking code as every page shows it: in groups of four, in Persian digits when the page uses them."""
    text = format_tracking_code(code) if code else ""
    return to_persian_digits(text) if persian_digits_enabled() else text


# The asterisk, as Iranian bank SMS mask card numbers: it sits above the line and cannot be read as a digit, while the
# bullet (•) looks like the Persian zero (۰) in most Persian fonts, so ۰۹•••••۴۵۶۷ read as 09000004567.
MASK = "*"


def mask_digits(value: str | None, head: int, tail: int) -> str:
    """The first `head` and last `tail` characters of a code with a MASK for each one between: enough to recognise
    one's own number, too little to use someone else's. Too short a value is masked whole."""
    value = value or ""
    if len(value) <= head + tail:
        return MASK * len(value)
    return value[:head] + MASK * (len(value) - head - tail) + value[-tail:]
