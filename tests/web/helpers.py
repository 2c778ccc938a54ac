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


def send_checked(client, check_url):
    """On the check-your-answers page the continued form led to, press «فرستادن» (with the page's own key)."""
    assert "/apply/check" in check_url, check_url
    html = client.get(check_url).get_data(as_text=True)
    key = re.search(r'name="idempotency_key" type="hidden" value="([^"]+)"', html).group(1)
    draft = check_url.rsplit("draft=", 1)[1].split("&")[0]
    return client.post(check_url.split("?")[0], data={"idempotency_key": key, "draft": draft})


def apply_online(client, code, data, **post):
    """Fill the apply form, «ادامه», and send from the check page; a form refused answers as it is (400)."""
    response = client.post(f"/services/{code}/apply", data=data, content_type="multipart/form-data", **post)
    if response.status_code != 302 or "/apply/check" not in response.headers["Location"]:
        return response
    return send_checked(client, response.headers["Location"])


def shown_tracking_code(code):
    """A tracking code as a Persian page shows it: groups of four, Persian digits («۱۲۳۴ ۵۶۷۸ ۹۰۱۲»)."""
    grouped = " ".join(code[i : i + 4] for i in range(0, len(code), 4))
    return grouped.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
