"""Signing in through the real pages, as the Flask tutorial's auth fixture does."""

import re

from app.adapters import ownership
from app.core.identifiers import clean_mobile
from app.extensions import db
from app.models import SmsMessage
from tests import factories as f


def last_sms(app, mobile):
    with app.app_context():
        message = (
            db.session.execute(db.select(SmsMessage).filter_by(mobile=mobile).order_by(SmsMessage.id.desc()))
            .scalars()
            .first()
        )
        return message.body if message else None


def otp_from_sms(app, mobile):
    return re.search(r"\d{6}", last_sms(app, mobile)).group(0)


def register_mobile(app, national_code, mobile):
    """Tell the ownership simulator the mobile is this person's, as the national registry would know it."""
    with app.app_context():
        ownership.register(national_code, mobile)
        db.session.commit()


def sign_in_citizen(client, app, national_code, mobile):
    register_mobile(app, national_code, mobile)
    response = client.post("/account/sign-in", data={"national_code": national_code, "mobile": mobile})
    assert response.status_code == 302, response.get_data(as_text=True)
    response = client.post("/account/sign-in/code", data={"code": otp_from_sms(app, clean_mobile(mobile))})
    assert response.status_code == 302
    return response


def sign_in_staff(client, username, password=f.PASSWORD):
    response = client.post("/staff/sign-in", data={"username": username, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response
