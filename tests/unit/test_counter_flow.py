"""The counter filing as rules, called the way a channel without pages (the API) will call them."""

import re
from datetime import datetime, timedelta

import pytest

from app.adapters import ownership
from app.core.persian import to_persian_digits
from app.counter import fees, flow
from app.extensions import db
from app.models import OtpChallenge, Payment, Request, Role, SmsMessage, User, utcnow
from tests import factories as f

FORM = [{"name": "plate", "type": "text", "label": "پلاک", "required": True, "max_length": 20}]


@pytest.fixture
def desk(ctx):
    service = f.service(form=FORM, fee_rial=250_000)
    f.outsourcing(service, fee=60_000)
    office = f.office()
    clerk = f.staff(Role.CLERK, office=office)
    ownership.register(f.national_code(4242), "09351234567")  # the registry knows the walk-in's own number
    db.session.commit()
    return {"service": service, "office": office, "clerk": clerk}


def ready(desk, national_code=None):
    """A filing with a citizen, paper consent and its form answered: what the fees step sees."""
    filing = flow.begin(desk["service"], desk["office"], desk["clerk"])
    assert (
        flow.identify(filing, national_code or f.national_code(4242), "رضا پیاده", "۰۹۳۵۱۲۳۴۵۶۷", "paper", "۱۴۰۵/۷")
        is None
    )
    flow.take_form(filing, {"plate": "12"}, {})
    return filing


def test_a_filing_goes_from_citizen_to_request_through_the_rules_alone(desk):
    filing = ready(desk)
    assert filing.state["citizen"] == {
        "national_code": f.national_code(4242),
        "full_name": "رضا پیاده",
        "mobile": "09351234567",
    }
    consent = filing.state["consent"]
    assert (consent["method"], consent["reference"]) == ("paper", "1405/7")
    filed = flow.submit(filing, "card", "۱۲۳-۴۵۶", "250000:60000")
    assert filed.consent_at == datetime.fromisoformat(consent["at"])  # when the paper form was recorded
    assert abs(utcnow() - filed.consent_at) < timedelta(minutes=1)
    assert (filed.channel, filed.office_id, filed.filed_by_id) == ("counter", desk["office"].id, desk["clerk"].id)
    assert sorted((p.kind, p.amount_rial, p.method, p.reference) for p in filed.payments) == [
        ("counter_fee", 60_000, "card", "123456"),
        ("government_fee", 250_000, "card", "123456"),
    ]
    # the same filing sent again (a double submit, a retry) is the same request
    assert flow.submit(filing, "card", "123456", "250000:60000") == filed
    assert db.session.query(Request).count() == 1 and db.session.query(Payment).count() == 2


def test_fees_that_changed_since_they_were_shown_are_refused_and_nothing_is_filed(desk):
    filing = ready(desk)
    with pytest.raises(flow.CounterError) as error:
        flow.submit(filing, "cash", "", "250000:50000")
    assert error.value.step == flow.FEES and "تغییر کرد" in error.value.message
    assert db.session.query(Request).count() == 0 and db.session.query(User).filter_by(role="citizen").count() == 0
    assert fees.fees_for(desk["service"], desk["office"]).token == "250000:60000"


@pytest.mark.parametrize(
    "method,reference,field", [("card", "", "reference"), ("online", "", "method"), ("", "", "method")]
)
def test_a_payment_the_counter_cannot_take_is_refused_next_to_its_field(desk, method, reference, field):
    with pytest.raises(flow.CounterError) as error:
        flow.submit(ready(desk), method, reference, "250000:60000")
    assert (error.value.step, error.value.field) == (flow.FEES, field)
    assert db.session.query(Request).count() == 0


def test_a_staff_members_national_code_sends_the_filing_back_to_the_citizen(desk):
    code = f.national_code(5151)
    f.staff(Role.CLERK, national_code=code, office=desk["office"])
    ownership.register(code, "09351234567")
    db.session.commit()
    with pytest.raises(flow.CounterError) as error:
        flow.submit(ready(desk, national_code=code), "cash", "", "250000:60000")
    assert (error.value.step, error.value.field) == (flow.IDENTIFY, "national_code")
    assert db.session.query(Request).count() == 0


@pytest.mark.parametrize(
    "national_code,name,mobile,field",
    [
        ("1234567890", "رضا", "09351234567", "national_code"),
        (f.national_code(1), "ر", "09351234567", "full_name"),
        (f.national_code(1), "رضا", "0935", "mobile"),
    ],
)
def test_the_citizens_details_are_checked(desk, national_code, name, mobile, field):
    filing = flow.begin(desk["service"], desk["office"], desk["clerk"])
    with pytest.raises(flow.CounterError) as error:
        flow.identify(filing, national_code, name, mobile, "paper", "1")
    assert (error.value.step, error.value.field) == (flow.IDENTIFY, field)
    assert filing.state["citizen"] == {}


def test_consent_by_the_code_sent_to_the_citizen(desk):
    filing = flow.begin(desk["service"], desk["office"], desk["clerk"])
    challenge = flow.identify(filing, f.national_code(4242), "رضا پیاده", "09351234567", "otp")
    assert challenge is not None and filing.state["consent"] == {}
    with pytest.raises(flow.CounterError) as error:
        flow.take_form(filing, {"plate": "12"}, {})
    assert error.value.step == flow.IDENTIFY
    secret = re.search(r"\d{6}", _sms(challenge.mobile)).group(0)
    with pytest.raises(flow.CounterError) as error:
        flow.give_consent(filing, f"{(int(secret) + 1) % 10**6:06d}")
    assert (error.value.step, error.value.field) == ("consent", "code")
    flow.give_consent(filing, secret.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")))
    consent = filing.state["consent"]
    assert (consent["method"], consent["reference"]) == ("otp", challenge.public_id)
    assert datetime.fromisoformat(consent["at"]) == challenge.verified_at


@pytest.mark.parametrize("method,paper_number", [("paper", "۱۴۰۵/۷"), ("otp", "")])
def test_a_pair_the_registry_does_not_confirm_is_refused_next_to_the_mobile_and_nothing_is_sent(
    desk, method, paper_number
):
    filing = flow.begin(desk["service"], desk["office"], desk["clerk"])
    with pytest.raises(flow.CounterError) as error:
        # the walk-in's national code with a number the registry has not paired with it
        flow.identify(filing, f.national_code(4242), "رضا پیاده", "09129998877", method, paper_number)
    assert (error.value.step, error.value.field, error.value.status) == (flow.IDENTIFY, "mobile", None)
    assert error.value.message == "این شماره در سامانهٔ شاهکار به نام صاحب این کد ملی ثبت نشده است."
    assert filing.state["citizen"] == {} and filing.state["consent"] == {}
    assert db.session.query(OtpChallenge).count() == 0 and db.session.query(SmsMessage).count() == 0
    assert db.session.query(User).filter_by(role="citizen").count() == 0


def test_a_registry_that_cannot_answer_refuses_the_citizen_step_for_now(desk, app, monkeypatch):
    monkeypatch.setitem(app.config, "MOBILE_OWNERSHIP_BACKEND", "http")
    monkeypatch.setitem(app.config, "MOBILE_OWNERSHIP_URL", "http://127.0.0.1:9/nothing-listens-here")
    filing = flow.begin(desk["service"], desk["office"], desk["clerk"])
    with pytest.raises(flow.CounterError) as error:
        flow.identify(filing, f.national_code(4242), "رضا پیاده", "09351234567", "otp")
    assert (error.value.step, error.value.field, error.value.status) == (flow.IDENTIFY, "mobile", 503)
    assert "اکنون قابل بررسی نیست" in error.value.message
    assert filing.state["citizen"] == {} and db.session.query(SmsMessage).count() == 0


def test_an_existing_account_with_another_number_keeps_it_and_the_filing_says_where_sms_go(desk):
    f.citizen(4242, mobile="09120000001")
    db.session.commit()
    filing = ready(desk)  # typed 09351234567, which the registry pairs with this national code too
    assert flow.stored_mobile(filing) == "09120000001"
    filed = flow.submit(filing, "cash", "", "250000:60000")
    assert filed.applicant.mobile == "09120000001"
    assert to_persian_digits(filed.tracking_code) in _sms("09120000001").replace(" ", "")
    assert _sms("09351234567") is None


def test_a_new_citizen_gets_the_number_typed_and_no_other_is_named(desk):
    filing = ready(desk)
    assert flow.stored_mobile(filing) is None
    assert flow.submit(filing, "cash", "", "250000:60000").applicant.mobile == "09351234567"


def _sms(mobile):
    return (
        db.session.execute(db.select(SmsMessage.body).filter_by(mobile=mobile).order_by(SmsMessage.id.desc()))
        .scalars()
        .first()
    )
