"""Applying online, drafts, double submit, the request page, the desk and public tracking."""

import io
import re

import pytest

from app.core.identifiers import damm_digit
from app.core.persian import to_persian_digits
from app.extensions import db
from app.models import Attachment, Request, Role
from tests import factories as f
from tests.web.helpers import apply_online, last_sms, sign_in_citizen, sign_in_staff

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
FORM = [
    {"name": "plate", "type": "text", "label": "شمارهٔ پلاک", "required": True, "max_length": 20},
    {"name": "count", "type": "number", "label": "تعداد نسخه", "required": True, "min": 1, "max": 5},
    {
        "name": "reason",
        "type": "choice",
        "label": "دلیل",
        "required": True,
        "choices": [["lost", "گم شدن"], ["worn", "فرسودگی"]],
    },
    {
        "name": "scan",
        "type": "file",
        "label": "تصویر سند",
        "required": True,
        "accept": ["pdf", "jpeg", "png"],
        "max_size_mb": 1,
    },
]


@pytest.fixture
def world(app):
    with app.app_context():
        owner, other = f.agency(name="پلیس راهور"), f.agency(name="سازمان دیگر")
        data = {
            "service": f.service(owner, form=FORM, title="صدور المثنی کارت خودرو", duration_days=5).code,
            "other_service": f.service(other).code,
            "citizen": (f.citizen(1001).national_code, f.citizen(1001 + 0).mobile) if False else None,
        }
        alice, bob = f.citizen(2001, mobile="09120002001"), f.citizen(2002, mobile="09120002002")
        f.staff(Role.AGENCY_OFFICER, username="officer", agency=owner)
        f.staff(Role.AGENCY_OFFICER, username="stranger", agency=other)
        data.update(alice=(alice.national_code, alice.mobile), bob=(bob.national_code, bob.mobile))
        db.session.commit()
    return data


def _apply_page(client, code):
    html = client.get(f"/services/{code}/apply").get_data(as_text=True)
    return re.search(r'name="idempotency_key" type="hidden" value="([^"]+)"', html).group(1)


def _submit(client, code, key, **overrides):
    data = {
        "idempotency_key": key,
        "action": "submit",
        "plate": "۱۲ب۳۴۵-۶۶",
        "count": "۲",
        "reason": "lost",
        "scan": (io.BytesIO(PDF), "سند.pdf"),
    }
    data.update(overrides)
    return apply_online(client, code, data)  # the form, «ادامه», then «فرستادن» on the check page


def test_citizen_applies_and_sees_the_tracking_code_at_once_and_by_sms(client, app, world):
    sign_in_citizen(client, app, *world["alice"])
    response = _submit(client, world["service"], _apply_page(client, world["service"]))
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        request = db.session.execute(db.select(Request)).scalar_one()
        assert request.answers == {"plate": "۱۲ب۳۴۵-۶۶", "count": 2, "reason": "lost"}
        assert request.attachments[0].content_type == "application/pdf"
        code = request.tracking_code
    persian = code.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    assert f"{persian[:4]} {persian[4:8]} {persian[8:]}" in page
    assert to_persian_digits(code) in last_sms(app, world["alice"][1]).replace(" ", "")  # Persian digits, as shown


def test_invalid_answers_are_explained_and_kept(client, app, world):
    sign_in_citizen(client, app, *world["alice"])
    response = _submit(client, world["service"], _apply_page(client, world["service"]), count="نه", plate="")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "فقط عدد وارد کنید" in html and "«شمارهٔ پلاک» را وارد کنید" in html
    assert 'value="نه"' in html
    assert 'href="#count"' in html  # the error summary links to the field


@pytest.mark.parametrize(
    "content,name,message",
    [
        (b"<html><script>alert(1)</script></html>", "fake.pdf", "نوع این پرونده پذیرفته نیست"),
        (b"", "empty.pdf", "این پرونده خالی است"),
        (b"%PDF-" + b"0" * (1024 * 1024 + 1), "big.pdf", "بیش از"),
    ],
)
def test_attachments_are_checked_by_content_and_size(client, app, world, content, name, message):
    sign_in_citizen(client, app, *world["alice"])
    response = _submit(
        client, world["service"], _apply_page(client, world["service"]), scan=(io.BytesIO(content), name)
    )
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    with app.app_context():  # the answers wait in a draft; nothing is filed and the refused file is not kept
        assert db.session.query(Request).filter(Request.status != "draft").count() == 0
        assert db.session.query(Attachment).count() == 0


def test_double_submit_creates_one_request(client, app, world):
    sign_in_citizen(client, app, *world["alice"])
    key = _apply_page(client, world["service"])
    data = {"idempotency_key": key, "plate": "۱۲ب۳۴۵-۶۶", "count": "۲", "reason": "lost"}
    url = f"/services/{world['service']}/apply"
    first = client.post(url, data={**data, "scan": (io.BytesIO(PDF), "a.pdf")}, content_type="multipart/form-data")
    again = client.post(url, data={**data, "scan": (io.BytesIO(PDF), "a.pdf")}, content_type="multipart/form-data")
    assert first.headers["Location"] == again.headers["Location"]  # the same form twice: one draft, one file
    check = first.headers["Location"]
    html = client.get(check).get_data(as_text=True)
    send = {"idempotency_key": re.search(r'name="idempotency_key" type="hidden" value="([^"]+)"', html).group(1)}
    send["draft"] = check.rsplit("draft=", 1)[1]
    sent, resent = client.post(check.split("?")[0], data=send), client.post(check.split("?")[0], data=send)
    assert sent.status_code == resent.status_code == 302
    assert sent.headers["Location"] == resent.headers["Location"]
    with app.app_context():
        assert db.session.query(Request).count() == 1
        assert db.session.query(Attachment).count() == 1


def test_draft_is_saved_kept_as_typed_and_private(client, app, world):
    sign_in_citizen(client, app, *world["alice"])
    key = _apply_page(client, world["service"])
    response = client.post(
        f"/services/{world['service']}/apply",
        data={"idempotency_key": key, "action": "draft", "plate": "نیمه‌کاره", "count": "هفت"},
    )
    assert response.status_code == 302
    draft_url = response.headers["Location"]
    assert 'value="نیمه‌کاره"' in client.get(draft_url).get_data(as_text=True)
    assert "پیش‌نویس" in client.get("/account/requests").get_data(as_text=True)
    other = app.test_client()
    sign_in_citizen(other, app, *world["bob"])
    assert other.get(draft_url).status_code == 404
    officer = app.test_client()
    sign_in_staff(officer, "officer")
    with app.app_context():
        public_id = db.session.execute(db.select(Request)).scalar_one().public_id
    assert officer.get(f"/desk/requests/{public_id}").status_code == 404


def _filed_by_alice(client, app, world):
    sign_in_citizen(client, app, *world["alice"])
    _submit(client, world["service"], _apply_page(client, world["service"]))
    with app.app_context():
        return db.session.execute(db.select(Request)).scalar_one().tracking_code


def test_another_citizen_gets_404_for_my_request_and_its_files(client, app, world):
    code = _filed_by_alice(client, app, world)
    with app.app_context():
        file_id = db.session.execute(db.select(Attachment)).scalar_one().public_id
    assert client.get(f"/requests/{code}/files/{file_id}").headers["Content-Disposition"].startswith("attachment")
    other = app.test_client()
    sign_in_citizen(other, app, *world["bob"])
    assert other.get(f"/requests/{code}").status_code == 404
    assert other.get(f"/requests/{code}/files/{file_id}").status_code == 404


def test_officer_of_another_agency_gets_404(client, app, world):
    code = _filed_by_alice(client, app, world)
    stranger = app.test_client()
    sign_in_staff(stranger, "stranger")
    assert stranger.get(f"/desk/requests/{code}").status_code == 404
    assert code not in stranger.get("/desk/").get_data(as_text=True)
    assert stranger.post(f"/desk/requests/{code}/act", data={"action": "take"}).status_code == 404


def test_whole_path_from_filing_to_delivery(client, app, world):
    code = _filed_by_alice(client, app, world)
    officer = app.test_client()
    sign_in_staff(officer, "officer")
    inbox = officer.get("/desk/").get_data(as_text=True)
    assert "صدور المثنی کارت خودرو" in inbox and "روز مانده" in inbox
    assert officer.post(f"/desk/requests/{code}/act", data={"action": "take"}).status_code == 302
    officer.post(f"/desk/requests/{code}/act", data={"action": "ask_info", "message": "تصویر کارت ملی را بفرستید."})
    page = client.get(f"/requests/{code}").get_data(as_text=True)
    assert "تصویر کارت ملی را بفرستید." in page and "پلیس راهور" in page and "کارمند آزمایشی" not in page
    response = client.post(
        f"/requests/{code}/act",
        data={"action": "answer", "message": "پیوست شد.", "document": (io.BytesIO(PDF), "id.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    officer.post(f"/desk/requests/{code}/act", data={"action": "take"})
    officer.post(f"/desk/requests/{code}/act", data={"action": "approve"})
    officer.post(
        f"/desk/requests/{code}/act",
        data={"action": "deliver", "document": (io.BytesIO(PDF), "result.pdf")},
        content_type="multipart/form-data",
    )
    page = client.get(f"/requests/{code}").get_data(as_text=True)
    assert "تحویل شده" in page and "result.pdf" in page


def test_rejection_is_confirmed_before_it_happens(client, app, world):
    code = _filed_by_alice(client, app, world)
    officer = app.test_client()
    sign_in_staff(officer, "officer")
    officer.post(f"/desk/requests/{code}/act", data={"action": "take"})
    ask = officer.post(f"/desk/requests/{code}/act", data={"action": "reject", "message": "مدارک ناقص است."})
    assert ask.status_code == 200 and "بله، رد شود" in ask.get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(db.select(Request)).scalar_one().status == "in_review"
    officer.post(
        f"/desk/requests/{code}/act", data={"action": "reject", "message": "مدارک ناقص است.", "confirm": "yes"}
    )
    with app.app_context():
        assert db.session.execute(db.select(Request)).scalar_one().status == "rejected"


def test_impossible_action_gets_a_clear_message(client, app, world):
    code = _filed_by_alice(client, app, world)
    officer = app.test_client()
    sign_in_staff(officer, "officer")
    response = officer.post(f"/desk/requests/{code}/act", data={"action": "deliver", "result_note": "x"})
    assert response.status_code == 400 and "ممکن نیست" in response.get_data(as_text=True)


def test_public_tracking_shows_status_and_dates_only(client, app, world):
    code = _filed_by_alice(client, app, world)
    anonymous = app.test_client()
    spaced = f"{code[:4]} {code[4:8]} {code[8:]}".translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    response = anonymous.post("/track", data={"code": spaced, "national_code": world["alice"][0]})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "ثبت شده" in html
    assert "۱۲ب۳۴۵" not in html  # no answers in public


def test_tracking_code_typo_is_told_before_any_lookup(client, app, world):
    code = _filed_by_alice(client, app, world)
    typo = code[:-1] + str((int(code[-1]) + 1) % 10)
    response = app.test_client().post("/track", data={"code": typo, "national_code": world["alice"][0]})
    assert response.status_code == 400 and "اشتباه تایپ" in response.get_data(as_text=True)


def test_wrong_pair_gets_one_neutral_message(client, app, world):
    code = _filed_by_alice(client, app, world)
    response = app.test_client().post("/track", data={"code": code, "national_code": world["bob"][0]})
    assert response.status_code == 400 and "درخواستی با این کد رهگیری و کد ملی پیدا نشد" in response.get_data(
        as_text=True
    )


def test_tracking_is_rate_limited_per_ip(client):
    # Loose (carrier NAT): 120 per 10 minutes; each lookup a different code, so no one code's guesses are counted.
    codes = [f"8{n:010d}" + damm_digit(f"8{n:010d}") for n in range(121)]
    statuses = [client.post("/track", data={"code": code, "national_code": "0499370899"}).status_code for code in codes]
    assert statuses[:120] == [400] * 120 and statuses[-1] == 429
    assert "درخواست‌ها بیش از حد مجاز" in client.post("/track", data={}).get_data(as_text=True)


def test_citizen_can_withdraw_after_confirming(client, app, world):
    code = _filed_by_alice(client, app, world)
    ask = client.post(f"/requests/{code}/act", data={"action": "withdraw"})
    assert "آیا مطمئن هستید" in ask.get_data(as_text=True)
    client.post(f"/requests/{code}/act", data={"action": "withdraw", "confirm": "yes"})
    assert "انصراف داده شده" in client.get(f"/requests/{code}").get_data(as_text=True)
