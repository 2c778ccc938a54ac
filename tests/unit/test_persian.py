from datetime import UTC, date, datetime, timedelta, timezone

import jdatetime
import pytest
from flask import Flask, render_template_string
from flask_babel import Babel
from hypothesis import given
from hypothesis import strategies as st

from app.core.persian import (
    PERSIAN_ALPHABET,
    TEHRAN,
    ZWNJ,
    clean_text,
    fold_digits,
    format_number,
    format_rial,
    format_toman,
    jalali_date,
    jalali_datetime,
    jalali_today,
    machine_datetime,
    normalize,
    normalize_for_search,
    parse_jalali_date,
    parse_whole_number,
    persian_digits_enabled,
    persian_sort_key,
    register_filters,
    search_variants,
    tehran_day_end,
    tehran_day_start,
    to_persian_digits,
)

PERSIAN = "۰۱۲۳۴۵۶۷۸۹"
ARABIC = "٠١٢٣٤٥٦٧٨٩"
BIDI = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
DIACRITICS = "".join(map(chr, range(0x064B, 0x0660))) + "\u0670"
TRICKY = "يىكةأإٱؤآۀ\u0640\u200b\u200c\u200d\ufeff\x00\t\n \u00a0" + BIDI + DIACRITICS + PERSIAN + ARABIC
FORBIDDEN = set("يىكة\u0640\u200b\u200d\ufeff\x00" + BIDI + DIACRITICS + PERSIAN + ARABIC)

# Plain text is mostly Latin; bias generation towards the characters normalize() exists for.
messy_text = st.text(
    alphabet=st.one_of(
        st.sampled_from(TRICKY),
        st.characters(min_codepoint=0x0600, max_codepoint=0x06FF),
        st.characters(min_codepoint=0xFB50, max_codepoint=0xFEFF),
        st.characters(),
    )
)


@given(messy_text)
def test_normalize_is_idempotent(text):
    once = normalize(text)
    assert normalize(once) == once


@given(messy_text)
def test_normalize_output_is_clean(text):
    out = normalize(text)
    assert not FORBIDDEN & set(out)
    assert out == out.strip() and "  " not in out
    assert all(not ch.isspace() or ch == " " for ch in out)
    assert ZWNJ * 2 not in out and not out.startswith(ZWNJ) and not out.endswith(ZWNJ)
    assert f" {ZWNJ}" not in out and f"{ZWNJ} " not in out


@given(messy_text)
def test_search_form_has_no_zwnj_punctuation_or_capitals(text):
    out = normalize_for_search(text)
    assert ZWNJ not in out and "  " not in out and out == out.strip()
    assert out == out.casefold()
    assert not set(out) & set(".,!?؟،؛«»()-")
    assert normalize_for_search(out) == out


@given(st.integers())
def test_digit_scripts_round_trip(n):
    persian = to_persian_digits(n)
    assert not set(persian) & set("0123456789")
    assert fold_digits(persian) == str(n)
    assert to_persian_digits(fold_digits(persian)) == persian


@given(st.text(alphabet=st.sampled_from("0123456789")))
def test_fold_digits_handles_both_eastern_scripts(ascii_digits):
    for script in (PERSIAN, ARABIC):
        assert fold_digits(ascii_digits.translate(str.maketrans("0123456789", script))) == ascii_digits


@pytest.mark.parametrize(
    "text, expected",
    [
        ("۱۲٬۵۰۰", 12500),
        ("١٢،٥٠٠", 12500),
        ("12,500", 12500),
        (" 1 250 000 ", 1250000),
        ("۰۰۷", 7),
        ("1_000", 1000),
        ("12٫5", None),
        ("12.5", None),
        ("-5", None),
        ("", None),
        (None, None),
        ("²", None),
        ("١٢x", None),
        ("\u0967\u0968", None),  # Devanagari digits are digits to \d and int(), not to a person typing Persian
        ("9" * 16, None),
    ],
)
def test_parse_whole_number_examples(text, expected):
    assert parse_whole_number(text) == expected


def test_parse_whole_number_sign_and_length_are_the_callers_choice():
    assert parse_whole_number("-۵", signed=True) == -5
    assert parse_whole_number("1234567", max_digits=6) is None
    assert parse_whole_number("123456", max_digits=6) == 123456


@given(st.integers(min_value=0, max_value=10**15 - 1), st.sampled_from(["en", "fa", "ar"]))
def test_parse_whole_number_reads_back_any_formatted_number(n, script):
    text = format_number(n, persian=script == "fa")
    if script == "ar":
        text = text.translate(str.maketrans("0123456789", ARABIC))
    assert parse_whole_number(text) == n


@pytest.mark.parametrize(
    "raw, expected",
    [
        (None, ""),
        ("  ", ""),
        ("علي كريمي", "علی کریمی"),
        ("مدرسة", "مدرسه"),
        ("أحمد إمام ٱلله مؤسسه", "احمد امام الله موسسه"),
        ("آب", "آب"),
        ("مُحَمَّد", "محمد"),
        ("خانهٔ من", "خانه من"),
        ("خانۀ من", "خانه من"),
        ("تهــــران", "تهران"),
        ("پلاک ۱۲ واحد ٣", "پلاک 12 واحد 3"),
        ("\u202bتهران\u202c\u200f", "تهران"),
        ("ab\x00c\u200b\u200dd\ufeff", "abcd"),
        ("می\u200c\u200c\u200cخواهم", "می\u200cخواهم"),
        ("\u200cمی\u200cخواهم\u200c", "می\u200cخواهم"),
        ("کتاب\u200c ها \u200cی من", "کتاب ها ی من"),
        ("a\t\n b\u00a0\u00a0c", "a b c"),
        ("ﻛﺘﺎﺏ ﻋﻠﻲ", "کتاب علی"),
        ("ﮐﯿﻒ", "کیف"),
    ],
)
def test_normalize_examples(raw, expected):
    assert normalize(raw) == expected


# --- clean_text: the one form for storing what people read (admin forms, the importer, addresses) -------------

STORAGE_FORBIDDEN = set("يىك\u0640\u200b\u200d\ufeff\x00\ue000" + BIDI)


@given(messy_text)
def test_clean_text_is_idempotent(text):
    once = clean_text(text)
    assert clean_text(once) == once


@given(messy_text)
def test_clean_text_folds_arabic_letters_and_drops_invisible_characters(text):
    out = clean_text(text)
    assert not STORAGE_FORBIDDEN & set(out)
    assert out == out.strip() and "  " not in out
    assert all(not ch.isspace() or ch == " " for ch in out)
    assert ZWNJ * 2 not in out and not out.startswith(ZWNJ) and not out.endswith(ZWNJ)
    assert f" {ZWNJ}" not in out and f"{ZWNJ} " not in out


@given(messy_text)
def test_cleaning_before_storing_never_changes_how_text_compares_or_is_found(text):
    assert normalize(clean_text(text)) == normalize(text)
    assert normalize_for_search(clean_text(text)) == normalize_for_search(text)


@given(st.lists(st.text(alphabet=PERSIAN_ALPHABET + "آ", min_size=1, max_size=6), min_size=2, max_size=4))
def test_clean_text_keeps_a_zwnj_between_letters(parts):
    joined = ZWNJ.join(parts)
    assert clean_text(joined) == joined
    assert clean_text(joined.replace(ZWNJ, ZWNJ * 3)) == joined


@pytest.mark.parametrize(
    "raw, expected",
    [
        (None, ""),
        ("علي كريمي", "علی کریمی"),
        ("سازمان تأمین اجتماعی", "سازمان تأمین اجتماعی"),  # hamza forms are spelling, kept
        ("مؤسسهٔ ۱۲", "مؤسسهٔ ۱۲"),  # diacritics and the digits typed are kept
        ("پلاک 12", "پلاک 12"),
        ("تهــــران", "تهران"),  # the tatweel only stretches
        ("\u202bتهران\u202c\u200f", "تهران"),
        ("ab\x00c\u200b\u200dd\ufeff\ue000", "abcd"),
        ("می\u200c\u200c\u200cخواهم", "می\u200cخواهم"),
        ("\u200cمی\u200cخواهم\u200c", "می\u200cخواهم"),
        ("a\t\n b\u00a0\u00a0c", "a b c"),
        ("ﻛﺘﺎﺏ ﻋﻠﻲ", "کتاب علی"),  # presentation forms from PDF copy and paste
    ],
)
def test_clean_text_examples(raw, expected):
    assert clean_text(raw) == expected


def test_one_alphabet_sorts_persian_names_the_way_a_reader_expects():
    assert len(PERSIAN_ALPHABET) == 32 and PERSIAN_ALPHABET[:4] == "ابپت" and PERSIAN_ALPHABET[-1] == "ی"
    names = ["یزد", "گیلان", "پیشوا", "آمل", "ارومیه", "چالوس", "بم", "زنجان", "ژیان", "کرج"]
    assert sorted(names, key=persian_sort_key) == [
        "آمل",
        "ارومیه",
        "بم",
        "پیشوا",
        "چالوس",
        "زنجان",
        "ژیان",
        "کرج",
        "گیلان",
        "یزد",
    ]


def test_normalize_leaves_other_compatibility_characters_alone():
    assert normalize("ﬁ x² Ｆ") == "ﬁ x² Ｆ"


def test_search_forms():
    assert normalize_for_search("  Tehran، «ایران»!  ") == "tehran ایران"
    assert normalize_for_search("می‌خواهم") == "می خواهم"
    assert normalize_for_search("كتاب‌ها") == "کتاب ها"
    assert search_variants("می‌خواهم ثبت‌نام") == {"می خواهم ثبت نام", "میخواهم ثبتنام"}
    assert search_variants("گذرنامه") == {"گذرنامه"}
    assert search_variants(" ؟ ") == set()


@pytest.mark.parametrize(
    "n, expected",
    [(0, "۰"), (999, "۹۹۹"), (1000, "۱٬۰۰۰"), (1234567, "۱٬۲۳۴٬۵۶۷"), (-12500, "\u200e-۱۲٬۵۰۰"), (2.5, "۲٫۵")],
)
def test_format_number(n, expected):
    assert format_number(n) == expected


def test_a_negative_number_keeps_its_sign_on_the_left_on_a_right_to_left_page():
    # The weekly report's "change against the week before" showed «۶-»: a bare "-" before Persian digits is drawn on
    # their right in a right-to-left paragraph. A left-to-right mark first keeps "-۶" in reading order.
    assert format_number(-6) == "\u200e-۶"
    assert format_number(-6, persian=False) == "-6"
    assert parse_whole_number(format_number(-1250), signed=True) == -1250


def test_money():
    assert format_rial(12500) == "۱۲٬۵۰۰ ریال"
    assert format_toman(12500) == "۱٬۲۵۰ تومان"
    assert format_toman(12505) == "۱٬۲۵۰٫۵ تومان"
    assert format_number(1234567, persian=False) == "1,234,567"
    assert format_rial(12500, persian=False) == "12,500 ریال"


def test_nowruz_1405_is_20_march_2026_in_tehran():
    assert jdatetime.date.fromgregorian(date=date(2026, 3, 21)) == jdatetime.date(1405, 1, 1)
    tehran = datetime(2026, 3, 20, 20, 30, tzinfo=UTC).astimezone(TEHRAN)
    assert tehran.utcoffset() == timedelta(hours=3, minutes=30)


def test_jalali_day_flips_at_tehran_midnight_not_utc_midnight():
    assert jalali_datetime(datetime(2026, 3, 20, 20, 29)) == "۱۴۰۴/۱۲/۲۹ ۲۳:۵۹"
    assert jalali_datetime(datetime(2026, 3, 20, 20, 30)) == "۱۴۰۵/۰۱/۰۱ ۰۰:۰۰"
    assert jalali_date(datetime(2026, 3, 20, 20, 30)) == "۱۴۰۵/۰۱/۰۱"
    # UTC midnight is 03:30 in Tehran, long after the day changed there.
    assert jalali_datetime(datetime(2026, 3, 21, 0, 0, tzinfo=UTC)) == "۱۴۰۵/۰۱/۰۱ ۰۳:۳۰"


def test_a_tehran_day_runs_from_2030_utc_the_evening_before_to_2030_utc():
    nowruz = date(2026, 3, 21)  # 1405/01/01
    assert tehran_day_start(nowruz) == datetime(2026, 3, 20, 20, 30)
    assert tehran_day_end(nowruz) == datetime(2026, 3, 21, 20, 30)
    assert tehran_day_start(nowruz).tzinfo is None  # stored timestamps are naive UTC
    # The last moment of 1404 falls before the start, the first of 1405 inside.
    assert jalali_date(tehran_day_start(nowruz) - timedelta(microseconds=1)) == "۱۴۰۴/۱۲/۲۹"
    assert jalali_date(tehran_day_end(nowruz) - timedelta(microseconds=1)) == "۱۴۰۵/۰۱/۰۱"


def test_jalali_respects_aware_input_and_plain_dates():
    paris = timezone(timedelta(hours=1))
    assert jalali_datetime(datetime(2026, 3, 20, 21, 30, tzinfo=paris)) == "۱۴۰۵/۰۱/۰۱ ۰۰:۰۰"
    assert jalali_date(date(2026, 11, 25)) == "۱۴۰۵/۰۹/۰۴"
    assert jalali_date(date(2026, 11, 25), persian=False) == "1405/09/04"


def test_jalali_today_is_tehran_today():
    before = jdatetime.date.fromgregorian(date=datetime.now(TEHRAN).date())
    today = jalali_today()
    after = jdatetime.date.fromgregorian(date=datetime.now(TEHRAN).date())
    assert isinstance(today, jdatetime.date) and before <= today <= after


@pytest.mark.parametrize("text", ["1405/09/04", "۱۴۰۵-۰۹-۰۴", "١٤٠٥.٩.٤", " 1405 / 9 / 4 "])
def test_parse_jalali_date(text):
    assert parse_jalali_date(text) == date(2026, 11, 25)


def test_parse_jalali_date_knows_leap_years():
    assert parse_jalali_date("1403/12/30") == date(2025, 3, 20)
    with pytest.raises(ValueError):
        parse_jalali_date("1405/12/30")


@pytest.mark.parametrize(
    "text",
    [
        None,
        "",
        "abc",
        "1405/13/01",
        "1405/00/10",
        "1405/07/31",
        "1405/09-04",
        "1405/09/04/01",
        "05/09/04",
        "1405/009/04",
    ],
)
def test_parse_jalali_date_rejects_nonsense(text):
    with pytest.raises(ValueError):
        parse_jalali_date(text)


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31)))
def test_parse_jalali_date_inverts_jalali_date(d):
    assert parse_jalali_date(jalali_date(d)) == d


@pytest.fixture
def app():
    app = Flask(__name__)
    app.config["BABEL_DEFAULT_LOCALE"] = "fa"
    Babel(app, locale_selector=lambda: app.config.get("TEST_LOCALE"))
    register_filters(app)
    return app


TEMPLATE = (
    "{{ 1234567|fa_number }}|{{ 12500|rial }}|{{ 12500|toman }}|{{ when|jalali }}|{{ when|jalali_datetime }}"
    "|{{ 'کد 42'|fa_digits }}|{{ none|rial }}{{ none|jalali }}"
)


def test_filters_in_persian(app):
    with app.test_request_context():
        assert persian_digits_enabled()
        rendered = render_template_string(TEMPLATE, when=datetime(2026, 3, 20, 20, 30), none=None)
    assert rendered == "۱٬۲۳۴٬۵۶۷|۱۲٬۵۰۰ ریال|۱٬۲۵۰ تومان|۱۴۰۵/۰۱/۰۱|۱۴۰۵/۰۱/۰۱ ۰۰:۰۰|کد ۴۲|"


def test_filters_in_other_locales_keep_ascii_digits_and_jalali_dates(app):
    app.config["TEST_LOCALE"] = "en"
    with app.test_request_context():
        assert not persian_digits_enabled()
        rendered = render_template_string(TEMPLATE, when=datetime(2026, 3, 20, 20, 30), none=None)
    assert rendered == "1,234,567|12,500 ریال|1,250 تومان|1405/01/01|1405/01/01 00:00|کد 42|"


def test_persian_digits_are_the_default_outside_a_request():
    assert persian_digits_enabled()


def test_time_element_datetimes_are_utc_in_whole_seconds(app):
    """<time datetime> takes at most three fraction digits (the Nu checker refuses isoformat()'s six)."""
    assert machine_datetime(datetime(2026, 12, 2, 7, 39, 1, 102374)) == "2026-12-02T07:39:01Z"
    tehran = datetime(2026, 12, 2, 11, 9, 1, 5, tzinfo=TEHRAN)
    assert machine_datetime(tehran) == "2026-12-02T07:39:01Z"
    with app.test_request_context():
        rendered = render_template_string(
            "{{ moment|iso_datetime }}|{{ none|iso_datetime }}", moment=datetime(2026, 1, 2)
        )
    assert rendered == "2026-01-02T00:00:00Z|"
