"""The counter through its pages: filing for a walk-in citizen step by step, what cannot be filed, office
isolation, double submit, card references, the receipt and its QR code, the day ledger and its close."""

import html
import io
import re

import pytest
import segno

from app.core.persian import to_persian_digits
from app.extensions import db
from app.models import DayClose, Office, OtpChallenge, Payment, Request, Role, SmsMessage, User
from tests import factories as f
from tests.web.helpers import last_sms, register_mobile, sign_in_staff

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
FORM = [
    {"name": "plate", "type": "text", "label": "شمارهٔ پلاک", "required": True, "max_length": 20},
    {"name": "scan", "type": "file", "label": "تصویر سند", "required": True, "accept": ["pdf"], "max_size_mb": 1},
]
CITIZEN = {"national_code": f.national_code(4242), "full_name": "رضا پیاده", "mobile": "09351234567"}


@pytest.fixture
def world(app):
    with app.app_context():
        owner = f.agency(name="پلیس راهور")
        good = f.service(owner, form=FORM, title="صدور المثنی کارت خودرو", fee_rial=250_000)
        f.outsourcing(good, fee=60_000)
        statuses = {}
        for status in ("pending", "rejected", "revoked"):
            statuses[status] = f.service(owner, title=f"خدمت {status}")
            f.outsourcing(statuses[status], status=status)
        statuses["none"] = f.service(owner, title="خدمت واگذارنشده")
        statuses["elsewhere"] = f.service(owner, title="خدمت استان دیگر")
        f.outsourcing(statuses["elsewhere"], provinces=("03",))
        office_a, office_b = f.office(code="11001", name="دفتر الف"), f.office(code="11002", name="دفتر ب")
        f.staff(Role.CLERK, username="clerk-a", office=office_a).full_name = "متصدی الف"
        f.staff(Role.OFFICE_MANAGER, username="manager-a", office=office_a)
        f.staff(Role.CLERK, username="clerk-b", office=office_b)
        f.staff(Role.OFFICE_MANAGER, username="manager-b", office=office_b)
        f.staff(Role.AGENCY_OFFICER, username="officer", agency=owner)
        db.session.commit()
        codes = {"service": good.code, "blocked": {k: v.code for k, v in statuses.items()}}
    register_mobile(app, CITIZEN["national_code"], CITIZEN["mobile"])  # the registry knows the walk-in's number
    return codes


def state_of(response):
    match = re.search(r'name="state" value="([^"]+)"', response.get_data(as_text=True))
    assert match, response.get_data(as_text=True)[:2000]
    return match.group(1)


def fees_seen(response):
    return re.search(r'name="fees_seen" type="hidden" value="([^"]*)"', response.get_data(as_text=True)).group(1)


def to_fees(client, code, citizen=CITIZEN):
    """Service → citizen (paper consent) → form: returns the fees page."""
    page = client.get(f"/counter/file/{code}")
    assert page.status_code == 200
    page = client.post(
        f"/counter/file/{code}/citizen",
        data={"state": state_of(page), **citizen, "consent_method": "paper", "paper_number": "۱۴۰۵/۱۲۳"},
    )
    assert page.status_code == 200 and 'name="plate"' in page.get_data(as_text=True)
    page = client.post(
        f"/counter/file/{code}/form",
        content_type="multipart/form-data",
        data={"state": state_of(page), "plate": "۱۲ب۳۴۵-۶۶", "scan": (io.BytesIO(PDF), "سند.pdf")},
    )
    assert page.status_code == 200, page.get_data(as_text=True)
    return page


def submit(client, code, page, **data):
    return client.post(
        f"/counter/file/{code}/submit",
        data={"state": state_of(page), "fees_seen": fees_seen(page), "method": "cash", **data},
    )


def file_one(client, code, **data):
    response = submit(client, code, to_fees(client, code), **data)
    assert response.status_code == 303, response.get_data(as_text=True)
    return response.headers["Location"]


def tracking_codes(app):
    with app.app_context():
        return db.session.execute(db.select(Request.tracking_code)).scalars().all()


# --- filing ----------------------------------------------------------------------------------------------


def test_clerk_lands_on_the_counter_after_signing_in(client, world):
    assert sign_in_staff(client, "clerk-a").headers["Location"].endswith("/counter/")


def test_clerk_files_for_a_walk_in_citizen_from_service_to_receipt(client, app, world):
    sign_in_staff(client, "clerk-a")
    fees_page = to_fees(client, world["service"]).get_data(as_text=True)
    assert "۲۵۰٬۰۰۰ ریال" in fees_page and "۶۰٬۰۰۰ ریال" in fees_page and "۳۱۰٬۰۰۰ ریال" in fees_page
    assert 'id="sms-to"' not in fees_page  # a new citizen: the SMS go to the number typed
    receipt_url = file_one(client, world["service"])
    receipt = client.get(receipt_url).get_data(as_text=True)
    with app.app_context():
        request = db.session.execute(db.select(Request)).scalar_one()
        assert (request.channel, request.office.code, request.filed_by.username) == ("counter", "11001", "clerk-a")
        assert (request.consent_method, request.consent_reference) == ("paper", "1405/123")
        assert request.answers == {"plate": "۱۲ب۳۴۵-۶۶"}
        assert [a.content_type for a in request.attachments] == ["application/pdf"]
        assert request.applicant.national_code == CITIZEN["national_code"]
        assert request.applicant.full_name == CITIZEN["full_name"]
        assert sorted((p.kind, p.amount_rial, p.method, p.office_id, p.clerk_id) for p in request.payments) == [
            ("counter_fee", 60_000, "cash", request.office_id, request.filed_by_id),
            ("government_fee", 250_000, "cash", request.office_id, request.filed_by_id),
        ]
        code = request.tracking_code
    grouped = " ".join(code[i : i + 4] for i in (0, 4, 8)).translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    assert grouped in receipt
    assert "دفتر الف" in receipt and "متصدی الف" in receipt and "صدور المثنی کارت خودرو" in receipt
    assert "۳۱۰٬۰۰۰ ریال" in receipt and "نقد" in receipt
    assert to_persian_digits(code) in last_sms(app, CITIZEN["mobile"]).replace(" ", "")


def test_consent_by_sms_code_read_out_to_the_clerk(client, app, world):
    sign_in_staff(client, "clerk-a")
    code = world["service"]
    page = client.get(f"/counter/file/{code}")
    page = client.post(
        f"/counter/file/{code}/citizen", data={"state": state_of(page), **CITIZEN, "consent_method": "otp"}
    )
    assert page.status_code == 200 and 'name="code"' in page.get_data(as_text=True)
    sms = last_sms(app, CITIZEN["mobile"])
    assert "رضایت" in sms and "دفتر الف" in sms
    wrong = client.post(f"/counter/file/{code}/consent", data={"state": state_of(page), "code": "000000"})
    assert wrong.status_code == 400 and "کد درست نیست" in wrong.get_data(as_text=True)
    secret = re.search(r"\d{6}", sms).group(0)
    right = client.post(f"/counter/file/{code}/consent", data={"state": state_of(page), "code": secret})
    assert right.status_code == 200 and 'name="plate"' in right.get_data(as_text=True)
    right = client.post(
        f"/counter/file/{code}/form",
        content_type="multipart/form-data",
        data={"state": state_of(right), "plate": "x", "scan": (io.BytesIO(PDF), "a.pdf")},
    )
    assert submit(client, code, right).status_code == 303
    with app.app_context():
        request = db.session.execute(db.select(Request)).scalar_one()
        challenge = db.session.execute(db.select(OtpChallenge)).scalar_one()
        assert (request.consent_method, request.consent_reference) == ("otp", challenge.public_id)
        assert challenge.purpose == "counter_consent" and challenge.consumed_at is not None


def _ask_consent_code(client, code, national_code, mobile):
    page = client.get(f"/counter/file/{code}")
    return client.post(
        f"/counter/file/{code}/citizen",
        data={
            "state": state_of(page),
            "national_code": national_code,
            "full_name": "رضا پیاده",
            "mobile": mobile,
            "consent_method": "otp",
        },
    )


def _consent_sms_count(app):
    with app.app_context():
        return db.session.query(SmsMessage).filter_by(purpose="otp").count()


def test_a_clerk_cannot_send_a_flood_of_consent_sms(client, app, world):
    """40 numbers in a second once went out from one clerk's session; now 5 a minute, then a message."""
    sign_in_staff(client, "clerk-a")
    for n in range(8):
        register_mobile(app, f.national_code(7000 + n), f"0935{7000000 + n}")
    answers = [
        _ask_consent_code(client, world["service"], f.national_code(7000 + n), f"0935{7000000 + n}") for n in range(8)
    ]
    assert [r.status_code for r in answers] == [200] * 5 + [400] * 3
    refused = answers[5].get_data(as_text=True)
    assert "پیامک رضایت زیادی" in refused and "رضایت کاغذی" in refused
    assert 'id="mobile-error"' in refused and 'value="09357000005"' in refused
    assert _consent_sms_count(app) == 5
    # paper consent still works for the walk-in
    page = client.get(f"/counter/file/{world['service']}")
    paper = client.post(
        f"/counter/file/{world['service']}/citizen",
        data={"state": state_of(page), **CITIZEN, "consent_method": "paper", "paper_number": "12"},
    )
    assert paper.status_code == 200 and 'name="plate"' in paper.get_data(as_text=True)


def test_consent_sms_still_go_out_while_the_rate_limit_storage_is_unreachable(client, app, world, monkeypatch):
    """Redis down at scale: the counter's own consent limit must not turn the citizen step into a 500."""
    from app.extensions import limiter

    def unreachable(*_args, **_kwargs):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(limiter.limiter, "hit", unreachable)
    sign_in_staff(client, "clerk-a")
    response = _ask_consent_code(client, world["service"], CITIZEN["national_code"], CITIZEN["mobile"])
    assert response.status_code == 200 and 'name="code"' in response.get_data(as_text=True)
    assert _consent_sms_count(app) == 1


def test_pressing_continue_again_for_the_same_citizen_sends_no_second_sms(client, app, world):
    sign_in_staff(client, "clerk-a")
    for _ in range(7):
        response = _ask_consent_code(client, world["service"], CITIZEN["national_code"], CITIZEN["mobile"])
        assert response.status_code == 200 and 'name="code"' in response.get_data(as_text=True)
    assert _consent_sms_count(app) == 1


def test_an_office_cannot_send_a_flood_of_consent_sms_from_several_clerks(client, app, world, monkeypatch):
    with app.app_context():
        office = db.session.execute(db.select(Office).filter_by(code="11001")).scalar_one()
        for n in range(3):
            f.staff(Role.CLERK, username=f"clerk-a{n}", office=office)
        db.session.commit()
    # per day: a fixed one-minute window could roll over between the fourth and fifth request and let both through
    monkeypatch.setitem(app.config, "COUNTER_CONSENT_SMS_PER_OFFICE", "4 per day")
    for n in range(6):
        register_mobile(app, f.national_code(7100 + n), f"0935{7100000 + n}")
    statuses = []
    for n in range(3):
        sign_in_staff(client, f"clerk-a{n}")
        for k in range(2):
            statuses.append(
                _ask_consent_code(
                    client, world["service"], f.national_code(7100 + 2 * n + k), f"0935{7100000 + 2 * n + k}"
                )
            )
        client.post("/account/sign-out")
    assert [r.status_code for r in statuses] == [200] * 4 + [400] * 2
    assert "از این دفتر" in statuses[4].get_data(as_text=True)
    assert _consent_sms_count(app) == 4
    # another office is not held back by this one
    sign_in_staff(client, "clerk-b")
    assert _ask_consent_code(client, world["service"], CITIZEN["national_code"], CITIZEN["mobile"]).status_code == 200


def test_the_form_cannot_be_reached_without_consent(client, app, world):
    sign_in_staff(client, "clerk-a")
    page = client.get(f"/counter/file/{world['service']}")
    response = client.post(
        f"/counter/file/{world['service']}/form",
        content_type="multipart/form-data",
        data={"state": state_of(page), "plate": "x", "scan": (io.BytesIO(PDF), "a.pdf")},
    )
    assert response.status_code == 400 and 'name="national_code"' in response.get_data(as_text=True)


def test_bad_identity_is_explained_next_to_the_field_and_kept(client, world):
    sign_in_staff(client, "clerk-a")
    page = client.get(f"/counter/file/{world['service']}")
    response = client.post(
        f"/counter/file/{world['service']}/citizen",
        data={
            "state": state_of(page),
            "national_code": "1234567890",
            "full_name": "",
            "mobile": "0912",
            "consent_method": "paper",
            "paper_number": "",
        },
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "کد ملی معتبر نیست" in body and "نام متقاضی را وارد کنید" in body
    assert "شماره موبایل معتبر نیست" in body and "شمارهٔ فرم رضایت امضاشده را وارد کنید" in body
    assert 'value="1234567890"' in body and 'href="#national_code"' in body


def test_a_missing_scan_and_a_bad_answer_keep_the_clerk_on_the_form(client, world):
    sign_in_staff(client, "clerk-a")
    code = world["service"]
    page = client.get(f"/counter/file/{code}")
    page = client.post(
        f"/counter/file/{code}/citizen",
        data={"state": state_of(page), **CITIZEN, "consent_method": "paper", "paper_number": "7"},
    )
    response = client.post(
        f"/counter/file/{code}/form",
        content_type="multipart/form-data",
        data={"state": state_of(page), "plate": "x" * 30},
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 400 and "«تصویر سند» را پیوست کنید" in body and "طولانی‌تر" in body


def test_a_tampered_state_starts_the_filing_again(client, world):
    sign_in_staff(client, "clerk-a")
    page = client.get(f"/counter/file/{world['service']}")
    token = state_of(page)
    forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    response = client.post(f"/counter/file/{world['service']}/submit", data={"state": forged, "method": "cash"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/counter/file/{world['service']}")


def test_the_search_lists_only_fileable_services_and_an_exact_code_goes_straight_on(client, world):
    sign_in_staff(client, "clerk-a")
    listing = client.get("/counter/").get_data(as_text=True)
    assert "صدور المثنی کارت خودرو" in listing
    assert not any(
        title in listing
        for title in ("خدمت pending", "خدمت rejected", "خدمت revoked", "خدمت واگذارنشده", "خدمت استان دیگر")
    )
    assert "صدور المثنی" in client.get("/counter/?q=" + "كارت خودرو").get_data(as_text=True)  # Arabic ك folded
    jump = client.get("/counter/?q=" + world["service"].translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")))
    assert jump.status_code == 302 and jump.headers["Location"].endswith(f"/counter/file/{world['service']}")
    refused = client.get(f"/counter/?q={world['blocked']['revoked']}").get_data(as_text=True)
    assert "در این دفتر قابل ثبت نیست" in refused


@pytest.mark.parametrize("kind", ["none", "pending", "rejected", "revoked", "elsewhere"])
def test_clerk_cannot_file_a_service_that_is_not_approved_for_the_office(client, app, world, kind):
    sign_in_staff(client, "clerk-a")
    blocked = world["blocked"][kind]
    assert client.get(f"/counter/file/{blocked}").status_code == 404
    # Posting directly: a genuine state for the good service, sent to the blocked one's steps.
    page = to_fees(client, world["service"])
    for step in ("citizen", "form", "submit"):
        response = client.post(
            f"/counter/file/{blocked}/{step}",
            data={
                "state": state_of(page),
                "fees_seen": fees_seen(page),
                "method": "cash",
                **CITIZEN,
                "consent_method": "paper",
                "paper_number": "1",
                "plate": "x",
            },
        )
        assert response.status_code == 302 and response.headers["Location"].endswith("/counter/")
    with app.app_context():
        assert db.session.query(Request).count() == 0 and db.session.query(Payment).count() == 0


def test_revoking_during_a_filing_stops_it_at_submission(client, app, world):
    sign_in_staff(client, "clerk-a")
    page = to_fees(client, world["service"])
    with app.app_context():
        from app.models import Outsourcing

        db.session.execute(db.update(Outsourcing).values(status="revoked"))
        db.session.commit()
    response = submit(client, world["service"], page)
    assert response.status_code == 302
    with app.app_context():
        assert db.session.query(Request).count() == 0 and db.session.query(Payment).count() == 0


def test_double_submit_files_one_request_with_one_set_of_payments(client, app, world):
    sign_in_staff(client, "clerk-a")
    page = to_fees(client, world["service"])
    first, second = submit(client, world["service"], page), submit(client, world["service"], page)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    with app.app_context():
        assert db.session.query(Request).count() == 1
        assert db.session.query(Payment).count() == 2
        request = db.session.execute(db.select(Request)).scalar_one()
        assert len(request.attachments) == 1
    assert client.get(second.headers["Location"]).status_code == 200


def test_card_payment_needs_the_terminal_reference(client, app, world):
    sign_in_staff(client, "clerk-a")
    page = to_fees(client, world["service"])
    missing = submit(client, world["service"], page, method="card", reference="")
    assert missing.status_code == 400 and "شمارهٔ مرجع پایانه را وارد کنید" in missing.get_data(as_text=True)
    short = submit(client, world["service"], page, method="card", reference="۱۲۳")
    assert short.status_code == 400 and 'value="۱۲۳"' in short.get_data(as_text=True)
    assert tracking_codes(app) == []
    ok = submit(client, world["service"], page, method="card", reference="۱۲۳۴ ۵۶۷۸ ۹۰۱۲")
    assert ok.status_code == 303
    with app.app_context():
        assert {(p.method, p.reference) for p in db.session.query(Payment)} == {("card", "123456789012")}


def test_changed_fees_are_shown_again_before_filing(client, app, world):
    sign_in_staff(client, "clerk-a")
    page = to_fees(client, world["service"])
    with app.app_context():
        from app.models import Outsourcing

        db.session.execute(
            db.update(Outsourcing).where(Outsourcing.status == "approved").values(counter_fee_rial=90_000)
        )
        db.session.commit()
    response = submit(client, world["service"], page)
    assert response.status_code == 400 and "۹۰٬۰۰۰ ریال" in response.get_data(as_text=True)
    assert submit(client, world["service"], response).status_code == 303
    with app.app_context():
        assert db.session.execute(db.select(Payment.amount_rial).filter_by(kind="counter_fee")).scalar_one() == 90_000


def test_back_from_the_fees_shows_the_form_as_filled(client, world):
    sign_in_staff(client, "clerk-a")
    page = to_fees(client, world["service"])
    back = client.post(f"/counter/file/{world['service']}/form", data={"state": state_of(page), "nav": "show"})
    body = back.get_data(as_text=True)
    assert back.status_code == 200 and "۱۲ب۳۴۵-۶۶" in body and "سند.pdf" in body
    # the scan stays attached: continuing without choosing it again works
    again = client.post(
        f"/counter/file/{world['service']}/form",
        content_type="multipart/form-data",
        data={"state": state_of(back), "plate": "۱۲ب۳۴۵-۶۶"},
    )
    assert again.status_code == 200 and 'name="method"' in again.get_data(as_text=True)


def test_an_existing_account_keeps_its_name_and_mobile_and_the_clerk_sees_where_sms_go(client, app, world):
    with app.app_context():
        f.citizen(4242, mobile="09120000001", name="نام ثبت‌شده")
        db.session.commit()
    sign_in_staff(client, "clerk-a")
    page = to_fees(client, world["service"])  # typed 09351234567, which the registry also pairs with this person
    shown = page.get_data(as_text=True)
    assert 'id="sms-to"' in shown and "۰۹*****۰۰۰۱" in shown and "09120000001" not in shown
    response = submit(client, world["service"], page)
    assert response.status_code == 303
    with app.app_context():
        user = db.session.execute(db.select(User).filter_by(national_code=CITIZEN["national_code"])).scalar_one()
        assert (user.full_name, user.mobile) == ("نام ثبت‌شده", "09120000001")
        assert db.session.query(User).filter_by(role="citizen").count() == 1
    assert last_sms(app, "09120000001") is not None and last_sms(app, CITIZEN["mobile"]) is None


def _identify(client, code, method, **citizen):
    page = client.get(f"/counter/file/{code}")
    data = {"state": state_of(page), **CITIZEN, **citizen, "consent_method": method}
    if method == "paper":
        data["paper_number"] = "۱۴۰۵/۸"
    return client.post(f"/counter/file/{code}/citizen", data=data)


@pytest.mark.parametrize("method", ["paper", "otp"])
def test_a_walk_in_whose_number_the_registry_does_not_pair_is_refused_then_files_once_it_does(
    client, app, world, method
):
    sign_in_staff(client, "clerk-a")
    stranger = {"national_code": f.national_code(4343), "mobile": "۰۹۱۲۹۹۹۸۸۷۷"}
    refused = _identify(client, world["service"], method, **stranger)
    body = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert re.search(r'id="mobile-error"[^>]*>[^<]*این شماره در سامانهٔ شاهکار به نام صاحب این کد ملی ثبت نشده', body)
    assert 'value="09129998877"' in body and f'value="{stranger["national_code"]}"' in body
    assert 'name="plate"' not in body and 'name="code"' not in body
    with app.app_context():
        assert db.session.query(User).filter_by(role="citizen").count() == 0
        assert db.session.query(OtpChallenge).count() == 0 and db.session.query(SmsMessage).count() == 0
    assert tracking_codes(app) == []

    register_mobile(app, stranger["national_code"], "09129998877")
    if method == "otp":
        accepted = _identify(client, world["service"], method, **stranger)
        assert accepted.status_code == 200 and 'name="code"' in accepted.get_data(as_text=True)
        assert "رضایت" in last_sms(app, "09129998877")
        return
    response = submit(client, world["service"], to_fees(client, world["service"], citizen={**CITIZEN, **stranger}))
    assert response.status_code == 303
    with app.app_context():
        request = db.session.execute(db.select(Request)).scalar_one()
        assert (request.applicant.national_code, request.applicant.mobile) == (stranger["national_code"], "09129998877")


def test_the_demo_clerk_files_for_the_demo_citizen_whose_number_seed_demo_registered(client, app, seeded):
    from app.demo import DEMO_CITIZEN, DEMO_PASSWORD

    sign_in_staff(client, "clerk", DEMO_PASSWORD)
    page = client.get("/counter/file/10010002")
    page = client.post(
        "/counter/file/10010002/citizen",
        data={"state": state_of(page), **DEMO_CITIZEN, "consent_method": "paper", "paper_number": "1405/9"},
    )
    assert page.status_code == 200 and 'name="description"' in page.get_data(as_text=True)
    page = client.post(
        "/counter/file/10010002/form",
        content_type="multipart/form-data",
        data={
            "state": state_of(page),
            "description": "شناسنامه گم شده است",
            # the card's two documents (کارت ملی، دو قطعه عکس) are the form's required scans
            "card_document_1": (io.BytesIO(PDF), "card.pdf"),
            "card_document_2": (io.BytesIO(PDF), "photos.pdf"),
        },
    )
    assert page.status_code == 200 and 'id="sms-to"' not in page.get_data(as_text=True)
    response = submit(client, "10010002", page)
    assert response.status_code == 303
    tracking_code = response.headers["Location"].split("/")[-2]
    with app.app_context():
        request = db.session.execute(db.select(Request).filter_by(tracking_code=tracking_code)).scalar_one()
        assert (request.applicant.national_code, request.applicant.mobile) == ("0499370899", "09121234567")


def test_a_registry_that_cannot_answer_keeps_the_citizen_step_with_a_try_later_message(client, app, world, monkeypatch):
    monkeypatch.setitem(app.config, "MOBILE_OWNERSHIP_BACKEND", "http")
    monkeypatch.setitem(app.config, "MOBILE_OWNERSHIP_URL", "http://127.0.0.1:9/nothing-listens-here")
    sign_in_staff(client, "clerk-a")
    response = _identify(client, world["service"], "paper")
    body = response.get_data(as_text=True)
    assert response.status_code == 503
    assert re.search(r'id="mobile-error"[^>]*>[^<]*اکنون قابل بررسی نیست', body)
    assert f'value="{CITIZEN["mobile"]}"' in body and 'value="1405/8"' in body
    with app.app_context():
        assert db.session.query(User).filter_by(role="citizen").count() == 0


def test_a_staff_members_national_code_is_refused_next_to_the_field(client, app, world):
    staff_code = f.national_code(5151)
    with app.app_context():
        f.staff(Role.AGENCY_OFFICER, username="officer-2", national_code=staff_code)
        db.session.commit()
    register_mobile(app, staff_code, CITIZEN["mobile"])  # the registry pairs people, staff or not
    sign_in_staff(client, "clerk-a")
    page = to_fees(client, world["service"], citizen={**CITIZEN, "national_code": staff_code})
    response = submit(client, world["service"], page)
    body = response.get_data(as_text=True)
    assert response.status_code == 400 and "کارمند" in body and 'id="national_code-error"' in body
    assert re.search(r'<input[^>]*checked[^>]*value="paper"|<input[^>]*value="paper"[^>]*checked', body), body
    assert tracking_codes(app) == []


# --- who sees what -----------------------------------------------------------------------------------------


def test_other_roles_have_no_counter(client, world):
    sign_in_staff(client, "officer")
    for path in (
        "/counter/",
        f"/counter/file/{world['service']}",
        "/counter/requests",
        "/counter/ledger",
        "/counter/offices/11001/ledger",
    ):
        assert client.get(path).status_code == 404


def test_clerk_of_another_office_cannot_see_requests_receipts_or_ledger(client, app, world):
    sign_in_staff(client, "clerk-a")
    receipt = file_one(client, world["service"])
    code = tracking_codes(app)[0]
    client.post("/account/sign-out")
    sign_in_staff(client, "clerk-b")
    assert client.get(receipt).status_code == 404
    assert code not in client.get("/counter/requests").get_data(as_text=True)
    searched = client.get(f"/counter/requests?code={code}").get_data(as_text=True)
    assert f"/counter/requests/{code}/receipt" not in searched
    for path in (
        "/counter/offices/11001/ledger",
        "/counter/offices/11001/ledger.csv",
        "/counter/offices/11001/ledger/month.csv",
    ):
        assert client.get(path).status_code == 404
    client.post("/account/sign-out")
    sign_in_staff(client, "manager-b")
    assert client.post("/counter/offices/11001/ledger/close", data={"counted_cash": "0"}).status_code == 404


def test_the_office_list_links_to_reprintable_receipts(client, app, world):
    sign_in_staff(client, "clerk-a")
    file_one(client, world["service"])
    code = tracking_codes(app)[0]
    client.post("/account/sign-out")
    sign_in_staff(client, "manager-a")
    listing = client.get("/counter/requests").get_data(as_text=True)
    assert f"/counter/requests/{code}/receipt" in listing and "رضا پیاده" in listing
    assert client.get(f"/counter/requests/{code}/receipt").status_code == 200
    assert client.get("/counter/requests?day=1405/13/01").status_code == 400


@pytest.mark.parametrize("page", ["99999999999999999999", "100000", "-5", "²", "1e9", "۲"])
def test_any_page_number_on_the_office_list_answers_a_page(client, app, world, page):
    sign_in_staff(client, "clerk-a")
    file_one(client, world["service"])
    code = tracking_codes(app)[0]
    response = client.get(f"/counter/requests?page={page}")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    # the first page is shown for what is no page number; a page past the end is simply empty
    assert (f"/counter/requests/{code}/receipt" in body) == (page in ("99999999999999999999", "-5", "²", "1e9"))


# --- the receipt ---------------------------------------------------------------------------------------------


def test_the_receipt_qr_code_encodes_the_public_tracking_address(client, app, world):
    sign_in_staff(client, "clerk-a")
    receipt = client.get(file_one(client, world["service"])).get_data(as_text=True)
    code = tracking_codes(app)[0]
    url = f"http://localhost/track?code={code}"
    assert url in receipt  # printed under the code for people without a scanner
    expected = segno.make(url, error="m", micro=False).svg_inline(
        scale=1, border=4, omitsize=True, svgclass="qr", title="کد QR نشانی پیگیری"
    )
    svg = re.search(r"<svg.*?</svg>", receipt, re.S).group(0)
    assert html.unescape(svg) == html.unescape(expected)


def test_the_receipt_uses_the_public_base_url_and_prints_on_80mm(client, app, world):
    sign_in_staff(client, "clerk-a")
    receipt_url = file_one(client, world["service"])
    code = tracking_codes(app)[0]
    app.config["PUBLIC_BASE_URL"] = "https://panjereh.example.ir/"
    try:
        body = client.get(receipt_url + "?paper=80").get_data(as_text=True)
    finally:
        app.config["PUBLIC_BASE_URL"] = ""
    assert f"https://panjereh.example.ir/track?code={code}" in body
    assert 'class="receipt receipt-80"' in body


# --- the day ledger -----------------------------------------------------------------------------------------


def test_office_manager_closes_the_day_after_confirming_and_it_stays_closed(client, app, world):
    sign_in_staff(client, "clerk-a")
    file_one(client, world["service"])
    file_one(client, world["service"], method="card", reference="123456")
    client.post("/account/sign-out")
    sign_in_staff(client, "manager-a")
    ledger = client.get("/counter/ledger", follow_redirects=True).get_data(as_text=True)
    assert "متصدی الف" in ledger and "۶۲۰٬۰۰۰" in ledger
    no_note = client.post("/counter/offices/11001/ledger/close", data={"counted_cash": "300000"})
    assert no_note.status_code == 400 and "علت اختلاف" in no_note.get_data(as_text=True)
    asked = client.post("/counter/offices/11001/ledger/close", data={"counted_cash": "۳۰۰٬۰۰۰", "note": "کسری"})
    assert asked.status_code == 200 and "بله، روز را می‌بندم" in asked.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(DayClose).count() == 0
    done = client.post(
        "/counter/offices/11001/ledger/close", data={"counted_cash": "300000", "note": "کسری", "confirm": "yes"}
    )
    assert done.status_code == 302
    with app.app_context():
        close = db.session.execute(db.select(DayClose)).scalar_one()
        assert (close.expected_cash_rial, close.counted_cash_rial, close.difference_rial) == (310_000, 300_000, -10_000)
        assert close.totals["office"]["requests"] == 2
    again = client.post(
        "/counter/offices/11001/ledger/close", data={"counted_cash": "310000", "confirm": "yes"}, follow_redirects=True
    )
    assert "قبلاً بسته شده" in again.get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(db.select(DayClose.counted_cash_rial)).scalar_one() == 300_000
    page = client.get("/counter/offices/11001/ledger").get_data(as_text=True)
    assert "این روز بسته شده است" in page and "بستن روز</button>" not in page


def test_no_filing_after_the_day_is_closed(client, app, world):
    sign_in_staff(client, "clerk-a")
    page = to_fees(client, world["service"])
    client.post("/account/sign-out")
    sign_in_staff(client, "manager-a")
    client.post("/counter/offices/11001/ledger/close", data={"counted_cash": "0", "confirm": "yes"})
    client.post("/account/sign-out")
    sign_in_staff(client, "clerk-a")
    assert "بسته شده" in client.get("/counter/").get_data(as_text=True)
    assert client.get(f"/counter/file/{world['service']}").status_code == 302
    assert submit(client, world["service"], page).status_code == 302
    assert tracking_codes(app) == []


def test_clerk_sees_the_ledger_but_cannot_close_it(client, world):
    sign_in_staff(client, "clerk-a")
    page = client.get("/counter/offices/11001/ledger")
    assert page.status_code == 200 and "بستن روز</button>" not in page.get_data(as_text=True)
    closing = client.post("/counter/offices/11001/ledger/close", data={"counted_cash": "0", "confirm": "yes"})
    assert closing.status_code == 404


def test_day_and_month_exports(client, app, world):
    sign_in_staff(client, "clerk-a")
    file_one(client, world["service"])
    code = tracking_codes(app)[0]
    day = client.get("/counter/offices/11001/ledger.csv")
    text = day.get_data(as_text=True)
    assert day.mimetype == "text/csv" and "attachment" in day.headers["Content-Disposition"]
    assert text.startswith("\ufeff") and code in text and "250000,60000" in text
    month = client.get("/counter/offices/11001/ledger/month.csv").get_data(as_text=True)
    assert ",1,250000,0,60000,0,310000,0,310000," in month
    assert client.get("/counter/offices/11001/ledger/month.csv?month=1405-13").status_code == 400
    assert client.get("/counter/offices/11001/ledger?day=nonsense").status_code == 400


def test_the_same_page_sent_twice_at_the_same_moment_files_once(client, app, world, live_server):
    """A real double click: two connections to a threaded server, released together, five times over."""
    import http.client
    import threading
    from urllib.parse import urlencode, urlsplit

    sign_in_staff(client, "clerk-a")
    cookie = "session=" + client.get_cookie("session").value
    target = urlsplit(live_server.url)
    for n in range(3):
        register_mobile(app, f.national_code(9000 + n), CITIZEN["mobile"])
    for n in range(5):
        # a new citizen each other time (both submissions create them), else one known from the time before
        page = to_fees(client, world["service"], citizen={**CITIZEN, "national_code": f.national_code(9000 + n // 2)})
        body = urlencode({"state": state_of(page), "fees_seen": fees_seen(page), "method": "cash"})
        gate, answers = threading.Barrier(2), []

        def send(gate=gate, body=body, answers=answers):
            conn = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
            gate.wait()
            conn.request(
                "POST",
                f"/counter/file/{world['service']}/submit",
                body=body,
                headers={"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"},
            )
            response = conn.getresponse()
            answers.append((response.status, response.getheader("Location")))
            conn.close()

        threads = [threading.Thread(target=send) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert [status for status, _ in answers] == [303, 303] and answers[0][1] == answers[1][1], answers
    with app.app_context():
        assert db.session.query(Request).count() == 5 and db.session.query(Payment).count() == 10
        assert db.session.query(User).filter_by(role="citizen").count() == 3


# --- scans left by interrupted filings ---------------------------------------------------------------------


def test_cleanup_removes_only_the_scans_an_interrupted_filing_left_behind(
    client, app, world, runner, tmp_path, monkeypatch
):
    import time
    from types import SimpleNamespace

    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path))
    sign_in_staff(client, "clerk-a")
    file_one(client, world["service"])  # filed: its scan is an attachment of the request
    to_fees(client, world["service"])  # interrupted at the fees: its staged scan belongs to nothing
    (tmp_path / "README").write_text("not a scan")
    with app.app_context():
        kept = db.session.execute(db.select(Request)).scalar_one().attachments[0].storage_name
    stored = {p.name for p in tmp_path.iterdir()}
    assert kept in stored and len(stored) == 3
    (orphan,) = stored - {kept, "README"}

    fresh = runner.invoke(args=["cleanup", "scans"])
    assert fresh.exit_code == 0 and "removed 0 orphan scans" in fresh.output
    later = time.time() + 25 * 3600
    monkeypatch.setattr("app.counter.flow.time", SimpleNamespace(time=lambda: later))
    looked = runner.invoke(args=["cleanup", "scans", "--dry-run"])
    assert looked.exit_code == 0 and orphan in looked.output and "would remove 1 orphan scans" in looked.output
    assert (tmp_path / orphan).exists()
    done = runner.invoke(args=["cleanup", "scans", "--hours", "24"])
    assert done.exit_code == 0 and f"removed 1 orphan scans ({len(PDF)} bytes)" in done.output
    assert {p.name for p in tmp_path.iterdir()} == {kept, "README"}
    with app.app_context():
        filed = db.session.execute(db.select(Request)).scalar_one()
        download = f"/requests/{filed.tracking_code}/files/{filed.attachments[0].public_id}"
    assert client.get(download).data == PDF  # the filed request's scan is untouched


def test_cleanup_refuses_an_age_a_filing_in_progress_may_still_use(runner):
    refused = runner.invoke(args=["cleanup", "scans", "--hours", "2"])
    assert refused.exit_code == 2 and "۳ ساعت" in refused.output
