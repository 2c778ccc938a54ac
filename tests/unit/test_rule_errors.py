"""The one RuleError base and attach(): a refused action is undone and its message lands next to its field."""

import pytest
from flask import get_flashed_messages
from flask_wtf import FlaskForm
from wtforms import StringField

from app.administration.agencies import AgencyError
from app.administration.offices import OfficeError
from app.administration.outsourcing import OutsourcingError
from app.core.errors import RuleError, attach, refuse
from app.counter.ledger import DayClosed, LedgerError
from app.extensions import db
from app.models import Agency
from app.people.auth import SignInError
from app.people.citizens import CitizenError
from app.people.otp import OtpError
from app.people.staff import StaffError
from app.requests.attachments import UploadError
from app.requests.filing import FilingError
from app.requests.workflow import WorkflowError


class NameForm(FlaskForm):
    class Meta:
        csrf = False

    name = StringField("name")
    code = StringField("code")


@pytest.mark.parametrize(
    "error",
    [
        AgencyError("x", "code"),
        OfficeError("x"),
        OutsourcingError("x", "reason"),
        LedgerError("x", field="reference"),
        DayClosed("x"),
        SignInError("x"),
        CitizenError("x", "national_code"),
        OtpError("x", retry_in=30),
        StaffError("x"),
        UploadError("x"),
        FilingError("x", {"name": ["y"]}),
        WorkflowError("x"),
    ],
)
def test_every_rule_refusal_can_be_caught_as_one_rule_error(error):
    with pytest.raises(RuleError) as caught:
        raise error
    assert caught.value.message == "x"


def test_filing_and_otp_errors_keep_their_details():
    assert FilingError("x", {"name": ["y"]}).field_errors == {"name": ["y"]}
    assert FilingError("x").field_errors == {} and FilingError("x").field is None
    assert OtpError("x", 30).retry_in == 30


def test_attach_rolls_back_what_the_refused_action_wrote(app):
    with app.test_request_context(method="POST", data={"name": "a", "code": "b"}):
        form = NameForm()
        assert form.validate()
        db.session.add(Agency(code="9999", name="نیمه‌کاره", connection_status="connected"))
        db.session.flush()
        attach(form, AgencyError("کد تکراری است.", "code"), "name")
        assert db.session.execute(db.select(Agency).filter_by(code="9999")).scalar_one_or_none() is None
        assert form.code.errors == ["کد تکراری است."]
        assert form.name.errors == []
        assert form.code.data == "b"  # what was typed stays


def test_attach_uses_the_default_field_then_the_first_field(app):
    with app.test_request_context(method="POST", data={"name": "a"}):
        form = NameForm()
        assert form.validate()
        attach(form, StaffError("نامعتبر", "no_such_field"), "code")
        assert form.code.errors == ["نامعتبر"]
        other = NameForm()
        assert other.validate()
        attach(other, StaffError("نامعتبر"))
        assert other.name.errors == ["نامعتبر"] and other.code.errors == []


def test_attach_without_a_form_flashes_the_message(app):
    with app.test_request_context(method="POST"):
        attach(None, OfficeError("دفتر پیدا نشد."))
        assert get_flashed_messages(with_categories=True) == [("error", "دفتر پیدا نشد.")]


def test_refuse_puts_the_reason_on_the_field_while_the_form_is_shown(app):
    with app.test_request_context(method="POST", data={"name": "a", "code": "b"}):
        form = NameForm()
        form.validate()
        form.code.errors = ["پیام قبلی"]
        db.session.add(Agency(code="9998", name="نیمه‌کاره", connection_status="connected"))
        db.session.flush()
        refuse(form, "درخواست همین حالا تغییر کرد.", "code", on_form=True)
        assert db.session.execute(db.select(Agency).filter_by(code="9998")).scalar_one_or_none() is None
        assert form.code.errors == ["درخواست همین حالا تغییر کرد."]  # the one reason, not added to others
        assert form.code.data == "b" and get_flashed_messages() == []


def test_refuse_flashes_the_reason_when_the_page_no_longer_shows_the_form(app):
    with app.test_request_context(method="POST", data={"name": "a"}):
        form = NameForm()
        form.validate()
        refuse(form, "این درخواست دیگر کاری ندارد.", "code", on_form=False)
        assert form.code.errors == []
        assert get_flashed_messages(with_categories=True) == [("error", "این درخواست دیگر کاری ندارد.")]
