"""Issue 12 slice B through the test client: tracking limits, the confirmation after filing, wording and numbers."""

import io
import re

from flask import render_template_string
from openpyxl import load_workbook
from werkzeug.datastructures import MultiDict

from app.core.identifiers import damm_digit
from app.core.persian import to_persian_digits
from app.extensions import db
from app.models import Request, SmsMessage
from app.requests.formdefs import build_form
from tests import factories as f
from tests.web.helpers import apply_online, sign_in_citizen, sign_in_staff
from tests.web.test_counter import file_one, tracking_codes, world  # noqa: F401  (the counter's world fixture)


def _valid_code(n: int) -> str:
    body = f"9{n:010d}"
    return body + damm_digit(body)


def _request_and_applicant():
    applicant = f.citizen()
    request = f.filed(f.service(title="صدور پروانهٔ محدودیت رهگیری"), applicant)
    db.session.commit()
    return request.tracking_code, applicant.national_code


def test_thirty_lookups_of_different_codes_from_one_address_all_answer(app, client):
    statuses = [
        client.post("/track", data={"code": _valid_code(n), "national_code": "0499370899"}).status_code
        for n in range(30)
    ]
    assert statuses == [400] * 30  # not found, told next to the field; never refused for the shared address


def test_sixth_wrong_national_code_for_one_code_is_refused_from_another_address(app, client):
    with app.app_context():
        code, national_code = _request_and_applicant()
    wrong = f.national_code(424242)
    for n in range(5):
        response = client.post(
            "/track", data={"code": code, "national_code": wrong}, environ_base={"REMOTE_ADDR": f"10.0.0.{n + 1}"}
        )
        assert response.status_code == 400, n
    refused = client.post(
        "/track", data={"code": code, "national_code": national_code}, environ_base={"REMOTE_ADDR": "10.0.9.9"}
    )
    assert refused.status_code == 429
    # Another code is not held back by the guesses at this one.
    other = client.post("/track", data={"code": _valid_code(7), "national_code": wrong})
    assert other.status_code == 400


def test_right_answers_for_one_code_are_not_counted_as_guesses(app, client):
    with app.app_context():
        code, national_code = _request_and_applicant()
    for _ in range(8):
        response = client.post("/track", data={"code": code, "national_code": national_code})
        assert response.status_code == 200 and "صدور پروانهٔ محدودیت رهگیری" in response.get_data(as_text=True)


def _file_online(client, app, duration_days=5):
    with app.app_context():
        code = f.service(title="صدور گواهی تأیید", duration_days=duration_days).code
        alice = f.citizen(3001, mobile="09120003001")
        db.session.commit()
        identity = alice.national_code, alice.mobile
    sign_in_citizen(client, app, *identity)
    html = client.get(f"/services/{code}/apply").get_data(as_text=True)
    key = re.search(r'name="idempotency_key" type="hidden" value="([^"]+)"', html).group(1)
    response = apply_online(client, code, {"idempotency_key": key, "description": "لطفاً صادر شود"})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"]


def test_first_view_after_filing_confirms_with_code_next_steps_time_and_sms(app, client):
    page = client.get(_file_online(client, app)).get_data(as_text=True)
    with app.app_context():
        code = db.session.execute(db.select(Request)).scalar_one().tracking_code
    assert "درخواست شما ثبت شد" in page
    assert "حدود ۵ روز" in page
    assert "این کد به این شماره پیامک شد" in page and "۳۰۰۱" in page and "09120003001" not in page
    assert f"/track?code={code}" in page
    assert "پس از این چه می‌شود" in page


def test_confirmation_shows_only_once(app, client):
    location = _file_online(client, app)
    client.get(location)
    again = client.get(location).get_data(as_text=True)
    assert "درخواست شما ثبت شد" not in again and "کد رهگیری" in again


def test_withdraw_asks_once_more_before_it_closes_the_request(app, client):
    location = _file_online(client, app)
    code = location.rstrip("/").rsplit("/", 1)[-1]
    ask = client.post(f"/requests/{code}/act", data={"action": "withdraw"})
    assert ask.status_code == 200 and "آیا مطمئن هستید" in ask.get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(db.select(Request)).scalar_one().status == "submitted"


# --- the day ledger: one close message, and an XLSX whose codes are text ---------------------------------------


def test_ledger_xlsx_keeps_the_tracking_code_as_text(client, app, world):  # noqa: F811
    sign_in_staff(client, "clerk-a")
    file_one(client, world["service"])
    code = tracking_codes(app)[0]
    response = client.get("/counter/offices/11001/ledger.xlsx")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.data)).active
    header = [c.value for c in sheet[1]]
    row = list(sheet[2])
    cell = row[header.index("کد رهگیری")]
    assert cell.value == code and cell.data_type == "s"
    assert row[header.index("تعرفهٔ دولتی (ریال)")].value == 250000  # money stays a number to add up
    assert "ledger.xlsx" in client.get("/counter/offices/11001/ledger").get_data(as_text=True)


def test_closing_the_day_says_so_once(client, app, world):  # noqa: F811
    sign_in_staff(client, "manager-a")
    page = client.post(
        "/counter/offices/11001/ledger/close", data={"counted_cash": "0", "confirm": "yes"}, follow_redirects=True
    ).get_data(as_text=True)
    assert "این روز بسته شده است" in page
    assert "روز بسته شد." not in page and "ارقام بسته‌شده دیگر تغییر نمی‌کنند" not in page  # the flash, gone
    assert page.count("تغییر نمی‌کند") == 1


# --- wording: what is picked is chosen, what is typed is entered --------------------------------------------------


def test_empty_required_choices_say_choose_and_typed_fields_say_enter(ctx):
    definition = [
        {
            "name": "reason",
            "type": "choice",
            "label": "دلیل درخواست",
            "required": True,
            "choices": [["lost", "گم شدن"], ["worn", "فرسودگی"]],
        },
        {
            "name": "kind",
            "type": "choice",
            "label": "نوع کارت",
            "required": True,
            "choices": [[str(n), f"نوع {n}"] for n in range(8)],
        },  # more than five: a select
        {
            "name": "extras",
            "type": "multi_choice",
            "label": "خدمات همراه",
            "required": True,
            "choices": [["post", "ارسال با پست"]],
        },
        {"name": "insured", "type": "yes_no", "label": "بیمه دارد؟", "required": True},
        {"name": "home", "type": "address", "label": "نشانی", "required": True},
        {"name": "plate", "type": "text", "label": "شمارهٔ پلاک", "required": True},
    ]
    form = build_form(definition, formdata=MultiDict({"home__county": "تهران", "home__text": "خیابان آزادی"}))
    assert not form.validate()
    errors = {name: messages[0] for name, messages in form.errors.items()}
    assert errors == {
        "reason": "«دلیل درخواست» را انتخاب کنید.",
        "kind": "«نوع کارت» را انتخاب کنید.",
        "extras": "«خدمات همراه» را انتخاب کنید.",
        "insured": "«بیمه دارد؟» را انتخاب کنید.",
        "home__province": "«استان» را انتخاب کنید.",
        "plate": "«شمارهٔ پلاک» را وارد کنید.",
    }


# --- error pages lead with what happened ------------------------------------------------------------------------


def test_error_page_leads_with_what_happened_and_keeps_the_number_small(client):
    response = client.get("/no-such-page")
    html = response.get_data(as_text=True)
    assert response.status_code == 404
    main = html[html.index("<main") :]
    assert main.index("<h1>صفحه پیدا نشد</h1>") < main.index("نشانی را بررسی کنید") < main.index("کد خطا: ۴۰۴")
    assert '<p class="error-code">' not in html  # the big «۴۰۴» above the heading


# --- Persian digits on display: titles, the search echo, SMS -----------------------------------------------------


def test_titles_and_the_search_echo_show_persian_digits(app, client):
    with app.app_context():
        code = f.service(title="صدور کارت 2 طبقه & بیشتر").code
        db.session.commit()
    card = client.get(f"/services/{code}").get_data(as_text=True)
    title = card[card.index("<title>") : card.index("</title>")]
    assert "کارت ۲ طبقه &amp; بیشتر" in title and "2" not in title  # the entity is still one ampersand
    found = client.get("/search?q=ماده 105").get_data(as_text=True)
    assert "«ماده ۱۰۵»" in found and "ماده 105" not in found.split("<main", 1)[1].split('value="', 1)[0]


def test_the_tracking_sms_has_persian_digits(app, client):
    _file_online(client, app)
    with app.app_context():
        request = db.session.execute(db.select(Request)).scalar_one()
        body = db.session.execute(db.select(SmsMessage.body).filter_by(mobile="09120003001")).scalars().all()[-1]
        code = request.tracking_code
    assert to_persian_digits(f"{code[:4]} {code[4:8]} {code[8:]}") in body
    assert not any(ch in "0123456789" for ch in body)


def test_english_pages_keep_latin_digits_in_the_title(app, client):
    with app.app_context():
        code = f.service(title="صدور کارت 2").code
        db.session.commit()
    client.set_cookie("lang", "en")
    page = client.get(f"/services/{code}").get_data(as_text=True)
    title = page[page.index("<title>") : page.index("</title>")]
    assert "صدور کارت 2" in title


# --- the error summary names each field once ---------------------------------------------------------------------


def _summary(html: str) -> list[str]:
    box = html[html.index('class="error-summary"') :]
    box = box[: box.index("</ul>")]
    return [re.sub(r"<[^>]+>", "", item).strip() for item in re.findall(r"<li>(.*?)</li>", box, re.S)]


def test_error_summary_names_each_field_once(app, client):
    html = client.post("/track", data={"code": "12", "national_code": ""}).get_data(as_text=True)
    assert _summary(html) == ["کد رهگیری باید ۱۲ رقم باشد.", "کد ملی را وارد کنید."]  # not «کد ملی متقاضی: کد ملی …»


def test_error_summary_adds_the_name_to_a_message_that_lacks_it(app):
    definition = [
        {"name": "count", "type": "number", "label": "تعداد نسخه", "required": True},
        {"name": "home", "type": "address", "label": "نشانی", "required": True},
    ]
    with app.test_request_context():
        form = build_form(
            definition, formdata=MultiDict({"count": "سه", "home__county": "تهران", "home__text": "آزادی"})
        )
        form.validate()
        html = render_template_string(
            '{% from "components/forms.html" import error_summary %}{{ error_summary(form) }}', form=form
        )
    assert _summary(html) == ["تعداد نسخه: فقط عدد وارد کنید.", "«استان» را انتخاب کنید."]
