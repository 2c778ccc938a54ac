"""Sessions that can be revoked, `next` addresses that stay on the site, and staff sign-in throttled per
(account, address) without telling which accounts exist."""

import threading
import time
from datetime import timedelta

import pytest

from app.extensions import db
from app.models import OtpChallenge, Role, SignInThrottle, User, utcnow
from app.people import staff
from app.people.auth import SignInError, authenticate_staff
from tests import factories as f
from tests.web.helpers import sign_in_citizen, sign_in_staff

NATIONAL_CODE, MOBILE = f.national_code(223456789), "09121112244"
ENDED = "نشست شما به پایان رسید"
WRONG = "نام کاربری یا گذرواژه درست نیست"
WAIT = "چند دقیقه بعد دوباره تلاش کنید"
ADDRESS_A, ADDRESS_B = "198.51.100.7", "203.0.113.9"


def _replay(app, cookie):
    """A second browser holding a copy of the session cookie."""
    other = app.test_client()
    other.set_cookie("session", cookie.value)
    return other


def _age_codes(app):
    """As if the last sign-in code was sent a while ago, so another may be sent now."""
    with app.app_context():
        for challenge in db.session.execute(db.select(OtpChallenge)).scalars():
            challenge.sent_at -= timedelta(seconds=121)
        db.session.commit()


def _officer(app, username="officer1"):
    with app.app_context():
        f.staff(Role.AGENCY_OFFICER, username=username, agency=f.agency())
        db.session.commit()


def _try(client, username, password, address=ADDRESS_A, next_=None):
    url = "/staff/sign-in" + (f"?next={next_}" if next_ else "")
    return client.post(url, data={"username": username, "password": password}, environ_base={"REMOTE_ADDR": address})


# --- revocable sessions ----------------------------------------------------------------------------


def test_a_copied_citizen_cookie_stops_working_after_sign_out(client, app):
    sign_in_citizen(client, app, NATIONAL_CODE, MOBILE)
    copied = client.get_cookie("session")
    assert _replay(app, copied).get("/account/requests").status_code == 200
    client.post("/account/sign-out")

    stale = _replay(app, copied)
    response = stale.get("/account/requests")
    assert response.status_code == 302 and response.headers["Location"].startswith("/account/sign-in")
    assert ENDED in stale.get(response.headers["Location"]).get_data(as_text=True)
    assert stale.get("/account/requests").status_code == 302  # and it stays signed out


def test_signing_out_everywhere_ends_the_sessions_on_other_devices(client, app):
    sign_in_citizen(client, app, NATIONAL_CODE, MOBILE)
    phone = app.test_client()
    _age_codes(app)
    sign_in_citizen(phone, app, NATIONAL_CODE, MOBILE)
    assert "خروج از همهٔ دستگاه‌ها" in phone.get("/account/requests").get_data(as_text=True)

    response = phone.post("/account/sign-out-everywhere", follow_redirects=True)
    assert "در همهٔ دستگاه‌ها خارج شدید" in response.get_data(as_text=True)
    assert client.get("/account/requests").status_code == 302
    assert phone.get("/account/requests").status_code == 302


def _reset(admin, user):
    staff.reset_password(admin, user)


def _re_role(admin, user):
    staff.change_role(admin, user, Role.AGENCY_MANAGER, agency=user.agency)


def _deactivate(admin, user):
    staff.set_active(admin, user, False)


@pytest.mark.parametrize(
    "change", [_reset, _re_role, _deactivate], ids=["password reset", "role change", "deactivation"]
)
def test_a_staff_cookie_stops_working_after_an_administrator_changes_the_account(client, app, change):
    _officer(app)
    sign_in_staff(client, "officer1")
    copied = client.get_cookie("session")
    assert client.get("/desk/").status_code == 200
    with app.app_context():
        admin = f.staff(Role.NATIONAL_ADMIN)
        change(admin, db.session.execute(db.select(User).filter_by(username="officer1")).scalar_one())
        db.session.commit()

    for browser in (client, _replay(app, copied)):
        response = browser.get("/desk/")
        assert response.status_code == 302 and response.headers["Location"].startswith("/staff/sign-in")
        assert ENDED in browser.get(response.headers["Location"]).get_data(as_text=True)


def test_a_session_ends_after_its_absolute_lifetime_however_busy(client, app):
    _officer(app)
    sign_in_staff(client, "officer1")
    with client.session_transaction() as session:
        session["signed_in_at"] -= 11 * 3600  # eleven hours of work: still within the default twelve
    assert client.get("/desk/").status_code == 200
    with client.session_transaction() as session:
        session["signed_in_at"] -= 2 * 3600
    response = client.get("/desk/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/staff/sign-in")
    assert ENDED in client.get(response.headers["Location"]).get_data(as_text=True)


def test_the_absolute_lifetime_is_a_setting(client, app, monkeypatch):
    _officer(app)
    sign_in_staff(client, "officer1")
    monkeypatch.setitem(app.config, "SESSION_ABSOLUTE_HOURS", 1)
    with client.session_transaction() as session:
        session["signed_in_at"] = int(time.time()) - 3601
    assert client.get("/desk/").status_code == 302


def test_an_ended_session_asked_for_a_fragment_sends_htmx_to_the_sign_in_page(client, app):
    sign_in_citizen(client, app, NATIONAL_CODE, MOBILE)
    with client.session_transaction() as session:
        session["session_version"] = -1  # as after a bump elsewhere
    response = client.get("/search?q=x", headers={"HX-Request": "true"})
    assert response.status_code == 204 and response.headers["HX-Redirect"].startswith("/account/sign-in")


def test_a_session_from_before_versions_were_kept_ends(client, app):
    sign_in_citizen(client, app, NATIONAL_CODE, MOBILE)
    with client.session_transaction() as session:
        del session["session_version"], session["signed_in_at"]
    assert client.get("/account/requests").status_code == 302


# --- next addresses --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "next_",
    [
        "/%09/evil.example",
        "/%5Cevil.example",
        "//evil.example",
        "https://evil.example",
        "/desk/%0d%0aSet-Cookie:%20a=b",
    ],
)
def test_staff_sign_in_never_sends_people_off_the_site(client, app, next_):
    _officer(app)
    page = client.get(f"/staff/sign-in?next={next_}")
    assert page.status_code == 200 and 'name="next"' not in page.get_data(as_text=True)
    response = _try(client, "officer1", f.PASSWORD, next_=next_)
    assert response.status_code == 302 and response.headers["Location"] == "/desk/"


def test_staff_sign_in_follows_a_path_on_the_site(client, app):
    _officer(app)
    response = _try(client, "officer1", f.PASSWORD, next_="/desk/?page=2")
    assert response.headers["Location"] == "/desk/?page=2"


def test_citizen_sign_in_never_sends_people_off_the_site(client, app):
    client.post("/account/sign-in?next=/%09/evil.example", data={"national_code": NATIONAL_CODE, "mobile": MOBILE})
    with client.session_transaction() as session:
        session.pop("otp_next", None)
    response = sign_in_citizen(client, app, NATIONAL_CODE, MOBILE)
    assert response.headers["Location"] == "/account/requests"
    for next_ in ("/%09/evil.example", "/%0d%0a/evil.example"):
        response = app.test_client().post(
            f"/account/sign-in?next={next_}", data={"national_code": NATIONAL_CODE, "mobile": MOBILE}
        )
        assert response.status_code in (302, 400)  # never a 500
        with app.test_client() as other:
            other.post(f"/account/sign-in?next={next_}", data={"national_code": NATIONAL_CODE, "mobile": MOBILE})
            with other.session_transaction() as session:
                assert session.get("otp_next", "") == ""


def test_language_switch_never_sends_people_off_the_site(client):
    for next_ in ("/%09/evil.example", "/%5C%5Cevil.example", "/x%0d%0aSet-Cookie:a=b"):
        response = client.get(f"/language/en?next={next_}")
        assert response.status_code == 302 and response.headers["Location"] == "/"


# --- throttled staff sign-in -----------------------------------------------------------------------


def test_five_wrong_passwords_from_one_address_do_not_stop_the_right_one_from_another(client, app):
    _officer(app)
    for _ in range(5):
        assert WRONG in _try(client, "officer1", "nope", ADDRESS_A).get_data(as_text=True)
    assert _try(client, "officer1", "nope", ADDRESS_A).status_code == 400
    assert _try(app.test_client(), "officer1", f.PASSWORD, ADDRESS_B).status_code == 302


def _row(app):
    with app.app_context():
        return db.session.execute(db.select(SignInThrottle)).scalar_one_or_none()


def _let_the_wait_pass(app):
    with app.app_context():
        row = db.session.execute(db.select(SignInThrottle)).scalar_one()
        row.blocked_until = utcnow() - timedelta(seconds=1)
        db.session.commit()


def test_after_five_failures_the_next_try_waits_even_with_the_right_password(client, app):
    _officer(app)
    for _ in range(5):
        _try(client, "officer1", "nope")
    row = _row(app)
    assert row.failures == 5 and row.blocked_until - row.last_failed_at == timedelta(seconds=30)

    refused = _try(client, "officer1", f.PASSWORD)
    assert refused.status_code == 400 and WAIT in refused.get_data(as_text=True)
    _let_the_wait_pass(app)
    assert _try(client, "officer1", f.PASSWORD).status_code == 302
    assert _row(app) is None  # a successful sign-in clears the key


def test_each_further_failure_doubles_the_wait_up_to_fifteen_minutes(client, app):
    _officer(app)
    for _ in range(5):
        _try(client, "officer1", "nope")
    waits = []
    for _ in range(6):
        _let_the_wait_pass(app)
        _try(client, "officer1", "nope")
        row = _row(app)
        waits.append((row.blocked_until - row.last_failed_at).total_seconds())
    assert waits == [60, 120, 240, 480, 900, 900]


def test_addresses_of_one_ipv6_network_share_their_throttle(client, app):
    _officer(app)
    for n in range(5):
        _try(client, "officer1", "nope", f"2001:db8:1:2::{n + 1}")
    assert WAIT in _try(client, "officer1", f.PASSWORD, "2001:db8:1:2:ffff::9").get_data(as_text=True)
    assert _try(client, "officer1", f.PASSWORD, "2001:db8:1:3::1").status_code == 302


def test_unknown_and_real_accounts_get_byte_identical_answers(client, app):
    _officer(app, "officer1")

    def answer(username, address):
        body = _try(app.test_client(), username, "nope", address).get_data()
        return body.replace(username.encode(), b"NAME")

    for attempt in range(7):  # five wrong answers, then two throttled ones
        real, unknown = answer("officer1", ADDRESS_A), answer("nobody42", ADDRESS_A)
        assert real == unknown
        assert (WAIT if attempt >= 5 else WRONG).encode() in real


def test_tries_sent_at_once_are_each_counted(app):
    """Eight wrong tries in parallel after four failures: the fifth is checked, the seven others wait."""
    _officer(app)
    with app.test_request_context(environ_base={"REMOTE_ADDR": ADDRESS_A}):
        for _ in range(4):
            with pytest.raises(SignInError):
                authenticate_staff("officer1", "nope")
    messages, start = [], threading.Barrier(8)

    def attempt():
        with app.test_request_context(environ_base={"REMOTE_ADDR": ADDRESS_A}):
            start.wait()
            try:
                authenticate_staff("officer1", "nope")
            except SignInError as error:
                messages.append(error.message)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(WAIT in m for m in messages) == [False] + [True] * 7
    assert _row(app).failures == 5


def test_the_account_lock_columns_are_no_longer_written(client, app):
    _officer(app)
    for _ in range(6):
        _try(client, "officer1", "nope")
    with app.app_context():
        user = db.session.execute(db.select(User).filter_by(username="officer1")).scalar_one()
        assert user.failed_logins == 0 and user.locked_until is None
