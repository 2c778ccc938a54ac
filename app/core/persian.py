"""Persian text normalisation, digit scripts, number/money formatting and Jalali dates."""

import re
import unicodedata
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

import jdatetime
from flask import Flask
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from app.core.i18n import fast_locale

TEHRAN = ZoneInfo("Asia/Tehran")
ZWNJ = "\u200c"

_PERSIAN_DIGITS = "۰۱۲۳۴۵۶۷۸۹"
_ARABIC_DIGITS = "٠١٢٣٤٥٦٧٨٩"
_FOLD_DIGITS = str.maketrans(_PERSIAN_DIGITS + _ARABIC_DIGITS, "0123456789" * 2)
_TO_PERSIAN = str.maketrans("0123456789", _PERSIAN_DIGITS)

# The 32 letters in alphabetical order. Code points put پ چ ژ گ after every Arabic letter, so sorting and
# letter-by-letter keys (the search index's trigram key) start from this one list.
PERSIAN_ALPHABET = "ابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهی"
# Sorting: آ comes first, أ sorts with ا and ئ after ی; anything else after the alphabet, by code point.
_COLLATION = {ch: i for i, ch in enumerate("آ" + PERSIAN_ALPHABET[0] + "أ" + PERSIAN_ALPHABET[1:] + "ئ")}

# Storing: Arabic ي ى ك are the same letters as Persian ی ک typed on an Arabic keyboard; the tatweel only stretches
# a word. Diacritics, hamza forms (تأمین، مؤسسه، زمینهٔ) and digits are what the person wrote and stay.
_STORAGE_MAP = str.maketrans({"ي": "ی", "ى": "ی", "ك": "ک", "\u0640": None})
# Comparing (and searching): spelling variants fold too, diacritics go and digits become ASCII.
_COMPARISON_MAP = str.maketrans(
    {
        "ة": "ه",
        "أ": "ا",
        "إ": "ا",
        "ٱ": "ا",
        "ؤ": "و",
        # Diacritics are stripped, so "خانهٔ" becomes "خانه"; fold the precomposed ۀ the same way.
        "ۀ": "ه",
        "\u0670": None,
        **{chr(c): None for c in range(0x064B, 0x0660)},
        **{digit: str(value % 10) for value, digit in enumerate(_PERSIAN_DIGITS + _ARABIC_DIGITS)},
    }
)

# Full NFKC would also rewrite things people typed on purpose (ligatures, superscripts,
# full-width forms), so only Arabic presentation forms -- legacy encodings and PDF copy/paste -- are folded.
_PRESENTATION_FORMS = re.compile("[\ufb50-\ufdff\ufe70-\ufeff]+")


def fold_digits(text: object) -> str:
    """Persian and Arabic-Indic digits to ASCII."""
    return str(text).translate(_FOLD_DIGITS)


# Thousands separators people type (space, comma, the Arabic thousands separator ٬, the Persian comma ،,
# underscore); the decimal mark ٫ is not one of them, so "12٫5" is refused rather than read as 125. Also dropped: the
# invisible direction marks (LRM, RLM, ALM) a number copied from a page may carry (format_number writes an LRM).
_THOUSANDS = re.compile(r"[\s,\u066c\u060c_\u200e\u200f\u061c]")


def parse_whole_number(text: str | None, *, signed: bool = False, max_digits: int = 15) -> int | None:
    """A whole number typed with any of Persian, Arabic-Indic or Latin digits and thousands separators; None when the
    text is not one (a fraction, letters, other scripts' digits, more than `max_digits` digits)."""
    cleaned = _THOUSANDS.sub("", fold_digits("" if text is None else text))
    sign = "-?" if signed else ""
    return int(cleaned) if re.fullmatch(f"{sign}[0-9]{{1,{max_digits}}}", cleaned) else None


def to_persian_digits(value: object) -> str:
    return str(value).translate(_TO_PERSIAN)


def _is_invisible(ch: str) -> bool:
    # Cc/Cf/Cs cover bidi controls, ZWJ, ZWSP, BOM, soft hyphen and the Arabic letter mark in one rule; Co/Cn
    # (private use, unassigned) are no text at all. ZWNJ is the only format character with meaning in Persian.
    return ch != ZWNJ and not ch.isspace() and unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn")


def _tidy(text: str) -> str:
    """Single spaces; a ZWNJ only inside a word, never doubled."""
    words = (re.sub(ZWNJ + "+", ZWNJ, word).strip(ZWNJ) for word in text.split())
    return " ".join(word for word in words if word)


def clean_text(text: object) -> str:
    """The one form for storing text a person will read (names, titles, addresses, imported or typed in a form):
    Persian ی/ک, no control, direction or invisible characters, single spaces, ZWNJ only inside words. Digits,
    diacritics and hamza forms stay as written; cleaning twice changes nothing."""
    if text is None:
        return ""
    text = _PRESENTATION_FORMS.sub(lambda m: unicodedata.normalize("NFKC", m.group()), str(text))
    return _tidy("".join(ch for ch in text.translate(_STORAGE_MAP) if not _is_invisible(ch)))


def normalize(text: object) -> str:
    """The form for comparing and searching, not for storing: clean_text() with spelling variants folded
    (ة أ ؤ ۀ), diacritics removed and ASCII digits, so "مؤسسهٔ ۱" and "موسسه 1" are one."""
    return _tidy(clean_text(text).translate(_COMPARISON_MAP))


def persian_sort_key(text: str | None) -> list[int]:
    """Sorts Persian names in alphabetical order (plain code-point order puts پ after ی)."""
    return [_COLLATION.get(ch, 100 + ord(ch)) for ch in text or ""]


def _search_fold(text: str) -> str:
    text = "".join(" " if unicodedata.category(ch)[0] in "PS" else ch for ch in text.casefold())
    return " ".join(text.split())


def normalize_for_search(text: object) -> str:
    return _search_fold(normalize(text).replace(ZWNJ, " "))


def search_variants(text: object) -> set[str]:
    """The spaced form plus the form with ZWNJ-joined parts written solid ("می خواهم", "میخواهم")."""
    stored = normalize(text)
    return {_search_fold(stored.replace(ZWNJ, " ")), _search_fold(stored.replace(ZWNJ, ""))} - {""}


def persian_digits_enabled() -> bool:
    """The single decision on digit script: Persian unless a non-fa locale is active."""
    locale = fast_locale()  # every number on a page asks: the request's locale as Flask-Babel chose it
    return locale is None or locale.language == "fa"


def _digits(text: str, persian: bool) -> str:
    return to_persian_digits(text) if persian else text


LRM = "\u200e"


def format_number(n: int | float | Decimal, *, persian: bool = True) -> str:
    text = f"{n:,}"
    if persian:
        text = text.replace(",", "٬").replace(".", "٫")
        if text.startswith("-"):
            # A left-to-right mark first (CLDR's Persian minus sign does the same): on a right-to-left page a bare
            # "-۶" is drawn «۶-», which reads as a dash after six. After the mark the sign stays on the digits' left.
            text = LRM + text
    return _digits(text, persian)


def local_digits(text: object) -> str:
    """Text for a reader now (a page, an SMS): its digits Persian unless the page is in another language."""
    return _digits(str(text), persian_digits_enabled())


def _digits_of_markup(value: object, persian: bool) -> str:
    """fa_digits that can take rendered HTML too (a title block): entities like &#39; keep their Latin digits."""
    if isinstance(value, Markup):
        return escape(_digits(value.unescape(), persian))
    return _digits(str(value), persian)


def local_number(n: int | float | Decimal) -> str:
    """A number for a message shown now: Persian digits unless the page is in another language."""
    return format_number(n, persian=persian_digits_enabled())


def format_rial(n: int | Decimal, *, persian: bool = True) -> str:
    return gettext("%(amount)s ریال", amount=format_number(n, persian=persian))


def format_toman(rial: int | Decimal, *, persian: bool = True) -> str:
    exact = Decimal(rial) / 10
    toman = int(exact) if exact == exact.to_integral_value() else exact.normalize()
    return gettext("%(amount)s تومان", amount=format_number(toman, persian=persian))


def to_tehran(dt: datetime) -> datetime:
    """Stored datetimes are UTC; naive ones are taken to be UTC too."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(TEHRAN)


def tehran_day_start(day: date) -> datetime:
    """Midnight in Tehran at the start of a (Gregorian) date, as the naive UTC the database stores."""
    return datetime.combine(day, time.min, tzinfo=TEHRAN).astimezone(UTC).replace(tzinfo=None)


def tehran_day_end(day: date) -> datetime:
    """The end of a Tehran day, exclusive: the next day's start, so [start, end) holds the whole day."""
    return tehran_day_start(day + timedelta(days=1))


@lru_cache(maxsize=4096)
def _jalali_day(day: date) -> tuple[int, int, int]:
    # jdatetime's conversion is about 25 µs; a page's dates are mostly a few days, and a desk list repeats them.
    j = jdatetime.date.fromgregorian(date=day)
    return j.year, j.month, j.day


def jalali_date(value: date, *, persian: bool = True) -> str:
    # A stored moment is dated in Tehran; a bare date has no time of day, so there is no timezone to shift it through.
    day = to_tehran(value).date() if isinstance(value, datetime) else value
    year, month, dom = _jalali_day(day)
    return _digits(f"{year:04d}/{month:02d}/{dom:02d}", persian)


def jalali_datetime(value: date, *, persian: bool = True) -> str:
    moment = to_tehran(value) if isinstance(value, datetime) else datetime.combine(value, time.min)
    year, month, dom = _jalali_day(moment.date())
    return _digits(f"{year:04d}/{month:02d}/{dom:02d} {moment.hour:02d}:{moment.minute:02d}", persian)


def machine_datetime(value: datetime) -> str:
    """A stored moment (naive is UTC) for a <time datetime> attribute: '2026-12-02T07:39:01Z', whole seconds (the
    HTML grammar allows at most three fraction digits; isoformat() writes six)."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.replace(microsecond=0).isoformat() + "Z"


def jalali_today() -> jdatetime.date:
    return jdatetime.date.fromgregorian(date=datetime.now(TEHRAN).date())


_JALALI_DATE = re.compile(r"([0-9]{4})\s*([/\-.])\s*([0-9]{1,2})\s*\2\s*([0-9]{1,2})")


def parse_jalali_date(text: str | None) -> date:
    """'1405/09/04' or '۱۴۰۵-۰۹-۰۴' to a Gregorian date; ValueError if it is not a real Jalali date."""
    match = _JALALI_DATE.fullmatch(fold_digits(text or "").strip())
    if match is None:
        raise ValueError(_l("تاریخ را به شکل ۱۴۰۵/۰۹/۰۴ وارد کنید."))
    year, _, month, day = match.groups()
    try:
        return jdatetime.date(int(year), int(month), int(day)).togregorian()
    except ValueError:
        raise ValueError(_l("این تاریخ در تقویم وجود ندارد.")) from None


def register_filters(app: Flask) -> None:
    """Template filters; None renders as "" so optional columns need no guards in templates."""

    def localized(fn):
        return lambda value: "" if value is None else fn(value, persian=persian_digits_enabled())

    filters = {
        "fa_digits": _digits_of_markup,
        "fa_number": format_number,
        "rial": format_rial,
        "toman": format_toman,
        "jalali": jalali_date,
        "jalali_datetime": jalali_datetime,
    }
    for name, fn in filters.items():
        app.add_template_filter(localized(fn), name)
    app.add_template_filter(lambda value: "" if value is None else machine_datetime(value), "iso_datetime")
