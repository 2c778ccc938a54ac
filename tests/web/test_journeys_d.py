"""Issue 12 items 4 and 13 through the test client: what the window knows about the applicant is shown, not asked
(online from the account, at the counter from the identification), and one consent code covers a walk-in's errands
of the same visit with the same clerk."""

import re
from datetime import timedelta

import pytest

from app.extensions import db
from app.models import OtpChallenge, Request, Role, SmsMessage, User
from app.requests.formdefs import Applicant, answers_from, build_form, check_definition
from tests import factories as f
from tests.web.helpers import last_sms, register_mobile, sign_in_citizen, sign_in_staff

FORM = [
    {
        "name": "national_code",
        "type": "national_code",
        "prefill": "applicant.national_code",
        "label": "کد ملی",
        "hint": "ده رقم، بدون خط تیره",
        "required": True,
    },
    {"name": "mobile", "type": "mobile", "prefill": "applicant.mobile", "label": "شمارهٔ تلفن همراه", "required": True},
    {"name": "full_name", "type": "text", "prefill": "applicant.full_name", "label": "نام متقاضی", "required": True},
    {"name": "plate", "type": "text", "label": "شمارهٔ پلاک", "required": True, "max_length": 20},
]
WALK_IN = {"national_code": f.national_code(5151), "full_name": "مریم رهگذر", "mobile": "09351115151"}
STRANGER = f.national_code(6262)


def _input(html, name):
    """The <input> tag of a field, whatever the order of its attributes."""
    match = re.search(rf'<input[^>]*\bname="{name}"[^>]*>', html)
    assert match, f"no input {name}"
    return match.group(0)


# --- item 4: the definition and the renderer --------------------------------------------------------------


@pytest.mark.parametrize(
    "spec, expected",
    [
        ({"name": "who", "type": "national_code", "prefill": "applicant.father"}, "«prefill» فقط یکی از این‌هاست"),
        (
            {"name": "who", "type": "mobile", "prefill": "applicant.national_code"},
            "«prefill» «applicant.national_code»",
        ),
        ({"name": "who", "type": "choice", "prefill": 1, "choices": [["a", "الف"]]}, "«prefill» فقط یکی از این‌هاست"),
    ],
)
def test_check_definition_refuses_an_unknown_prefill_or_one_on_a_field_that_cannot_hold_it(app, spec, expected):
    with app.test_request_context("/"):
        problems = check_definition([spec])
    assert len(problems) == 1 and expected in problems[0], problems


def test_check_definition_accepts_the_three_applicant_prefills(app):
    with app.test_request_context("/"):
        assert check_definition(FORM) == []


def test_the_importer_and_exporter_keep_a_fields_prefill(ctx):
    from app.catalogue.transfer import Source, export_data, import_catalogue
    from tests.catalogue_data import card

    import_catalogue(Source.from_data([card("9000", "صدور گواهی آزمایشی", form=FORM)]))
    exported = next(s for s in export_data()["services"] if s["title"] == "صدور گواهی آزمایشی")
    assert [(field["name"], field.get("prefill")) for field in exported["form"]] == [
        ("national_code", "applicant.national_code"),
        ("mobile", "applicant.mobile"),
        ("full_name", "applicant.full_name"),
        ("plate", None),
    ]


def test_a_posted_value_never_replaces_the_applicants_own(app):
    from werkzeug.datastructures import MultiDict

    who = Applicant(national_code=WALK_IN["national_code"], mobile="09351115151", full_name="مریم رهگذر")
    posted = MultiDict({"national_code": STRANGER, "mobile": "09129999999", "full_name": "کسی دیگر", "plate": "۱۲"})
    with app.test_request_context("/"):
        form = build_form(FORM, formdata=posted, applicant=who)
        assert form.validate(), form.errors
        answers = answers_from(form, FORM)
    assert answers == {
        "national_code": WALK_IN["national_code"],
        "mobile": "09351115151",
        "full_name": "مریم رهگذر",
        "plate": "۱۲",
    }


def test_a_value_the_applicant_lacks_stays_an_ordinary_input(app):
    """An account made by signing in has no name yet: the name field is asked for, not shown empty and locked."""
    with app.test_request_context("/"):
        form = build_form(FORM, applicant=Applicant(national_code=WALK_IN["national_code"], mobile="09351115151"))
    assert form.national_code.render_kw == {"readonly": True}
    assert not getattr(form.full_name, "prefilled", "") and not form.full_name.render_kw


# --- item 4 at the counter ------------------------------------------------------------------------------------


@pytest.fixture
def counter(app):
    with app.app_context():
        service = f.service(f.agency(name="پلیس راهور"), form=FORM, title="صدور المثنی کارت خودرو", fee_rial=0)
        second = f.service(service.agency, form=FORM, title="تعویض پلاک خودرو", fee_rial=0)
        f.outsourcing(service, fee=0)
        f.outsourcing(second, fee=0)
        office = f.office(code="11001", name="دفتر الف")
        other_office = f.office(code="11002", name="دفتر ب")
        f.staff(Role.CLERK, username="clerk-a", office=office)
        f.staff(Role.CLERK, username="clerk-a2", office=office)
        f.staff(Role.CLERK, username="clerk-b", office=other_office)
        db.session.commit()
        codes = {"service": service.code, "second": second.code}
    register_mobile(app, WALK_IN["national_code"], WALK_IN["mobile"])
    return codes


def state_of(response):
    match = re.search(r'name="state" value="([^"]+)"', response.get_data(as_text=True))
    assert match, response.get_data(as_text=True)[:2000]
    return match.group(1)


def _identify(client, code, consent="otp", **extra):
    page = client.get(f"/counter/file/{code}")
    assert page.status_code == 200
    return client.post(
        f"/counter/file/{code}/citizen",
        data={"state": state_of(page), **WALK_IN, "consent_method": consent, **extra},
    )


def _read_out_code(client, app, code, page):
    secret = re.search(r"\d{6}", last_sms(app, WALK_IN["mobile"])).group(0)
    form = client.post(f"/counter/file/{code}/consent", data={"state": state_of(page), "code": secret})
    assert form.status_code == 200 and 'name="plate"' in form.get_data(as_text=True)
    return form


def _file_from_form(client, code, form_page, **posted):
    fees = client.post(
        f"/counter/file/{code}/form", data={"state": state_of(form_page), "plate": "۱۲ب۳۴۵-۶۶", **posted}
    )
    assert fees.status_code == 200, fees.get_data(as_text=True)
    seen = re.search(r'name="fees_seen" type="hidden" value="([^"]*)"', fees.get_data(as_text=True)).group(1)
    done = client.post(
        f"/counter/file/{code}/submit", data={"state": state_of(fees), "fees_seen": seen, "method": "cash"}
    )
    assert done.status_code == 303, done.get_data(as_text=True)
    return done.headers["Location"].split("/requests/")[1].split("/")[0]


def _consent_sms_count(app):
    with app.app_context():
        return len(db.session.execute(db.select(SmsMessage).filter_by(mobile=WALK_IN["mobile"], purpose="otp")).all())


def test_counter_form_shows_the_identified_citizens_details_read_only(client, app, counter):
    sign_in_staff(client, "clerk-a")
    form = _identify(client, counter["service"], consent="paper", paper_number="1405/7")
    html = form.get_data(as_text=True)
    national = _input(html, "national_code")
    assert f'value="{WALK_IN["national_code"]}"' in national and "readonly" in national
    assert 'value="09351115151"' in _input(html, "mobile") and "readonly" in _input(html, "mobile")
    assert 'value="مریم رهگذر"' in _input(html, "full_name")
    assert "readonly" not in _input(html, "plate")
    assert html.count("از شناسایی در پیشخوان") == 3
    assert "autofocus" in _input(html, "plate")  # the clerk types the first thing not known already


def test_counter_files_the_identified_national_code_whatever_the_form_posts(client, app, counter):
    sign_in_staff(client, "clerk-a")
    form = _identify(client, counter["service"], consent="paper", paper_number="1405/7")
    tracking = _file_from_form(
        client, counter["service"], form, national_code=STRANGER, mobile="09129999999", full_name="کسی دیگر"
    )
    with app.app_context():
        request = db.session.execute(db.select(Request).filter_by(tracking_code=tracking)).scalar_one()
        assert request.answers == {
            "national_code": WALK_IN["national_code"],
            "mobile": "09351115151",
            "full_name": "مریم رهگذر",
            "plate": "۱۲ب۳۴۵-۶۶",
        }
        assert request.consent_method == "paper" and request.consent_at is not None


# --- item 13: one consent for the visit ----------------------------------------------------------------------


def _first_filing_with_a_code(client, app, counter):
    """clerk-a files the first errand with a consent code read out: (tracking code, the code's row)."""
    sign_in_staff(client, "clerk-a")
    page = _identify(client, counter["service"])
    assert 'name="code"' in page.get_data(as_text=True)
    tracking = _file_from_form(client, counter["service"], _read_out_code(client, app, counter["service"], page))
    with app.app_context():
        challenge = db.session.execute(db.select(OtpChallenge)).scalar_one()
        return tracking, challenge.public_id


def test_a_second_errand_in_the_same_visit_needs_no_new_code(client, app, counter):
    first, challenge_id = _first_filing_with_a_code(client, app, counter)
    sent = _consent_sms_count(app)
    page = _identify(client, counter["second"])  # seconds later: once «کد قبلی همین الان فرستاده شد»
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'name="plate"' in html and 'name="code"' not in html
    assert "رضایت این شهروند در همین مراجعه تأیید شده است" in html
    assert _consent_sms_count(app) == sent
    second = _file_from_form(client, counter["second"], page)
    with app.app_context():
        challenge = db.session.execute(db.select(OtpChallenge).filter_by(public_id=challenge_id)).scalar_one()
        rows = {r.tracking_code: r for r in db.session.execute(db.select(Request)).scalars()}
        assert {(r.consent_method, r.consent_reference) for r in rows.values()} == {("otp", challenge_id)}
        assert rows[first].consent_at == rows[second].consent_at == challenge.verified_at
        clerk = db.session.execute(db.select(User).filter_by(username="clerk-a")).scalar_one()
        assert (challenge.office_id, challenge.clerk_id) == (clerk.office_id, clerk.id)


def _code_page_or_wait(page):
    """A new consent is needed: the code page, or (within a minute of the last code) the wait on the citizen step."""
    html = page.get_data(as_text=True)
    return 'name="code"' in html or "کد قبلی همین الان فرستاده شد" in html


def test_another_clerk_of_the_same_office_needs_a_new_code(client, app, counter):
    _first_filing_with_a_code(client, app, counter)
    with app.app_context():  # past the minute between two codes to one mobile
        challenge = db.session.execute(db.select(OtpChallenge)).scalar_one()
        challenge.sent_at -= timedelta(minutes=2)
        db.session.commit()
    client.post("/account/sign-out")
    sign_in_staff(client, "clerk-a2")
    sent = _consent_sms_count(app)
    page = _identify(client, counter["second"])
    assert 'name="code"' in page.get_data(as_text=True)
    assert "در همین مراجعه" not in page.get_data(as_text=True)
    assert _consent_sms_count(app) == sent + 1


def test_another_office_needs_a_new_code(client, app, counter):
    _first_filing_with_a_code(client, app, counter)
    client.post("/account/sign-out")
    sign_in_staff(client, "clerk-b")  # the second service is outsourced everywhere: office B files it too
    page = _identify(client, counter["second"])
    assert _code_page_or_wait(page) and "در همین مراجعه" not in page.get_data(as_text=True)


def test_after_the_visit_window_a_new_code_is_needed(client, app, counter):
    _first_filing_with_a_code(client, app, counter)
    with app.app_context():
        challenge = db.session.execute(db.select(OtpChallenge)).scalar_one()
        challenge.verified_at -= timedelta(minutes=31)
        challenge.sent_at -= timedelta(minutes=31)
        db.session.commit()
    page = _identify(client, counter["second"])
    assert 'name="code"' in page.get_data(as_text=True)
    assert "در همین مراجعه" not in page.get_data(as_text=True)


def test_the_visit_window_is_configurable(client, app, counter):
    _first_filing_with_a_code(client, app, counter)
    with app.app_context():
        challenge = db.session.execute(db.select(OtpChallenge)).scalar_one()
        challenge.verified_at -= timedelta(minutes=31)
        db.session.commit()
    app.config["COUNTER_CONSENT_VISIT_MINUTES"] = 45
    page = _identify(client, counter["second"])
    assert "رضایت این شهروند در همین مراجعه تأیید شده است" in page.get_data(as_text=True)
    app.config["COUNTER_CONSENT_VISIT_MINUTES"] = 0
    page = _identify(client, counter["second"])
    assert _code_page_or_wait(page) and "در همین مراجعه" not in page.get_data(as_text=True)


def test_a_code_sent_but_never_read_out_covers_nothing(client, app, counter):
    sign_in_staff(client, "clerk-a")
    page = _identify(client, counter["service"])
    assert 'name="code"' in page.get_data(as_text=True)
    with app.app_context():  # a newer code replaced it: consumed, but nobody verified it
        challenge = db.session.execute(db.select(OtpChallenge)).scalar_one()
        challenge.sent_at -= timedelta(minutes=2)
        db.session.commit()
    client.post(f"/counter/file/{counter['service']}/consent", data={"state": state_of(page), "action": "resend"})
    page = _identify(client, counter["second"])
    assert "در همین مراجعه" not in page.get_data(as_text=True)


def test_the_same_national_code_with_another_mobile_needs_a_new_code(client, app, counter):
    _first_filing_with_a_code(client, app, counter)
    register_mobile(app, WALK_IN["national_code"], "09351116161")
    page = _identify(client, counter["second"], mobile="09351116161")
    assert 'name="code"' in page.get_data(as_text=True)
    assert "در همین مراجعه" not in page.get_data(as_text=True)


# --- item 4 online ---------------------------------------------------------------------------------------------


@pytest.fixture
def online(app):
    with app.app_context():
        service = f.service(form=FORM, title="اعتراض به دهک‌بندی آزمایشی")
        person = f.citizen(7301, mobile="09120007301", name="سارا آنلاین")
        db.session.commit()
        return {"service": service.code, "national_code": person.national_code, "mobile": person.mobile}


def test_signed_in_citizen_sees_national_code_mobile_and_name_from_the_account_read_only(client, app, online):
    sign_in_citizen(client, app, online["national_code"], online["mobile"])
    html = client.get(f"/services/{online['service']}/apply").get_data(as_text=True)
    assert f'value="{online["national_code"]}"' in _input(html, "national_code")
    assert "readonly" in _input(html, "national_code") and "readonly" in _input(html, "mobile")
    assert 'value="09120007301"' in _input(html, "mobile")
    assert 'value="سارا آنلاین"' in _input(html, "full_name")
    assert html.count("از حساب شما") == 3
    assert "readonly" not in _input(html, "plate")


def test_online_the_account_s_national_code_and_mobile_are_filed_whatever_is_posted(client, app, online):
    sign_in_citizen(client, app, online["national_code"], online["mobile"])
    apply = f"/services/{online['service']}/apply"
    html = client.get(apply).get_data(as_text=True)
    key = re.search(r'name="idempotency_key" type="hidden" value="([^"]+)"', html).group(1)
    posted = {"national_code": STRANGER, "mobile": "09129999999", "full_name": "کسی دیگر", "plate": "۱۲"}
    check = client.post(apply, data={"idempotency_key": key, "action": "continue", **posted})
    assert check.status_code == 302, check.get_data(as_text=True)
    page = client.get(check.headers["Location"])
    html = page.get_data(as_text=True)
    assert STRANGER not in html and "کسی دیگر" not in html and "سارا آنلاین" in html
    key = re.search(r'name="idempotency_key" type="hidden" value="([^"]+)"', html).group(1)
    done = client.post(check.headers["Location"], data={"idempotency_key": key})
    assert done.status_code == 302 and "/requests/" in done.headers["Location"], done.get_data(as_text=True)
    with app.app_context():
        request = db.session.execute(db.select(Request)).scalar_one()
        assert request.answers == {
            "national_code": online["national_code"],
            "mobile": "09120007301",
            "full_name": "سارا آنلاین",
            "plate": "۱۲",
        }
