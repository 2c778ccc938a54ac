import random

import pytest
from flask import Flask
from flask_babel import Babel
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict
from wtforms import Form, StringField
from wtforms.validators import DataRequired, Optional

from app.core.identifiers import (
    InvalidIdentifier,
    clean_legal_id,
    clean_mobile,
    clean_national_code,
    clean_postal_code,
    clean_tracking_code,
    damm_digit,
    format_tracking_code,
    is_valid_tracking_code,
    new_tracking_code,
)
from app.core.validators import LegalId, Mobile, NationalCode, PostalCode, TrackingCode

SCRIPTS = {"ascii": "0123456789", "persian": "۰۱۲۳۴۵۶۷۸۹", "arabic": "٠١٢٣٤٥٦٧٨٩"}


def digits(n):
    return st.text(alphabet=st.sampled_from("0123456789"), min_size=n, max_size=n)


@st.composite
def as_typed(draw, code, separators=" -\u200c"):
    """The canonical code as a person might type it: any digit script, stray separators, padding."""
    code = code.translate(str.maketrans("0123456789", draw(st.sampled_from(list(SCRIPTS.values())))))
    out = "".join(ch + (draw(st.sampled_from(separators)) if draw(st.booleans()) else "") for ch in code)
    return draw(st.sampled_from(["", " ", "  "])) + out.rstrip(separators) + draw(st.sampled_from(["", " ", "\t"]))


def national_check(body):
    r = sum(int(c) * w for c, w in zip(body, range(10, 1, -1))) % 11
    return str(r if r < 2 else 11 - r)


national_codes = digits(9).filter(lambda b: len(set(b)) > 1).map(lambda b: b + national_check(b))


def message(fn, value):
    with pytest.raises(InvalidIdentifier) as exc:
        fn(value)
    assert isinstance(exc.value, ValueError)
    return str(exc.value.message)


# --- national code ---------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["0499370899", "0013542419", "0084575948"])
def test_valid_national_codes(code):
    assert clean_national_code(code) == code


def test_national_code_accepts_other_scripts_and_grouping():
    assert clean_national_code(" ۰۴۹-۹۳۷۰۸۹-۹ ") == "0499370899"
    assert clean_national_code("٠٤٩٩٣٧٠٨٩٩") == "0499370899"


@pytest.mark.parametrize("code", ["0499370898", "0499370890", "1234567890"])
def test_national_code_with_wrong_check_digit(code):
    assert message(clean_national_code, code) == "کد ملی معتبر نیست."


@pytest.mark.parametrize("digit", "0123456789")
def test_all_same_digit_national_codes_are_rejected_even_if_checksum_fits(digit):
    assert message(clean_national_code, digit * 10) == "کد ملی معتبر نیست."


@pytest.mark.parametrize("code", ["", None, "499370899", "04993708990", "04993708a9", "0499370899+"])
def test_national_code_length_is_not_padded(code):
    assert message(clean_national_code, code) == "کد ملی باید ۱۰ رقم باشد."


@given(national_codes.flatmap(lambda code: st.tuples(st.just(code), as_typed(code))))
def test_generated_national_codes_pass_however_typed(pair):
    code, typed = pair
    assert clean_national_code(typed) == code


@given(digits(9).filter(lambda b: len(set(b)) > 1))
def test_exactly_one_national_check_digit_fits(body):
    assert sum(1 for d in "0123456789" if _passes(clean_national_code, body + d)) == 1


def _passes(fn, value):
    try:
        fn(value)
    except InvalidIdentifier:
        return False
    return True


# --- legal entity national ID -----------------------------------------------------------------


def legal_check(body):
    s = int(body[9]) + 2
    r = sum((int(c) + s) * w for c, w in zip(body, (29, 27, 23, 19, 17, 29, 27, 23, 19, 17))) % 11
    return str(0 if r == 10 else r)


legal_ids = digits(10).filter(lambda b: b != "0" * 10).map(lambda b: b + legal_check(b))


@pytest.mark.parametrize("code", ["10380284790", "14007650912"])
def test_valid_legal_ids(code):
    assert clean_legal_id(code) == code
    assert clean_legal_id(code.translate(str.maketrans(SCRIPTS["ascii"], SCRIPTS["persian"]))) == code


@pytest.mark.parametrize("code", ["10380284791", "14007650919", "00000000000"])
def test_invalid_legal_ids(code):
    assert message(clean_legal_id, code) == "شناسه ملی معتبر نیست."


@pytest.mark.parametrize("code", ["", "1038028479", "103802847900"])
def test_legal_id_length(code):
    assert message(clean_legal_id, code) == "شناسه ملی باید ۱۱ رقم باشد."


@given(legal_ids.flatmap(lambda code: st.tuples(st.just(code), as_typed(code))))
def test_generated_legal_ids_pass_however_typed(pair):
    code, typed = pair
    assert clean_legal_id(typed) == code


@given(digits(10).filter(lambda b: b != "0" * 10))
def test_exactly_one_legal_check_digit_fits(body):
    assert sum(1 for d in "0123456789" if _passes(clean_legal_id, body + d)) == 1


# --- mobile -----------------------------------------------------------------------------------

MOBILE_PREFIXES = ["09", "9", "+989", "00989", "989", "+98 9", "+98 (0)9", "0098-9"]


@given(digits(9), st.sampled_from(MOBILE_PREFIXES), st.data())
def test_mobile_numbers_in_every_common_shape(rest, prefix, data):
    typed = data.draw(as_typed(rest, separators=" -.()"))
    script = data.draw(st.sampled_from(list(SCRIPTS.values())))
    prefix = prefix.translate(str.maketrans("0123456789", script))
    assert clean_mobile(prefix + typed.strip()) == "09" + rest


@pytest.mark.parametrize(
    "raw", ["0912 345 6789", "(0912) 345-6789", "+98 912 345 6789", "۰۹۱۲۳۴۵۶۷۸۹", "٩١٢٣٤٥٦٧٨٩", "00989123456789"]
)
def test_mobile_examples(raw):
    assert clean_mobile(raw) == "09123456789"


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "02188888888",
        "0912345678",
        "091234567890",
        "+1 912 345 6789",
        "0912+3456789",
        "0912345678x",
        "+0989123456789",
    ],
)
def test_invalid_mobiles(raw):
    assert "شماره موبایل معتبر نیست" in message(clean_mobile, raw)


# --- postal code ------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["1619735744", "۱۴۳۹۸-۶۳۱۴۱", "3155998765"])
def test_valid_postal_codes(code):
    assert clean_postal_code(code) == fold(code).replace("-", "")


def fold(text):
    return text.translate(str.maketrans(SCRIPTS["persian"] + SCRIPTS["arabic"], SCRIPTS["ascii"] * 2))


@pytest.mark.parametrize(
    "code",
    [
        "1111345678",  # four equal leading digits
        "0619735744",  # 0 in the first four
        "1219735744",  # 2 in the first four
        "1619535744",  # 5 in the fifth
        "1619735724",  # 2 in the last five
    ],
)
def test_invalid_postal_codes(code):
    assert message(clean_postal_code, code) == "کد پستی معتبر نیست."


def test_postal_code_length():
    assert message(clean_postal_code, "161973574") == "کد پستی باید ۱۰ رقم باشد."


@given(st.from_regex(r"[13-9]{4}[1346-9][013-9]{5}", fullmatch=True).filter(lambda c: len(set(c[:4])) > 1), st.data())
def test_generated_postal_codes_pass_however_typed(code, data):
    assert clean_postal_code(data.draw(as_typed(code))) == code


# --- tracking codes ---------------------------------------------------------------------------


def test_damm_reference_vector():
    assert damm_digit("572") == "4"
    assert damm_digit("5724") == "0"


def sample_codes(n=300):
    rng = random.Random(1405)
    bodies = (str(rng.randint(10**10, 10**11 - 1)) for _ in range(n))
    return [body + damm_digit(body) for body in bodies]


def test_every_single_digit_substitution_is_caught():
    for code in sample_codes():
        assert is_valid_tracking_code(code)
        for i, original in enumerate(code):
            for d in "0123456789".replace(original, ""):
                typo = code[:i] + d + code[i + 1 :]
                assert not is_valid_tracking_code(typo), (code, typo)


def test_every_adjacent_transposition_is_caught():
    for code in sample_codes():
        for i in range(len(code) - 1):
            if code[i] != code[i + 1]:
                swapped = code[:i] + code[i + 1] + code[i] + code[i + 2 :]
                assert not is_valid_tracking_code(swapped), (code, swapped)


def test_new_tracking_codes_are_valid_random_and_twelve_digits():
    codes = [new_tracking_code() for _ in range(1000)]
    assert all(len(c) == 12 and c.isascii() and c.isdigit() and c[0] != "0" for c in codes)
    assert all(is_valid_tracking_code(c) and clean_tracking_code(c) == c for c in codes)
    assert len(set(codes)) == len(codes)
    assert not any(abs(int(a[:11]) - int(b[:11])) <= 1 for a, b in zip(codes, codes[1:]))
    assert len({c[0] for c in codes}) == 9 and len({c[-1] for c in codes}) == 10


@given(st.data())
def test_tracking_code_accepts_separators_and_scripts(data):
    code = new_tracking_code()
    assert clean_tracking_code(data.draw(as_typed(code, separators=" -.\u200c"))) == code


def test_tracking_code_errors_tell_length_from_typo():
    code = sample_codes(1)[0]
    typo = code[:5] + str((int(code[5]) + 1) % 10) + code[6:]
    length = message(clean_tracking_code, code[:-1])
    typed_wrong = message(clean_tracking_code, typo)
    assert length == message(clean_tracking_code, code + "0") == message(clean_tracking_code, "کد")
    assert "۱۲ رقم" in length
    assert "اشتباه تایپ" in typed_wrong
    assert length != typed_wrong


def test_is_valid_tracking_code_is_strict_about_form():
    code = sample_codes(1)[0]
    assert not is_valid_tracking_code(format_tracking_code(code))
    assert not is_valid_tracking_code(code.translate(str.maketrans(SCRIPTS["ascii"], SCRIPTS["persian"])))
    assert not is_valid_tracking_code(code[:-1])


def test_format_tracking_code():
    assert format_tracking_code("123456789012") == "1234 5678 9012"
    code = new_tracking_code()
    assert clean_tracking_code(format_tracking_code(code)) == code


# --- WTForms validators -----------------------------------------------------------------------


class IdentityForm(Form):
    national_code = StringField(validators=[Optional(), NationalCode()])
    legal_id = StringField(validators=[Optional(), LegalId()])
    mobile = StringField(validators=[DataRequired(), Mobile()])
    postal_code = StringField(validators=[PostalCode()])
    tracking_code = StringField(validators=[TrackingCode(message="custom")])


def post(**fields):
    return MultiDict(fields)


@pytest.fixture
def request_context():
    app = Flask(__name__)
    Babel(app)
    with app.test_request_context():
        yield


def test_validators_store_canonical_values(request_context):
    form = IdentityForm(
        post(
            national_code="۰۴۹۹ ۳۷۰۸۹۹",
            legal_id="10380284790",
            mobile="+98 912 345 6789",
            postal_code="۱۶۱۹۷-۳۵۷۴۴",
            tracking_code=format_tracking_code("875954805246"),
        )
    )
    assert form.validate(), form.errors
    assert form.data == {
        "national_code": "0499370899",
        "legal_id": "10380284790",
        "mobile": "09123456789",
        "postal_code": "1619735744",
        "tracking_code": "875954805246",
    }


def test_validators_report_the_persian_message(request_context):
    form = IdentityForm(
        post(
            national_code="123",
            legal_id="10380284791",
            mobile="12",
            postal_code="1111111111",
            tracking_code="875954805247",
        )
    )
    assert not form.validate()
    assert form.errors == {
        "national_code": ["کد ملی باید ۱۰ رقم باشد."],
        "legal_id": ["شناسه ملی معتبر نیست."],
        "mobile": ["شماره موبایل معتبر نیست؛ آن را مانند ۰۹۱۲۳۴۵۶۷۸۹ وارد کنید."],
        "postal_code": ["کد پستی معتبر نیست."],
        "tracking_code": ["custom"],
    }


def test_validators_leave_empty_values_to_required_and_optional(request_context):
    form = IdentityForm(post(national_code="", mobile="  ", postal_code=""))
    assert not form.validate()
    assert list(form.errors) == ["mobile"]
    assert form.postal_code.data == "" and form.tracking_code.data is None
