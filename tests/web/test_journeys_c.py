"""Issue 12 items 5 and 7 online: files chosen are kept with the draft, the card's documents are the form's file
fields, optional fields say so, and a check-your-answers page (answers, files, fee) sends the request once."""

import io
import re
from pathlib import Path

import pytest

from app.extensions import db
from app.models import Attachment, Request, SmsMessage
from tests import factories as f
from tests.web.helpers import sign_in_citizen

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
FORM = [
    {"name": "plate", "type": "text", "label": "شمارهٔ پلاک", "required": True, "max_length": 20},
    {"name": "note", "type": "textarea", "label": "توضیح", "required": False},
    {"name": "scan", "type": "file", "label": "تصویر کارت خودرو", "required": True, "document": 0},
]
DOCUMENTS = ["کارت خودرو", "کارت ملی مالک", "وکالت‌نامه (در صورت وجود)"]


@pytest.fixture
def service(app):
    with app.app_context():
        row = f.service(f.agency(name="پلیس راهور"), form=FORM, title="المثنی کارت خودرو")
        row.current_revision.documents = DOCUMENTS
        person = f.citizen(3101, mobile="09120003101")
        db.session.commit()
        code, pair = row.code, (person.national_code, person.mobile)
    return code, pair


@pytest.fixture
def paid(app):
    """The same card with a government fee."""
    with app.app_context():
        row = f.service(f.agency(name="پلیس راهور"), form=FORM, title="المثنی کارت خودرو", fee_rial=4_000_000)
        row.current_revision.documents = DOCUMENTS
        db.session.commit()
        return row.code


@pytest.fixture
def citizen(client, app, service):
    sign_in_citizen(client, app, *service[1])
    return service[0]


def _key(html):
    return re.search(r'name="idempotency_key" type="hidden" value="([^"]+)"', html).group(1)


def _continue(client, code, draft=None, **data):
    url = f"/services/{code}/apply" + (f"?draft={draft}" if draft else "")
    key = _key(client.get(url).get_data(as_text=True))
    return client.post(url, data={"idempotency_key": key, **data}, content_type="multipart/form-data")


def _draft(app):
    with app.app_context():
        return db.session.execute(db.select(Request).filter_by(status="draft")).scalar_one()


def _files(app):
    with app.app_context():
        return [(a.field_name, a.original_name, a.storage_name) for a in db.session.query(Attachment).order_by("id")]


def _all_scans():
    return {"scan": (io.BytesIO(PDF), "کارت.pdf"), "card_document_2": (io.BytesIO(PNG), "ملی.png")}


# --- item 5: a chosen file is never dropped --------------------------------------------------------------------


def test_a_file_chosen_with_another_fields_error_is_kept_in_the_draft_and_shown_beside_its_field(client, app, citizen):
    response = _continue(client, citizen, plate="", **_all_scans())
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "«شمارهٔ پلاک» را وارد کنید." in html
    assert [(name, shown) for name, shown, _ in _files(app)] == [("scan", "کارت.pdf"), ("card_document_2", "ملی.png")]
    attached = re.search(r'<p class="file-attached" id="scan-attached">(.*?)</p>', html, re.S).group(1)
    assert "کارت.pdf" in attached and "کیلوبایت" in attached and "برداشتن" in attached
    scan_input = re.search(r'<input[^>]*id="scan"[^>]*>', html).group(0)
    assert re.search(r'aria-describedby="[^"]*scan-attached', scan_input)  # read out with the field
    assert f'action="/services/{citizen}/apply?draft={_draft(app).public_id}"' in html  # the form goes on in the draft


def test_a_file_field_with_a_kept_file_is_not_asked_again(client, app, citizen):
    _continue(client, citizen, plate="", **_all_scans())
    response = _continue(client, citizen, draft=_draft(app).public_id, plate="۱۲ب۳۴۵")
    assert response.status_code == 302 and "/apply/check?draft=" in response.headers["Location"]
    assert len(_files(app)) == 2  # nothing asked twice, nothing stored twice


def test_remove_takes_one_kept_file_off_without_javascript_and_keeps_what_was_typed(client, app, citizen):
    _continue(client, citizen, plate="", **_all_scans())
    draft = _draft(app)
    [(_, _, stored), (_, _, other)] = _files(app)
    with app.app_context():
        scan_id = db.session.execute(db.select(Attachment.public_id).filter_by(field_name="scan")).scalar_one()
    page = client.get(f"/services/{citizen}/apply?draft={draft.public_id}").get_data(as_text=True)
    assert f'name="action" value="remove:{scan_id}"' in page  # a real button of the page's form
    response = client.post(
        f"/services/{citizen}/apply?draft={draft.public_id}",
        data={"idempotency_key": _key(page), "action": f"remove:{scan_id}", "plate": "تایپ‌شده"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302 and response.headers["Location"].endswith(f"draft={draft.public_id}#scan")
    assert [name for name, _, _ in _files(app)] == ["card_document_2"]
    assert not Path(app.config["UPLOAD_FOLDER"], stored).exists() and Path(app.config["UPLOAD_FOLDER"], other).exists()
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "«کارت.pdf» برداشته شد." in page and 'value="تایپ‌شده"' in page
    assert 'id="scan-attached"' not in page
    again = _continue(client, citizen, draft=draft.public_id, plate="۱۲ب۳۴۵")
    assert again.status_code == 400 and "«تصویر کارت خودرو» را پیوست کنید." in again.get_data(as_text=True)


def test_a_file_chosen_again_replaces_the_kept_one(client, app, citizen):
    _continue(client, citizen, plate="", **_all_scans())
    [(_, _, old), _] = _files(app)
    draft = _draft(app).public_id
    _continue(client, citizen, draft=draft, plate="", scan=(io.BytesIO(PDF), "تازه.pdf"))
    assert [(name, shown) for name, shown, _ in _files(app)] == [("card_document_2", "ملی.png"), ("scan", "تازه.pdf")]
    assert not Path(app.config["UPLOAD_FOLDER"], old).exists()


def test_a_file_that_fails_its_check_is_not_kept_and_says_why_beside_its_field(client, app, citizen):
    response = _continue(client, citizen, plate="۱۲ب۳۴۵", scan=(io.BytesIO(b"<html>"), "x.pdf"))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert re.search(r'id="scan-error">نوع این پرونده پذیرفته نیست', html)
    assert _files(app) == []


# --- item 7: the form matches the card ---------------------------------------------------------------------------


def test_each_document_the_card_requires_is_a_required_file_field_and_an_optional_one_says_so(client, citizen):
    html = client.get(f"/services/{citizen}/apply").get_data(as_text=True)
    inputs = re.findall(r'<input[^>]*type="file"[^>]*>', html)
    assert sorted(re.search(r'name="([^"]+)"', i).group(1) for i in inputs) == [
        "card_document_2",
        "card_document_3",
        "scan",
    ]
    labels = dict(re.findall(r'<label for="([a-z_0-9]+)">(.*?)</label>', html, re.S))
    assert labels["scan"] == "تصویر کارت خودرو"  # the form's own field for the first document: not asked twice
    assert "card_document_1" not in labels
    assert labels["card_document_2"] == "کارت ملی مالک"  # required: no mark, no star
    assert labels["card_document_3"] == 'وکالت‌نامه (در صورت وجود) <span class="optional">(اختیاری)</span>'
    assert labels["note"] == 'توضیح <span class="optional">(اختیاری)</span>'
    assert labels["plate"] == "شمارهٔ پلاک" and "*" not in html.split("<form", 1)[1].split("</form>")[0]


def test_a_required_document_left_out_is_asked_for_by_its_card_name(client, citizen):
    response = _continue(client, citizen, plate="۱۲ب۳۴۵", scan=(io.BytesIO(PDF), "کارت.pdf"))
    assert response.status_code == 400
    assert "«کارت ملی مالک» را پیوست کنید." in response.get_data(as_text=True)


# --- check your answers, the fee, sending once ------------------------------------------------------------------


def test_the_form_page_and_the_check_page_show_the_government_fee(client, app, citizen, paid):
    form_page = client.get(f"/services/{paid}/apply").get_data(as_text=True)
    assert "تعرفهٔ دولتی" in form_page and "۴٬۰۰۰٬۰۰۰ ریال" in form_page
    check = _continue(client, paid, plate="۱۲ب۳۴۵", note="نسخهٔ دوم", **_all_scans()).headers["Location"]
    page = client.get(check).get_data(as_text=True)
    assert "۴٬۰۰۰٬۰۰۰ ریال" in page and "کارمزد" not in page  # online: no counter fee
    assert "این خدمت هزینه‌ای ندارد." in client.get(f"/services/{citizen}/apply").get_data(as_text=True)


def test_a_service_with_a_fee_is_sent_through_the_payment_not_straight_from_the_check_page(client, app, citizen, paid):
    check = _continue(client, paid, plate="۱۲ب۳۴۵", **_all_scans()).headers["Location"]
    page = client.get(check).get_data(as_text=True)
    assert f'action="/services/{paid}/apply/pay"' in page  # account.pay_start, engineer P's payment step
    assert "پرداخت ۴٬۰۰۰٬۰۰۰ ریال و فرستادن" in page
    response = client.post(check.split("?")[0], data={"idempotency_key": _key(page), "draft": check.rsplit("=", 1)[1]})
    assert response.status_code == 400 and "با دکمهٔ «پرداخت و فرستادن» بپردازید" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(Request).filter(Request.status != "draft").count() == 0


def test_the_check_page_lists_each_answer_with_its_label_and_the_files(client, app, citizen):
    check = _continue(client, citizen, plate="۱۲ب۳۴۵", note="نسخهٔ دوم", **_all_scans()).headers["Location"]
    response = client.get(check)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "پیش از فرستادن، پاسخ‌هایتان را ببینید" in html
    answers = re.findall(r"<dt>(.*?)</dt><dd>(.*?) <a", html, re.S)
    assert answers[:2] == [("شمارهٔ پلاک", "۱۲ب۳۴۵"), ("توضیح", "نسخهٔ دوم")]
    assert "<dt>تصویر کارت خودرو</dt>" in html and "<bdi>کارت.pdf</bdi>" in html
    assert "<dt>کارت ملی مالک</dt>" in html and "<bdi>ملی.png</bdi>" in html
    with app.app_context():
        assert db.session.query(Request).filter(Request.status != "draft").count() == 0  # nothing sent yet


def test_a_change_link_returns_to_the_filled_form_at_its_field(client, app, citizen):
    check = _continue(client, citizen, plate="۱۲ب۳۴۵", note="نسخهٔ دوم", **_all_scans()).headers["Location"]
    html = client.get(check).get_data(as_text=True)
    draft = _draft(app).public_id
    link = f"/services/{citizen}/apply?draft={draft}#plate"
    assert f'<a href="{link}" class="change-link">تغییر<span class="visually-hidden"> شمارهٔ پلاک</span></a>' in html
    form = client.get(link.split("#")[0]).get_data(as_text=True)
    assert 'id="plate"' in form and 'value="۱۲ب۳۴۵"' in form and "نسخهٔ دوم</textarea>" in form
    assert 'id="scan-attached"' in form and 'id="card_document_2-attached"' in form


def test_sending_twice_from_the_check_page_files_one_request_and_one_sms(client, app, citizen):
    check = _continue(client, citizen, plate="۱۲ب۳۴۵", **_all_scans()).headers["Location"]
    page = client.get(check).get_data(as_text=True)
    assert "فرستادن درخواست" in page  # free: sent from here
    data = {"idempotency_key": _key(page), "draft": check.rsplit("draft=", 1)[1]}
    first, second = client.post(check.split("?")[0], data=data), client.post(check.split("?")[0], data=data)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    with app.app_context():
        filed = db.session.execute(db.select(Request)).scalar_one()
        assert filed.status == "submitted" and filed.answers == {"plate": "۱۲ب۳۴۵"}
        assert sorted(a.field_name for a in filed.attachments) == ["card_document_2", "scan"]
        assert db.session.query(SmsMessage).filter_by(purpose="tracking").count() == 1
        code = filed.tracking_code
    confirmation = client.get(first.headers["Location"]).get_data(as_text=True)
    assert first.headers["Location"] == f"/requests/{code}" and "درخواست شما ثبت شد" in confirmation


def test_the_check_page_of_an_incomplete_draft_shows_the_form_with_what_is_missing(client, app, citizen):
    client.post(
        f"/services/{citizen}/apply",
        data={"idempotency_key": "k" * 24, "action": "draft", "plate": "۱۲ب۳۴۵"},
        content_type="multipart/form-data",
    )
    response = client.get(f"/services/{citizen}/apply/check?draft={_draft(app).public_id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "«تصویر کارت خودرو» را پیوست کنید." in html
    assert 'value="۱۲ب۳۴۵"' in html and "پیش از فرستادن، پاسخ‌هایتان را ببینید" not in html


def test_the_check_page_is_its_owners_alone(client, app, citizen):
    check = _continue(client, citizen, plate="۱۲ب۳۴۵", **_all_scans()).headers["Location"]
    other = app.test_client()
    with app.app_context():
        person = f.citizen(3102, mobile="09120003102")
        db.session.commit()
        pair = (person.national_code, person.mobile)
    sign_in_citizen(other, app, *pair)
    assert other.get(check).status_code == 404
    assert other.post(check.split("?")[0], data={"draft": check.rsplit("draft=", 1)[1]}).status_code == 404
