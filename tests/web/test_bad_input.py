"""Bad input never answers 500: NUL and invalid UTF-8 refused before any view, error pages without the database,
whitespace is not an answer, sign-in codes in any digits with tries counted atomically, pages past the end, uploads
named and served by their checked kind, Persian 413, no-store on personal pages, receipts not built from a forged
Host header (issue 10, items 9 to 12)."""

import io
import re

import pytest
from flask import g, session
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm.attributes import set_committed_value
from werkzeug.datastructures import FileStorage, MultiDict

from app.core import pagination
from app.core.errors import render_error
from app.extensions import db, login_manager
from app.models import Attachment, OtpChallenge, Request, Role
from app.people import otp
from app.requests import attachments, formdefs
from tests import factories as f
from tests.web.helpers import apply_online, otp_from_sms, register_mobile, sign_in_citizen, sign_in_staff

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
POLYGLOT = PDF + b"<html><script>alert(document.cookie)</script></html>"
PERSIAN = re.compile("[\u0600-\u06ff]")
UNREADABLE = "نویسه‌هایی دارد که خوانده نمی‌شوند"
TO_PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
TO_ARABIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def _refused_in_persian(response):
    html = response.get_data(as_text=True)
    assert response.status_code == 400, html[:300]
    assert UNREADABLE in html and 'dir="rtl"' in html
    assert "Bad Request" not in html and "Internal Server Error" not in html


# --- item 9: NUL and invalid UTF-8, error pages without the database --------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/services/%00", "/search?q=a%00b", "/search?q=%FF", "/search?q=%C3(", "/agencies/a%00?page=1"],
)
def test_nul_or_invalid_utf8_in_an_address_is_refused_in_persian(client, path):
    _refused_in_persian(client.get(path))


def test_raw_bytes_that_are_not_utf8_in_the_path_are_refused(client):
    # What a WSGI server hands over for GET /services/%FF%FE (the test client would decode it itself).
    _refused_in_persian(client.get("/services/x", environ_overrides={"PATH_INFO": "/services/\xff\xfe"}))


def test_nul_in_a_form_field_is_refused_before_the_view(client, app):
    with app.app_context():
        register_mobile(app, f.national_code(501), "09120000501")
    response = client.post("/account/sign-in", data={"national_code": f.national_code(501) + "\x00", "mobile": "x"})
    _refused_in_persian(response)
    with app.app_context():
        assert db.session.execute(db.select(OtpChallenge)).first() is None


def test_invalid_utf8_in_a_urlencoded_body_is_refused(client):
    response = client.post(
        "/staff/sign-in", data=b"username=%FF%FEadmin&password=x", content_type="application/x-www-form-urlencoded"
    )
    _refused_in_persian(response)


def _multipart(parts):
    """A multipart body written by hand: (name, value bytes) or (name, filename bytes, content)."""
    chunks = []
    for part in parts:
        if len(part) == 2:
            head = f'--B\r\nContent-Disposition: form-data; name="{part[0]}"\r\n\r\n'.encode()
            chunks.append(head + part[1] + b"\r\n")
        else:
            head = f'--B\r\nContent-Disposition: form-data; name="{part[0]}"; filename="'.encode()
            chunks.append(head + part[1] + b'"\r\nContent-Type: application/pdf\r\n\r\n' + part[2] + b"\r\n")
    return b"".join(chunks) + b"--B--\r\n"


def _applying_citizen(client, app, form=None):
    with app.app_context():
        service = f.service(form=form)
        citizen = f.citizen(777)
        db.session.commit()
        code, who = service.code, (citizen.national_code, citizen.mobile)
    sign_in_citizen(client, app, *who)
    return code


@pytest.mark.parametrize(
    "filename, value",
    [(b"scan\x00.pdf", b"ok"), (b"scan\xff.pdf", b"ok"), (b"scan.pdf", b"bad \xff\xfe text")],
)
def test_nul_or_invalid_utf8_in_a_multipart_form_is_refused_and_nothing_is_filed(client, app, filename, value):
    code = _applying_citizen(client, app)
    body = _multipart([("description", value), ("action", b"submit"), ("document", filename, PDF)])
    response = client.post(f"/services/{code}/apply", data=body, content_type="multipart/form-data; boundary=B")
    _refused_in_persian(response)
    with app.app_context():
        assert db.session.execute(db.select(Request)).first() is None


def test_error_page_does_not_load_the_user_from_the_database(app, monkeypatch):
    """The layout asks current_user; on an error page that must not be a database look-up."""
    with app.app_context():
        user = f.citizen(778)
        db.session.commit()
        public_id = user.public_id

    def loader(_public_id):
        raise AssertionError("the error page loaded the user")

    monkeypatch.setattr(login_manager, "_user_callback", loader)
    with app.test_request_context("/services/x"):
        session["_user_id"] = public_id
        page, status = render_error(404)
    assert status == 404 and "صفحه پیدا نشد" in page and 'dir="rtl"' in page


def test_a_500_after_a_failed_transaction_still_shows_the_persian_page(app):
    with app.test_request_context("/"):
        with pytest.raises(DBAPIError):
            db.session.execute(text("SELECT * FROM no_such_table"))  # on PostgreSQL the transaction is now aborted
        g._login_user = None
        page, status = render_error(500)
        assert db.session.execute(text("SELECT 1")).scalar() == 1  # rolled back: the session works again
    assert status == 500 and "خطای سامانه" in page and "Internal Server Error" not in page


def test_signed_in_visitor_on_a_nul_address_gets_the_persian_page(client, app):
    _applying_citizen(client, app)
    _refused_in_persian(client.get("/services/%00/apply"))


# --- item 10: whitespace is no answer; a blank date is refused, not a 500 -------------------------------------


@pytest.mark.parametrize(
    "data, message",
    [
        ({"national_code": "     ", "mobile": "09121234567"}, "کد ملی را وارد کنید."),
        ({"national_code": "0012345679", "mobile": "   \t "}, "شمارهٔ همراه را وارد کنید."),
    ],
)
def test_sign_in_with_spaces_for_a_required_field_asks_for_it(client, data, message):
    response = client.post("/account/sign-in", data=data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


SPACES_FORM = [
    {"name": "father_code", "type": "national_code", "label": "کد ملی پدر", "required": True},
    {"name": "phone", "type": "mobile", "label": "همراه", "required": True},
    {"name": "postal", "type": "postal_code", "label": "کد پستی", "required": True},
    {"name": "born", "type": "date", "label": "تاریخ تولد", "required": True},
    {"name": "note", "type": "text", "label": "یادداشت", "required": True},
    {"name": "when", "type": "date", "label": "تاریخ دلخواه", "required": False},
    {"name": "home", "type": "address", "label": "نشانی", "required": True},
]


def test_form_definition_fields_of_only_spaces_are_required(app):
    posted = {spec["name"]: "   " for spec in SPACES_FORM if spec["type"] != "address"}
    posted.update({"home__province": "23", "home__county": "  ", "home__text": " \t "})
    with app.test_request_context():
        form = formdefs.build_form(SPACES_FORM, formdata=MultiDict(posted))
        assert not form.validate()
    assert form.errors == {
        "father_code": ["«کد ملی پدر» را وارد کنید."],
        "phone": ["«همراه» را وارد کنید."],
        "postal": ["«کد پستی» را وارد کنید."],
        "born": ["«تاریخ تولد» را وارد کنید."],
        "note": ["«یادداشت» را وارد کنید."],
        "home__county": ["«شهرستان» را وارد کنید."],
        "home__text": ["نشانی را وارد کنید."],
    }


def test_an_optional_date_of_spaces_is_no_answer(app):
    definition = [{"name": "when", "type": "date", "label": "تاریخ", "required": False}]
    with app.test_request_context():
        form = formdefs.build_form(definition, formdata=MultiDict({"when": "   "}))
        assert form.validate()
        assert formdefs.answers_from(form, definition) == {}


def test_blank_required_date_on_the_apply_page_is_a_400_not_a_500(client, app):
    code = _applying_citizen(client, app, form=[SPACES_FORM[3]])
    response = client.post(f"/services/{code}/apply", data={"born": "   ", "action": "submit"})
    assert response.status_code == 400
    assert "«تاریخ تولد» را وارد کنید." in response.get_data(as_text=True)


def test_address_too_long_says_so_in_persian(app):
    definition = [SPACES_FORM[6]]
    posted = MultiDict({"home__province": "23", "home__county": "ک" * 81, "home__text": "ن" * 501})
    with app.test_request_context():
        form = formdefs.build_form(definition, formdata=posted)
        assert not form.validate()
    assert form.errors == {
        "home__county": ["نام شهرستان حداکثر ۸۰ نویسه است."],
        "home__text": ["نشانی حداکثر ۵۰۰ نویسه است."],
    }


# --- item 11: sign-in codes in Persian or Arabic-Indic digits; tries counted atomically ------------------------


@pytest.mark.parametrize("digits", [TO_PERSIAN, TO_ARABIC])
def test_sign_in_code_typed_in_persian_or_arabic_digits_signs_in(client, app, digits):
    with app.app_context():
        citizen = f.citizen(779)
        db.session.commit()
        national_code, mobile = citizen.national_code, citizen.mobile
    register_mobile(app, national_code, mobile)
    assert client.post("/account/sign-in", data={"national_code": national_code, "mobile": mobile}).status_code == 302
    code = otp_from_sms(app, mobile)
    response = client.post("/account/sign-in/code", data={"code": code.translate(digits)})
    assert response.status_code == 302
    assert client.get("/account/requests").status_code == 200
    with app.app_context():
        assert db.session.execute(db.select(OtpChallenge.attempts)).scalar_one() == 1


def test_a_guess_checked_on_a_stale_row_cannot_pass_the_try_limit(app):
    """Parallel guesses each read the challenge before the others counted: the count in the database decides, so
    the right code sent as the sixth try is refused even by a request that read attempts = 0."""
    with app.test_request_context():
        challenge = otp.send_code(f.national_code(780), "09120000780")
        db.session.commit()
        code = re.search(r"\d{6}", db.session.execute(text("SELECT body FROM sms_message")).scalar()).group(0)
        # Five tries counted by other requests meanwhile; this request's row still says none.
        db.session.execute(text("UPDATE otp_challenge SET attempts = 5 WHERE id = :id"), {"id": challenge.id})
        db.session.commit()
        set_committed_value(challenge, "attempts", 0)
        with pytest.raises(otp.OtpError) as refused:
            otp.verify(challenge, code)
        assert "تعداد تلاش‌های نادرست از حد گذشت" in refused.value.message
        assert db.session.execute(text("SELECT consumed_at FROM otp_challenge")).scalar() is None


def test_wrong_codes_count_down_and_the_sixth_try_is_refused(app):
    with app.test_request_context():
        challenge = otp.send_code(f.national_code(781), "09120000781")
        db.session.commit()
        left = []
        for _try in range(6):
            with pytest.raises(otp.OtpError) as refused:
                otp.verify(challenge, "۰۰۰۰۰۰" if _try % 2 else "000000")
            left.append(refused.value.message)
        assert db.session.execute(text("SELECT attempts FROM otp_challenge")).scalar() == 5
    assert left[0] == "کد درست نیست. ۴ بار دیگر می‌توانید امتحان کنید."
    assert left[4] == left[5] == "تعداد تلاش‌های نادرست از حد گذشت. کد تازه بگیرید."


# --- item 12: pages past the end, uploads, 413, no-store, Host -------------------------------------------------


@pytest.mark.parametrize(
    "value, page", [("abc", 1), ("-3", 1), ("0", 1), ("۳", 3), ("٤", 4), ("9" * 25, pagination.MAX_PAGE), (None, 1)]
)
def test_page_number_reads_any_digits_and_clamps(value, page):
    assert pagination.page_number(value) == page


def test_a_page_past_the_end_shows_the_last_page(app):
    with app.app_context():
        agency = f.agency()
        for _n in range(3):
            f.service(agency)
        db.session.commit()
        found = pagination.paginate(db.select(Attachment.id).where(Attachment.id < 0), "99999")
        assert (found.page, found.pages, found.items) == (1, 1, [])


@pytest.mark.parametrize("page", ["99999999999999999999", "-1", "abc", "۹۹۹۹۹۹۹۹"])
def test_audit_desk_and_counter_lists_take_any_page_number(client, app, page):
    with app.app_context():
        office = f.office()
        agency = f.agency()
        f.staff(Role.NATIONAL_ADMIN, username="nadm-pages")
        f.staff(Role.CLERK, username="clerk-pages", office=office)
        f.staff(Role.AGENCY_OFFICER, username="officer-pages", agency=agency)
        db.session.commit()
    for username, path in (
        ("nadm-pages", "/admin/audit"),
        ("nadm-pages", "/admin/staff"),
        ("nadm-pages", "/admin/offices"),
        ("clerk-pages", "/counter/requests"),
        ("officer-pages", "/desk/"),
    ):
        sign_in_staff(client, username)
        response = client.get(path, query_string={"page": page})
        assert response.status_code == 200, (path, page)
        client.post("/account/sign-out")


def test_a_polyglot_named_html_is_stored_and_served_as_pdf(client, app):
    code = _applying_citizen(client, app)
    upload = (io.BytesIO(POLYGLOT), "report.html", "text/html")
    response = apply_online(
        client,
        code,
        {"description": "درخواست", "action": "continue", "idempotency_key": "polyglot-key-0001", "document": upload},
    )
    assert response.status_code == 302
    with app.app_context():
        request = db.session.execute(db.select(Request)).scalar_one()
        attachment = request.attachments[0]
        assert (attachment.original_name, attachment.content_type) == ("report.pdf", "application/pdf")
        url = f"/requests/{request.tracking_code}/files/{attachment.public_id}"
    download = client.get(url)
    assert download.status_code == 200
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert "report.pdf" in download.headers["Content-Disposition"]
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in download.headers["Cache-Control"]


@pytest.mark.parametrize(
    "filename, shown",
    [
        ("a\r\nX-Evil: 1.pdf", "a X-Evil: 1.pdf"),
        ("../../etc/passwd", "passwd.pdf"),
        ("C:\\scans\\کارت‌ملی.PDF", "کارت‌ملی.pdf"),
        ("\u202efdp.exe", "fdp.pdf"),
        ("", "file.pdf"),
    ],
)
def test_upload_names_are_cleaned_and_take_the_checked_extension(app, filename, shown):
    with app.test_request_context():
        row = attachments.store(FileStorage(stream=io.BytesIO(PDF), filename=filename), field_name="document")
        attachments.discard([row])
    assert row.original_name == shown


def test_a_filename_with_a_raw_line_break_is_not_dropped_silently(client, app):
    """A raw CR/LF in the filename cuts the part's header: the file arrives as text, and the page says so."""
    code = _applying_citizen(client, app, form=[{"name": "scan", "type": "file", "label": "اسکن", "required": False}])
    body = _multipart(
        [("action", b"submit"), ("idempotency_key", b"line-break-key-0001"), ("scan", b"a\r\nb.pdf", PDF)]
    )
    response = client.post(f"/services/{code}/apply", data=body, content_type="multipart/form-data; boundary=B")
    assert response.status_code == 400
    assert "این پرونده خوانده نشد" in response.get_data(as_text=True)
    with app.app_context():  # nothing is filed without it (the answers wait in a draft)
        assert db.session.execute(db.select(Request).where(Request.status != "draft")).first() is None


def test_too_large_a_body_gets_the_persian_413_page(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024)
    code = _applying_citizen(client, app)
    upload = (io.BytesIO(PDF + b"0" * 4096), "big.pdf", "application/pdf")
    response = client.post(f"/services/{code}/apply", data={"description": "x", "document": upload})
    html = response.get_data(as_text=True)
    assert response.status_code == 413
    assert "پرونده بیش از حد بزرگ است" in html and "Request Entity Too Large" not in html


def test_personal_pages_are_not_stored_by_caches(client, app):
    assert "no-store" not in client.get("/").headers.get("Cache-Control", "")
    _applying_citizen(client, app)
    for path in ("/account/requests", "/"):  # the public home too: it greets the signed-in person by name
        assert client.get(path).headers["Cache-Control"] == "no-store", path
    with app.app_context():
        f.staff(Role.NATIONAL_ADMIN, username="nadm-cache")
        db.session.commit()
    staff_client = app.test_client()
    sign_in_staff(staff_client, "nadm-cache")
    assert staff_client.get("/admin/").headers["Cache-Control"] == "no-store"


def _receipt(app):
    with app.app_context():
        office = f.office(code="O990")
        service = f.service()
        f.outsourcing(service)
        clerk = f.staff(Role.CLERK, username="clerk-host", office=office)
        filed = f.filed(service, f.citizen(782), channel="counter", office=office, actor=clerk)
        db.session.commit()
        return f"/counter/requests/{filed.tracking_code}/receipt"


def _signed_in_clerk(app, *hosts):
    """The receipt's clerk, signed in, with the session cookie also sent to the other host names."""
    client = app.test_client()
    sign_in_staff(client, "clerk-host")
    name = app.config["SESSION_COOKIE_NAME"]
    for host in hosts:
        client.set_cookie(name, client.get_cookie(name).value, domain=host)
    return client


def test_a_receipt_is_not_built_from_a_forged_host_header(app):
    url = _receipt(app)
    forged = _signed_in_clerk(app, "evil.example")
    response = forged.get(url, environ_overrides={"HTTP_HOST": "evil.example"})
    html = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "evil.example" not in html and "PUBLIC_BASE_URL" in html and PERSIAN.search(html)
    local = forged.get(url)  # the demo on this machine (Host: localhost) prints its own address
    assert local.status_code == 200 and "http://localhost/track" in local.get_data(as_text=True)


def test_trusted_hosts_refuse_other_hosts_and_receipts_use_the_checked_one(app, monkeypatch):
    url = _receipt(app)
    client = _signed_in_clerk(app, "evil.example", "panjereh.example")
    monkeypatch.setitem(app.config, "TRUSTED_HOSTS", ["panjereh.example", "localhost"])
    refused = client.get(url, environ_overrides={"HTTP_HOST": "evil.example"})
    assert refused.status_code == 400 and PERSIAN.search(refused.get_data(as_text=True))
    response = client.get(url, environ_overrides={"HTTP_HOST": "panjereh.example"})
    assert response.status_code == 200
    assert "http://panjereh.example/track" in response.get_data(as_text=True)
