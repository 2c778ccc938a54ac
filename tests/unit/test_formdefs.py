"""Forms as data: every field type through the real apply page, and the rules behind it.

Each type is checked the way a citizen meets it: a valid answer is accepted and stored canonically, an invalid
one gets a Persian message next to the field (400) with what was typed still in the form. Then the functions the
filing path and the request pages share: validate_answers and display_answers.
"""

import io
import re
import secrets
from datetime import date
from html.parser import HTMLParser

import jdatetime
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from app.extensions import db
from app.models import Request
from app.requests.formdefs import answers_from, build_form, display_answers, validate_answers
from tests import factories as f
from tests.web.helpers import apply_online, sign_in_citizen

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
ARABIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
COLOURS = [
    ["white", "سفید"],
    ["black", "مشکی"],
    ["red", "قرمز"],
    ["blue", "آبی"],
    ["green", "سبز"],
    ["silver", "نقره‌ای"],
]  # six choices: a select rather than radio buttons

# One form with every type; every field required so that leaving any out is an error.
FORM = [
    {"name": "plate", "type": "text", "label": "شمارهٔ پلاک", "required": True, "max_length": 20},
    {"name": "story", "type": "textarea", "label": "شرح ماجرا", "required": True, "max_length": 60},
    {"name": "copies", "type": "number", "label": "تعداد نسخه", "required": True, "min": 1, "max": 5},
    {"name": "price", "type": "amount", "label": "مبلغ قرارداد", "required": True},
    {"name": "owner", "type": "national_code", "label": "کد ملی مالک", "required": True},
    {"name": "phone", "type": "mobile", "label": "شمارهٔ همراه مالک", "required": True},
    {"name": "zip", "type": "postal_code", "label": "کد پستی", "required": True},
    {"name": "born", "type": "date", "label": "تاریخ تولد", "required": True},
    {
        "name": "reason",
        "type": "choice",
        "label": "دلیل درخواست",
        "required": True,
        "choices": [["lost", "گم شدن"], ["worn", "فرسودگی"]],
    },
    {"name": "colour", "type": "choice", "label": "رنگ خودرو", "required": True, "choices": COLOURS},
    {
        "name": "extras",
        "type": "multi_choice",
        "label": "خدمات جانبی",
        "required": True,
        "choices": [["post", "ارسال پستی"], ["sms", "خبر با پیامک"], ["copy", "نسخهٔ دوم"]],
    },
    {"name": "insured", "type": "yes_no", "label": "بیمه دارد؟", "required": True},
    {"name": "home", "type": "address", "label": "نشانی محل سکونت", "required": True},
    {"name": "scan", "type": "file", "label": "تصویر سند", "required": True, "accept": ["pdf"], "max_size_mb": 1},
]
OWNER = f.national_code(123456789)  # "1234567891", a valid code
VALID = {
    "plate": "۱۲ب۳۴۵-۶۶",
    "story": "کارت خودرو در اسباب‌کشی گم شد.",
    "copies": "۲",
    "price": "۱۲٬۵۰۰",
    "owner": OWNER.translate(PERSIAN),
    "phone": "۰۹۱۲ ۳۴۵ ۶۷۸۹",
    "zip": "۱۱۹۳۶-۵۳۴۷۱",
    "born": "۱۴۰۳/۰۱/۰۱",
    "reason": "worn",
    "colour": "silver",
    "extras": ["post", "copy"],
    "insured": "no",
    "home__province": "23",
    "home__county": "تهران",
    "home__text": "خيابان ولي‌عصر، پلاك ۱۲",
}
STORED = {
    "plate": "۱۲ب۳۴۵-۶۶",
    "story": "کارت خودرو در اسباب‌کشی گم شد.",
    "copies": 2,
    "price": 12500,
    "owner": OWNER,
    "phone": "09123456789",
    "zip": "1193653471",
    "born": "2024-03-20",
    "reason": "worn",
    "colour": "silver",
    "extras": ["post", "copy"],
    "insured": False,
    "home": {"province": "23", "county": "تهران", "text": "خیابان ولی‌عصر، پلاک ۱۲"},
}


# --- a small HTML reader (the standard library's parser; no extra dependency) ---------------------------------


class Node:
    def __init__(self, tag, attrs):
        self.tag, self.attrs, self.children = tag, attrs, []

    def walk(self):
        for child in self.children:
            if isinstance(child, Node):
                yield child
                yield from child.walk()

    def text(self):
        return " ".join("".join(c if isinstance(c, str) else c.text() for c in self.children).split())


class Page(HTMLParser):
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self, html):
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        node = Node(tag, dict(attrs))
        self.stack[-1].children.append(node)
        if tag not in self.VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag, attrs):
        self.stack[-1].children.append(Node(tag, dict(attrs)))

    def handle_endtag(self, tag):
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data):
        self.stack[-1].children.append(data)

    def by_id(self, element_id):
        return next((n for n in self.root.walk() if n.attrs.get("id") == element_id), None)

    def controls(self, name):
        return [n for n in self.root.walk() if n.tag in ("input", "textarea", "select") and n.attrs.get("name") == name]

    def value(self, name):
        """What the form shows for a field: its value, its text, or the options that are chosen."""
        found = self.controls(name)
        assert found, f"no control named {name!r} on the page"
        first = found[0]
        if first.tag == "textarea":
            return first.text()
        if first.tag == "select":
            return [o.attrs.get("value") for o in first.walk() if o.tag == "option" and "selected" in o.attrs]
        if first.attrs.get("type") in ("radio", "checkbox"):
            return [n.attrs.get("value") for n in found if "checked" in n.attrs]
        return first.attrs.get("value")

    def error(self, field_id):
        """The message shown next to a field (the field() macro's <p id="…-error">), or None."""
        node = self.by_id(f"{field_id}-error")
        return node.text() if node is not None else None

    def facts(self):
        """The <dt>/<dd> pairs of the answers list on a request page."""
        pairs = []
        for dl in self.root.walk():
            if dl.tag == "dl":
                terms = [n for n in dl.children if isinstance(n, Node) and n.tag in ("dt", "dd")]
                pairs += [(terms[i].text(), terms[i + 1].text()) for i in range(0, len(terms) - 1, 2)]
        return dict(pairs)


def is_persian_message(text):
    """A message meant for a Persian reader: Persian letters, and no Latin letters or Latin digits."""
    return bool(text and re.search("[\u0600-\u06ff]", text) and not re.search("[A-Za-z0-9]", text))


# --- fixtures ---------------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def uploads(app, tmp_path, monkeypatch):
    """Uploaded test files go to a temporary folder, not the instance folder of the working copy."""
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path / "uploads"))


class Applicant:
    """A signed-in citizen in front of one service's apply page."""

    def __init__(self, client, app, service_code, definition):
        self.client, self.app, self.service_code, self.definition = client, app, service_code, definition

    def post(self, data, **overrides):
        """Send the form with some answers replaced (None: left out); a fresh idempotency key each time."""
        fields = {**data, **overrides}
        fields = {k: v for k, v in fields.items() if v is not None}
        fields.update(idempotency_key=secrets.token_urlsafe(24), action="continue")
        if "scan" not in overrides and any(s["name"] == "scan" for s in self.definition):
            fields["scan"] = (io.BytesIO(PDF), "سند.pdf")
        return apply_online(self.client, self.service_code, fields)  # «ادامه», then «فرستادن» on the check page

    def filed(self, response):
        """The answers stored for the request a successful POST redirected to."""
        assert response.status_code == 302, Page(response.get_data(as_text=True)).root.text()[:2000]
        code = response.headers["Location"].rsplit("/", 1)[-1]
        with self.app.app_context():
            return db.session.execute(db.select(Request).filter_by(tracking_code=code)).scalar_one().answers


def _applicant(client, app, definition, n):
    with app.app_context():
        service = f.service(f.agency(name="پلیس راهور"), form=definition, title="صدور المثنی کارت خودرو")
        person = f.citizen(n, mobile=f"0912{n:07d}")
        code, pair = service.code, (person.national_code, person.mobile)
        db.session.commit()
    sign_in_citizen(client, app, *pair)
    return Applicant(client, app, code, definition)


@pytest.fixture
def applicant(client, app):
    return _applicant(client, app, FORM, 5001)


# --- 1. every type, valid: accepted and stored canonically ------------------------------------------------


def test_a_complete_valid_form_is_filed_with_every_answer_canonical(applicant):
    assert applicant.filed(applicant.post(VALID)) == STORED


@pytest.mark.parametrize(
    "name,typed,stored",
    [
        ("plate", "  ۱۲ب۳۴۵-۶۶  ", "۱۲ب۳۴۵-۶۶"),  # free text: kept as typed, only trimmed
        ("story", "\nخط اول\nخط دوم\n", "خط اول\nخط دوم"),
        ("copies", "٣", 3),  # Arabic-Indic digit
        ("copies", "5", 5),
        ("price", "12,500", 12500),
        ("price", "١٢٬٥٠٠", 12500),  # Arabic-Indic digits, Arabic separator
        ("price", "۱۲ ۵۰۰ ۰۰۰", 12500000),
        ("owner", OWNER[:3] + "-" + OWNER[3:9] + "-" + OWNER[9], OWNER),
        ("owner", OWNER.translate(ARABIC), OWNER),
        ("phone", "+98 912 345 6789", "09123456789"),
        ("phone", "۹۱۲۳۴۵۶۷۸۹", "09123456789"),
        ("phone", "٠٩١٢-٣٤٥-٦٧٨٩", "09123456789"),
        ("zip", "1193653471", "1193653471"),
        ("zip", "۱۱۹۳۶ ۵۳۴۷۱", "1193653471"),
        ("born", "1403-1-1", "2024-03-20"),
        ("born", "۱۴۰۳/۱۲/۳۰", "2025-03-20"),  # 1403 is a leap year
        ("reason", "lost", "lost"),
        ("colour", "white", "white"),
        ("extras", ["sms"], ["sms"]),
        ("extras", ["post", "sms", "copy"], ["post", "sms", "copy"]),
        ("insured", "yes", True),
        ("insured", "no", False),
    ],
    ids=lambda v: v if isinstance(v, str) and v.isascii() and len(v) < 12 else None,
)
def test_valid_answer_of_each_type_is_stored_canonically(applicant, name, typed, stored):
    assert applicant.filed(applicant.post(VALID, **{name: typed}))[name] == stored


def test_address_is_stored_as_province_code_county_and_cleaned_text(applicant):
    # Cleaned as every stored text is (persian.clean_text): Persian ی/ک, single spaces; digits and ٔ as typed.
    answers = applicant.filed(
        applicant.post(VALID, home__province="07", home__county=" شيراز ", home__text="  كوچهٔ ۳،‫ پلاك   ۱۴  ")
    )
    assert answers["home"] == {"province": "07", "county": "شیراز", "text": "کوچهٔ ۳، پلاک ۱۴"}


def test_request_page_shows_answers_with_labels_jalali_date_and_persian_digits(applicant):
    response = applicant.post(VALID)
    applicant.filed(response)
    facts = Page(applicant.client.get(response.headers["Location"]).get_data(as_text=True)).facts()
    assert facts["تاریخ تولد"] == "۱۴۰۳/۰۱/۰۱"  # ISO in the database, Jalali on the page
    assert facts["مبلغ قرارداد"] == "۱۲٬۵۰۰ ریال"
    assert facts["تعداد نسخه"] == "۲"
    assert facts["دلیل درخواست"] == "فرسودگی"  # the label, not the stored value "worn"
    assert facts["رنگ خودرو"] == "نقره‌ای"
    assert facts["خدمات جانبی"] == "ارسال پستی، نسخهٔ دوم"
    assert facts["بیمه دارد؟"] == "خیر"
    assert facts["نشانی محل سکونت"].startswith("تهران، تهران، خیابان ولی‌عصر، پلاک")  # province by name
    assert "worn" not in facts.values() and "silver" not in facts.values()


# --- 2. every type, invalid: a Persian message next to the field, and what was typed kept -------------------

INVALID = [
    # field sent, what was typed, id of the field's error, message expected (part of it)
    ("plate", "۱۲ب۳۴۵-۶۶ ایران ۱۱ - تهران بزرگ", "plate", "این متن طولانی‌تر از حد مجاز است."),
    ("plate", "", "plate", "«شمارهٔ پلاک» را وارد کنید."),
    ("story", "خیلی " * 20, "story", "این متن طولانی‌تر از حد مجاز است."),
    ("copies", "دو", "copies", "فقط عدد وارد کنید."),
    ("copies", "۲.۵", "copies", "فقط عدد وارد کنید."),
    ("price", "دوازده هزار", "price", "فقط عدد وارد کنید."),
    ("owner", (OWNER[:9] + str((int(OWNER[9]) + 1) % 10)).translate(PERSIAN), "owner", "کد ملی معتبر نیست."),
    ("owner", "۱۲۳۴۵", "owner", "کد ملی باید ۱۰ رقم باشد."),
    ("phone", "۰۸۱۲۳۴۵۶۷۸۹", "phone", "شماره موبایل معتبر نیست"),
    ("zip", "۰۱۲۳۴۵۶۷۸۹", "zip", "کد پستی معتبر نیست."),
    ("zip", "۱۲۳", "zip", "کد پستی باید ۱۰ رقم باشد."),
    ("born", "۱۴۰۴/۱۲/۳۰", "born", "این تاریخ در تقویم وجود ندارد."),  # 1404 is not a leap year
    ("born", "۱۴۰۳/۱۳/۰۱", "born", "این تاریخ در تقویم وجود ندارد."),
    ("born", "اول فروردین", "born", "تاریخ را به شکل ۱۴۰۵/۰۹/۰۴ وارد کنید."),
]


@pytest.mark.parametrize("name,typed,field_id,message", INVALID, ids=[f"{i}-{row[0]}" for i, row in enumerate(INVALID)])
def test_invalid_typed_answer_is_explained_next_to_its_field_and_kept(applicant, name, typed, field_id, message):
    response = applicant.post(VALID, **{name: typed})
    page = Page(response.get_data(as_text=True))
    assert response.status_code == 400
    shown = page.error(field_id)
    assert shown is not None and message in shown, f"next to {field_id}: {shown!r}"
    assert is_persian_message(shown), f"the message next to {field_id} is not plain Persian: {shown!r}"
    assert page.value(name) == (typed.strip() if page.by_id(field_id).tag == "textarea" else typed)
    assert page.by_id(field_id).attrs.get("aria-invalid") == "true"
    assert page.error("plate" if name != "plate" else "story") is None  # only the wrong answer is flagged


@pytest.mark.parametrize(
    "name,typed,message",
    [
        ("copies", "۱۰", "عدد نباید بیشتر از ۵ باشد."),
        ("copies", "۰", "عدد نباید کمتر از ۱ باشد."),
        ("price", "-۵۰۰", "عدد نباید کمتر از ۰ باشد."),
    ],
    ids=["number-above-max", "number-below-min", "negative-amount"],
)
def test_number_out_of_range_is_explained_with_persian_digits(applicant, name, typed, message):
    response = applicant.post(VALID, **{name: typed})
    page = Page(response.get_data(as_text=True))
    assert response.status_code == 400 and page.value(name) == typed
    assert page.error(name) == message, (
        f"message {page.error(name)!r}: WholeNumber (app/formdefs.py) formats the limit with Latin digits; "
        "it should pass n=local_number(self.maximum) / local_number(self.minimum)"
    )


@pytest.mark.parametrize(
    "name,field_id",
    [
        ("reason", "reason"),
        ("colour", "colour"),
        ("extras", "extras"),
        ("insured", "insured"),
        ("home__province", "home__province"),
        ("home__county", "home__county"),
        ("home__text", "home__text"),
    ],
)
def test_required_choice_or_address_part_left_empty_is_asked_for(applicant, name, field_id):
    response = applicant.post(VALID, **{name: "" if name in ("colour", "home__province") else None})
    page = Page(response.get_data(as_text=True))
    assert response.status_code == 400
    shown = page.error(field_id)
    # What is picked (radio, select, checkbox, the province) is chosen; what is typed is entered.
    verb = "را وارد کنید." if name in ("home__county", "home__text") else "را انتخاب کنید."
    assert shown and shown.endswith(verb) and is_persian_message(shown), shown
    assert f'href="#{field_id}"' in response.get_data(as_text=True)  # linked from the error summary


def test_choices_and_address_stay_chosen_when_another_answer_is_refused(applicant):
    response = applicant.post(VALID, owner="۱۲۳")
    page = Page(response.get_data(as_text=True))
    assert response.status_code == 400
    assert page.value("reason") == ["worn"]  # radio buttons (two choices)
    assert page.value("colour") == ["silver"]  # a select (six choices)
    assert page.value("extras") == ["post", "copy"]  # checkboxes
    assert page.value("insured") == ["no"]  # yes / no
    assert page.value("home__province") == ["23"]
    assert page.value("home__county") == "تهران"
    assert page.value("home__text") == "خيابان ولي‌عصر، پلاك ۱۲"  # as typed, not yet normalised
    assert page.value("born") == "۱۴۰۳/۰۱/۰۱" and page.value("price") == "۱۲٬۵۰۰"


def test_a_choice_that_is_not_offered_is_refused_in_persian(applicant):
    """A tampered or stale form (an option removed since the page was opened) posts a value that is not offered."""
    response = applicant.post(VALID, reason="stolen", extras=["post", "fax"], home__province="99")
    page = Page(response.get_data(as_text=True))
    assert response.status_code == 400
    shown = {field_id: page.error(field_id) for field_id in ("reason", "extras", "home__province")}
    assert all(shown.values()), shown
    assert all(is_persian_message(text) for text in shown.values()), (
        f"WTForms' own English messages reach the citizen: {shown}. The definition forms use a plain wtforms Form "
        "(app/formdefs.py build_form/build_form_class, base=Form) without translations; give RadioField/SelectField/"
        "MultiCheckboxField a Persian invalid-choice message or a Meta with Persian translations"
    )


def test_required_file_left_out_is_asked_for(applicant):
    response = applicant.post(VALID, scan=None)
    page = Page(response.get_data(as_text=True))
    assert response.status_code == 400
    assert page.error("scan") == "«تصویر سند» را پیوست کنید."
    assert page.value("plate") == VALID["plate"]  # the rest of the form is kept
    with applicant.app.app_context():  # nothing filed: the answers wait in the draft
        assert db.session.query(Request).filter(Request.status != "draft").count() == 0


@pytest.mark.parametrize(
    "content,name,message",
    [
        (PNG, "scan.pdf", "نوع این پرونده پذیرفته نیست. فقط این نوع‌ها: PDF"),  # a PNG, where only PDF is accepted
        (b"%PDF-" + b"0" * (1024 * 1024), "big.pdf", "حجم پرونده بیش از ۱ مگابایت است."),
    ],
    ids=["kind-not-accepted-by-this-field", "over-this-fields-size"],
)
def test_file_outside_the_fields_limits_is_explained_next_to_it(applicant, content, name, message):
    response = applicant.post(VALID, scan=(io.BytesIO(content), name))
    page = Page(response.get_data(as_text=True))
    assert response.status_code == 400
    assert page.error("scan") == message, (
        f"next to the file: {page.error('scan')!r} (app/attachments.py inspect_upload formats the size limit with "
        "Latin digits; use local_number/format_number for n)"
    )


# --- 3. property: any valid national code in any digit script is accepted ----------------------------------

DIGIT_SCRIPTS = ("0123456789", "۰۱۲۳۴۵۶۷۸۹", "٠١٢٣٤٥٦٧٨٩")


@st.composite
def typed_national_codes(draw):
    """(what a person might type, the canonical code): mixed digit scripts, optional dashes or spaces."""
    body = f"{draw(st.integers(0, 999_999_999)):09d}"
    total = sum(int(d) * (10 - i) for i, d in enumerate(body)) % 11
    code = body + str(total if total < 2 else 11 - total)
    if len(set(code)) == 1:
        code = "0000000051"
    digits = [draw(st.sampled_from(DIGIT_SCRIPTS))[int(c)] for c in code]
    sep = draw(st.sampled_from(["", "-", " ", "\u200c"]))
    typed = "".join(digits[:3]) + sep + "".join(digits[3:9]) + sep + digits[9]
    return draw(st.sampled_from(["", " "])) + typed + draw(st.sampled_from(["", " "])), code


@pytest.fixture
def national_code_applicant(client, app):
    """One service and one signed-in citizen, shared by all the examples of the property below."""
    return _applicant(
        client, app, [{"name": "code", "type": "national_code", "label": "کد ملی", "required": True}], 5002
    )


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=typed_national_codes())
def test_any_valid_national_code_in_any_digit_script_is_accepted_by_the_field(national_code_applicant, case):
    typed, code = case
    applicant = national_code_applicant
    assert applicant.filed(applicant.post({}, code=typed)) == {"code": code}


# --- 4. the rules themselves: validate_answers and display_answers -----------------------------------------

RULES = [s for s in FORM if s["type"] != "file"]


@pytest.fixture
def page_ctx(app):
    with app.test_request_context("/"):
        yield
        db.session.remove()


def test_validate_answers_accepts_what_the_form_stored(page_ctx):
    assert validate_answers(RULES, STORED) == {}


@pytest.mark.parametrize(
    "name,value",
    [
        ("owner", "1234567890"),  # bad check digit
        ("phone", "0812345678"),
        ("zip", "0123456789"),
        ("copies", 9),  # above the field's max
        ("copies", "دو"),
        ("price", -1),
        ("plate", "x" * 21),  # longer than max_length
        ("reason", "stolen"),  # not offered
        ("colour", "gold"),
        ("extras", ["post", "fax"]),
        ("home", {"province": "99", "county": "تهران", "text": "خیابان"}),
        ("reason", None),  # required but missing
        ("insured", None),
        ("born", None),
    ],
)
def test_validate_answers_refuses_what_the_form_refuses(page_ctx, name, value):
    answers = {**STORED, name: value}
    if value is None:
        del answers[name]
    errors = validate_answers(RULES, answers)
    field_names = {key.split("__")[0] for key in errors}
    assert field_names == {name}, errors


@pytest.mark.parametrize(
    "name,value",
    [
        ("insured", "maybe"),  # the page only ever stores True or False
        ("insured", "no"),
        ("born", "1404/12/30"),  # a Jalali string where an ISO date belongs
        ("born", "2025-02-30"),
        ("extras", "post"),  # one string where a list belongs
    ],
    ids=["yes_no-maybe", "yes_no-string-no", "date-jalali-text", "date-impossible", "multi-choice-string"],
)
def test_validate_answers_refuses_answers_of_the_wrong_shape(page_ctx, name, value):
    """The counter and the API file answers through validate_answers; a shape the page never stores is refused."""
    try:
        errors = validate_answers(RULES, {**STORED, name: value})
    except (ValueError, TypeError, AttributeError) as error:
        pytest.fail(
            f"validate_answers raised {error!r} for {name}={value!r} instead of returning a field error "
            "(app/formdefs.py _form_data: date.fromisoformat on an unchecked value)"
        )
    assert name in errors, (
        f"validate_answers accepted {name}={value!r}: app/formdefs.py _form_data turns any truthy yes_no value "
        f"into 'yes' and passes a bare string as one multi_choice item; it should refuse values whose type is not "
        f"the stored one (bool for yes_no, list for multi_choice, ISO date string for date). Errors: {errors}"
    )


def test_display_answers_shows_labels_persian_digits_and_choice_labels_in_form_order(page_ctx):
    identifiers = ("owner", "phone", "zip", "home")  # their digit script: the next test
    answers = {k: v for k, v in STORED.items() if k not in identifiers}
    rows = display_answers(FORM, {**answers, "scan": "ignored", "plate": ""})
    assert rows == [
        ("شرح ماجرا", "کارت خودرو در اسباب‌کشی گم شد."),
        ("تعداد نسخه", "۲"),
        ("مبلغ قرارداد", "۱۲٬۵۰۰ ریال"),
        ("تاریخ تولد", "۱۴۰۳/۰۱/۰۱"),
        ("دلیل درخواست", "فرسودگی"),
        ("رنگ خودرو", "نقره‌ای"),
        ("خدمات جانبی", "ارسال پستی، نسخهٔ دوم"),
        ("بیمه دارد؟", "خیر"),
    ]


def test_display_answers_shows_identifiers_and_address_numbers_in_persian_digits(page_ctx):
    rows = dict(display_answers(FORM, STORED))
    shown = {label: rows[label] for label in ("کد ملی مالک", "شمارهٔ همراه مالک", "کد پستی", "نشانی محل سکونت")}
    assert shown == {
        "کد ملی مالک": OWNER.translate(PERSIAN),
        "شمارهٔ همراه مالک": "۰۹۱۲۳۴۵۶۷۸۹",
        "کد پستی": "۱۱۹۳۶۵۳۴۷۱",
        "نشانی محل سکونت": "تهران، تهران، خیابان ولی‌عصر، پلاک ۱۲",
    }, (
        f"Latin digits on a Persian page: {shown}. app/formdefs.py display_answers passes identifiers and the "
        "address (whose text normalize() folded to ASCII digits) through unchanged; it should apply "
        "to_persian_digits() when persian_digits_enabled(), as the desk does with |fa_digits"
    )


def test_display_answers_keeps_zero_and_no(page_ctx):
    rows = dict(display_answers(RULES, {"copies": 0, "insured": False, "price": 0}))
    assert rows == {"تعداد نسخه": "۰", "مبلغ قرارداد": "۰ ریال", "بیمه دارد؟": "خیر"}


# --- 5. properties of the normalisers behind amount and date ----------------------------------------------


def _typed_number(draw, n):
    script = draw(st.sampled_from(DIGIT_SCRIPTS))
    sep = draw(st.sampled_from(["", ",", "٬", " "]))
    grouped = f"{n:,}".replace(",", sep)
    return grouped.translate(str.maketrans("0123456789", script))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), n=st.integers(0, 10**14))
def test_any_amount_with_separators_in_any_script_is_stored_as_an_integer(app, data, n):
    typed = _typed_number(data.draw, n)
    definition = [{"name": "price", "type": "amount", "label": "مبلغ", "required": True}]
    with app.test_request_context("/"):
        form = build_form(definition, formdata=MultiDict({"price": typed}))
        assert form.validate(), (typed, form.errors)
        assert answers_from(form, definition) == {"price": n}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    day=st.dates(min_value=date(1950, 1, 1), max_value=date(2080, 12, 31)),
    script=st.sampled_from(DIGIT_SCRIPTS),
    sep=st.sampled_from(["/", "-"]),
    padded=st.booleans(),
)
def test_any_jalali_date_is_stored_as_iso_and_shown_back_in_jalali(app, day, script, sep, padded):
    j = jdatetime.date.fromgregorian(date=day)
    parts = (f"{j.year}", f"{j.month:02d}" if padded else f"{j.month}", f"{j.day:02d}" if padded else f"{j.day}")
    typed = sep.join(parts).translate(str.maketrans("0123456789", script))
    definition = [{"name": "born", "type": "date", "label": "تاریخ", "required": True}]
    with app.test_request_context("/"):
        form = build_form(definition, formdata=MultiDict({"born": typed}))
        assert form.validate(), (typed, form.errors)
        answers = answers_from(form, definition)
        assert answers == {"born": day.isoformat()}
        assert validate_answers(definition, answers) == {}
        shown = f"{j.year:04d}/{j.month:02d}/{j.day:02d}".translate(PERSIAN)
        assert display_answers(definition, answers) == [("تاریخ", shown)]


# --- 6. check_definition, and a stored definition it refuses ------------------------------------------------


def test_the_every_type_form_and_the_built_in_form_pass_the_check(app):
    from app.requests.formdefs import DEFAULT_DEFINITION, check_definition

    with app.test_request_context("/"):
        assert check_definition(FORM) == []
        assert check_definition(DEFAULT_DEFINITION) == []
        assert check_definition([]) == []


@pytest.mark.parametrize(
    "definition, expected",
    [
        ({"name": "x", "type": "text"}, "فرم باید فهرستی از تعریف فیلدها باشد."),
        ([{"type": "bogus"}], "فیلد ۱: نوع فیلد «bogus» شناخته نیست."),
        (["text"], "فیلد ۱: تعریف فیلد باید شیء باشد."),
        ([{"name": "Plate", "type": "text"}], "فیلد ۱ («Plate»): نام فیلد باید با حرف کوچک لاتین شروع شود"),
        ([{"name": "home__text", "type": "text"}], "فیلد ۱ («home__text»): نام فیلد باید"),
        ([{"name": "validate", "type": "text"}], "فیلد ۱ («validate»): نام فیلد باید"),
        (
            [{"name": "csrf_token", "type": "text"}],
            "فیلد ۱ («csrf_token»): نام «csrf_token» را صفحهٔ درخواست یا پیشخوان",
        ),
        ([{"name": "action", "type": "choice", "choices": [["a", "یک"]]}], "فیلد ۱ («action»): نام «action» را صفحهٔ"),
        ([{"name": "draft", "type": "text"}], "فیلد ۱ («draft»): نام «draft» را صفحهٔ درخواست"),
        ([{"name": "idempotency_key", "type": "text"}], "نام «idempotency_key» را صفحهٔ درخواست"),
        ([{"name": "state", "type": "text"}], "فیلد ۱ («state»): نام «state» را صفحهٔ درخواست یا پیشخوان"),
        ([{"name": "nav", "type": "text"}], "فیلد ۱ («nav»): نام «nav» را صفحهٔ درخواست یا پیشخوان"),
        ([{"name": "a", "type": "text"}, {"name": "a", "type": "date"}], "فیلد ۲ («a»): نام فیلد تکراری است."),
        (
            [{"name": "a", "type": "text", "max_length": "many"}],
            "فیلد ۱ («a»): «max_length» باید عددی از ۱ تا ۱۰٬۰۰۰ باشد.",
        ),
        ([{"name": "a", "type": "textarea", "max_length": 0}], "«max_length» باید عددی از ۱ تا ۱۰٬۰۰۰ باشد."),
        ([{"name": "n", "type": "number", "min": 5, "max": 1}], "فیلد ۱ («n»): «min» از «max» بزرگ‌تر است."),
        ([{"name": "n", "type": "amount", "max": "10"}], "«min» و «max» باید عدد صحیح باشند."),
        ([{"name": "c", "type": "choice"}], "فیلد ۱ («c»): «choices» باید فهرستی از جفت‌های [مقدار، برچسب] باشد"),
        ([{"name": "c", "type": "multi_choice", "choices": ["ab", "cd"]}], "«choices» باید فهرستی از جفت‌ها"),
        (
            [{"name": "c", "type": "choice", "choices": [["a", "یک"], ["a", "دو"]]}],
            "فیلد ۱ («c»): مقدار گزینه‌ها تکراری است.",
        ),
        (
            [{"name": "f", "type": "file", "accept": ["exe"]}],
            "فیلد ۱ («f»): «accept» فقط از این نوع‌هاست: pdf، jpeg، png.",
        ),
        ([{"name": "f", "type": "file", "max_size_mb": 0}], "«max_size_mb» باید بیشتر از صفر و حداکثر ۱۰۰ باشد."),
        ([{"name": "a", "type": "text", "required": "yes"}], "فیلد ۱ («a»): «required» باید true یا false باشد."),
        ([{"name": "a", "type": "text", "label": ["x"]}], "فیلد ۱ («a»): «label» باید متن باشد."),
    ],
)
def test_check_definition_names_the_field_and_the_problem(app, definition, expected):
    from app.requests.formdefs import check_definition

    with app.test_request_context("/"):
        problems = check_definition(definition)
    assert any(p.startswith(expected) or expected in p for p in problems), problems


def test_a_card_with_a_field_named_like_the_apply_pages_buttons_is_refused_by_the_importer(ctx):
    from app.catalogue.transfer import ImportFailed, Source, import_catalogue
    from app.models import Service
    from tests.catalogue_data import card

    form = [
        {
            "name": "action",
            "type": "choice",
            "label": "چه کاری؟",
            "required": True,
            "choices": [["issue", "ثبت چک"], ["confirm", "تأیید چک"]],
        }
    ]
    with pytest.raises(ImportFailed) as failed:
        import_catalogue(Source.from_data([card("9000", "ثبت چک", form=form)]))
    db.session.rollback()
    assert [(e.row, e.field) for e in failed.value.errors] == [(1, "form")]
    assert "نام «action» را صفحهٔ درخواست یا پیشخوان خود می‌فرستد" in str(failed.value.errors[0])
    assert db.session.query(Service).count() == 0


def test_the_demo_catalogue_imports_cleanly_and_the_cheque_card_asks_its_own_field(ctx):
    from app.catalogue.queries import service_by_code
    from app.catalogue.transfer import import_catalogue, read_path
    from app.demo import CATALOGUE

    summary = import_catalogue(read_path(CATALOGUE))
    db.session.commit()
    assert summary.created > 0
    names = [spec["name"] for spec in service_by_code("10400001").current_revision.form_definition]
    assert names[0] == "cheque_action" and "action" not in names


def test_the_demo_cheque_card_saves_a_draft_with_its_choice_kept(client, app, seeded):
    """The Sayad cheque card once named its field `action`, the draft button's own name: the draft never saved."""
    from app.demo import DEMO_CITIZEN

    sign_in_citizen(client, app, DEMO_CITIZEN["national_code"], DEMO_CITIZEN["mobile"])
    # In page order: the card's fields first, then the button pressed.
    posted = MultiDict(
        [("idempotency_key", secrets.token_urlsafe(24)), ("cheque_action", "confirm"), ("action", "draft")]
    )
    response = client.post("/services/10400001/apply", data=posted)
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        draft = db.session.execute(db.select(Request).filter_by(status="draft")).scalar_one()
        assert draft.service.code == "10400001" and draft.answers.get("cheque_action") == "confirm"


def _bad_service(app, n):
    """A card whose stored form the renderer cannot use, written straight into the database (no importer check)."""
    with app.app_context():
        service = f.service(f.agency(), title="خدمت با فرم خراب", form=[{"type": "bogus"}])
        person = f.citizen(n, mobile=f"0912{n:07d}")
        code, pair = service.code, (person.national_code, person.mobile)
        db.session.commit()
    return code, pair


def test_apply_page_of_a_stored_bad_form_says_it_cannot_be_shown_instead_of_500(client, app):
    code, pair = _bad_service(app, 5101)
    sign_in_citizen(client, app, *pair)
    for response in (
        client.get(f"/services/{code}/apply"),
        client.post(f"/services/{code}/apply", data={"idempotency_key": secrets.token_urlsafe(24), "action": "submit"}),
    ):
        assert response.status_code == 503
        assert "فرم این خدمت فعلاً قابل نمایش نیست" in response.get_data(as_text=True)


def test_filing_against_a_stored_bad_form_is_refused_as_a_rule_error(ctx):
    from app.core.errors import RuleError
    from app.requests.formdefs import FormUnavailable

    target = f.service(f.agency(), form=[{"name": "x", "type": "choice"}])
    with pytest.raises(FormUnavailable) as refused:
        f.filed(target, f.citizen(5102), answers={"x": "a"})
    assert isinstance(refused.value, RuleError)
    db.session.rollback()
    assert db.session.execute(db.select(Request)).first() is None


def test_a_request_filed_before_its_form_went_bad_is_still_shown(app):
    from app.requests.formdefs import display_answers

    definition = [
        {"name": "note", "type": "text", "label": "یادداشت"},
        {"type": "bogus", "name": "odd"},
        {"name": "c", "type": "choice", "label": "گزینه"},
        "junk",
    ]
    with app.test_request_context("/"):
        rows = display_answers(definition, {"note": "سلام 12", "odd": "x", "c": "a"})
    assert rows == [("یادداشت", "سلام ۱۲"), ("odd", "x"), ("گزینه", "a")]


def test_the_citizens_request_page_still_opens_after_the_stored_form_went_bad(client, app):
    with app.app_context():
        target = f.service(f.agency(), form=[{"name": "note", "type": "text", "label": "یادداشت"}])
        person = f.citizen(5103, mobile="09120005103")
        code = f.filed(target, person, answers={"note": "سلام"}).tracking_code
        target.current_revision.form_definition = [{"name": "note", "type": "bogus"}]
        pair = (person.national_code, person.mobile)
        db.session.commit()
    sign_in_citizen(client, app, *pair)
    response = client.get(f"/requests/{code}")
    assert response.status_code == 200 and "سلام" in response.get_data(as_text=True)
