"""Issue 12, slice A on the HTML: tracking is linked where people look, masks cannot be read as digits, the staff
sign-in has the focus, file fields speak Persian, and the demo has requests in several states."""

import re

from app.counter.receipts import mask_national_code
from app.demo import DEMO_CITIZEN, DEMO_PASSWORD
from app.extensions import db
from app.models import Request, User
from app.people.mobile import masked
from tests import factories as f
from tests.web.helpers import register_mobile, sign_in_citizen, sign_in_staff

TRACK_LINK = 'href="/track"'


def test_tracking_is_linked_from_home_footer_card_and_signed_out_my_requests(client, seeded):
    home = client.get("/").get_data(as_text=True)
    assert home.count(TRACK_LINK) == 2  # the "how it works" step and the footer
    card = client.get("/services/10010001").get_data(as_text=True)
    assert card.count(TRACK_LINK) == 2  # the action panel and the footer
    signed_out = client.get("/account/requests", follow_redirects=True).get_data(as_text=True)
    assert "پیگیری درخواست بدون ورود" in signed_out and signed_out.count(TRACK_LINK) == 2


def test_masks_are_asterisks_that_cannot_be_read_as_a_persian_zero():
    assert masked("09121234567") == "09*****4567"
    assert mask_national_code("0499370899") == "049****899"
    assert mask_national_code("12345") == "*****"  # too short to show any of it
    assert masked("") == "" and mask_national_code(None) == ""


def test_sign_in_code_page_shows_the_mobile_masked_left_to_right(client, app):
    register_mobile(app, "0499370899", "09121234567")
    client.post("/account/sign-in", data={"national_code": "0499370899", "mobile": "09121234567"})
    page = client.get("/account/sign-in/code").get_data(as_text=True)
    assert '<span dir="ltr">۰۹*****۴۵۶۷</span>' in page
    assert "•" not in page


def test_my_requests_shows_the_mobile_masked_with_asterisks(client, app):
    with app.app_context():
        f.citizen(1, "09120000001")
        db.session.commit()
    sign_in_citizen(client, app, f.national_code(1), "09120000001")
    page = client.get("/account/requests").get_data(as_text=True)
    assert '<span dir="ltr">۰۹*****۰۰۰۱</span>' in page and "•" not in page


def _autofocused(page):
    return re.findall(r"<input[^>]*\bautofocus\b[^>]*>", page)


def test_staff_sign_in_puts_the_focus_on_the_username(client):
    focused = _autofocused(client.get("/staff/sign-in").get_data(as_text=True))
    assert len(focused) == 1 and 'name="username"' in focused[0]


def test_a_failed_staff_sign_in_focuses_the_first_field_to_correct(client):
    response = client.post("/staff/sign-in", data={"username": "clerk", "password": ""})
    assert response.status_code == 400
    focused = _autofocused(response.get_data(as_text=True))
    assert len(focused) == 1 and 'name="password"' in focused[0]


def test_a_file_field_has_a_persian_choose_button_on_the_real_input(client, app):
    with app.app_context():
        f.citizen(2, "09120000002")
        service = f.service(code="10990001")
        db.session.commit()
        code = service.code
    sign_in_citizen(client, app, f.national_code(2), "09120000002")
    page = client.get(f"/services/{code}/apply").get_data(as_text=True)
    file_input = re.search(r'<input[^>]*type="file"[^>]*>', page).group(0)
    field_id = re.search(r'id="([^"]+)"', file_input).group(1)
    assert 'class="file-input"' in file_input
    assert (
        f'<label for="{field_id}" class="button button-secondary file-button" aria-hidden="true">انتخاب فایل</label>'
        in page
    )
    assert page.count(f'for="{field_id}"') == 2  # the question's own label names the input; the button opens it


def _demo_requests(app):
    """The demo citizen's requests (seed-demo also writes past decided requests of other applicants, for the cards'
    measured processing times)."""
    with app.app_context():
        mine = db.select(Request).join(Request.applicant).where(User.national_code == DEMO_CITIZEN["national_code"])
        return sorted((r.channel, r.status) for r in db.session.execute(mine).scalars())


def test_the_demo_has_requests_in_several_states_and_a_counter_filing(client, app, seeded):
    assert _demo_requests(app) == [
        ("counter", "submitted"),
        ("online", "delivered"),
        ("online", "in_review"),
        ("online", "needs_info"),
        ("online", "rejected"),
        ("online", "submitted"),
    ]
    sign_in_staff(client, "officer", DEMO_PASSWORD)
    inbox = client.get("/desk/").get_data(as_text=True)
    assert inbox.count('href="/desk/requests/') >= 3  # the new, the taken and the counter one wait for the officer


def test_the_demo_citizen_sees_their_requests(client, app, seeded):
    sign_in_citizen(client, app, DEMO_CITIZEN["national_code"], DEMO_CITIZEN["mobile"])
    page = client.get("/account/requests").get_data(as_text=True)
    assert page.count("تعویض گواهینامهٔ رانندگی") >= 5 and "نقل‌وانتقال خودرو و تعویض پلاک" in page


def test_seed_demo_a_second_time_files_no_more_requests(runner, app, seeded):
    before = _demo_requests(app)
    assert "already present" in runner.invoke(args=["seed-demo"]).output
    assert "not loaded" in runner.invoke(args=["seed-demo", "--if-empty"]).output
    assert _demo_requests(app) == before
