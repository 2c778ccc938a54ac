"""Issue 12 slice B through the test client: tracking limits, the confirmation after filing, wording and numbers."""

from app.core.identifiers import damm_digit
from app.extensions import db
from tests import factories as f


def _valid_code(n: int) -> str:
    body = f"9{n:010d}"
    return body + damm_digit(body)


def _request_and_applicant():
    applicant = f.citizen()
    request = f.filed(f.service(title="صدور پروانهٔ محدودیت رهگیری"), applicant)
    db.session.commit()
    return request.tracking_code, applicant.national_code


def test_thirty_lookups_of_different_codes_from_one_address_all_answer(app, client):
    statuses = [
        client.post("/track", data={"code": _valid_code(n), "national_code": "0499370899"}).status_code
        for n in range(30)
    ]
    assert statuses == [400] * 30  # not found, told next to the field; never refused for the shared address


def test_sixth_wrong_national_code_for_one_code_is_refused_from_another_address(app, client):
    with app.app_context():
        code, national_code = _request_and_applicant()
    wrong = f.national_code(424242)
    for n in range(5):
        response = client.post(
            "/track", data={"code": code, "national_code": wrong}, environ_base={"REMOTE_ADDR": f"10.0.0.{n + 1}"}
        )
        assert response.status_code == 400, n
    refused = client.post(
        "/track", data={"code": code, "national_code": national_code}, environ_base={"REMOTE_ADDR": "10.0.9.9"}
    )
    assert refused.status_code == 429
    # Another code is not held back by the guesses at this one.
    other = client.post("/track", data={"code": _valid_code(7), "national_code": wrong})
    assert other.status_code == 400


def test_right_answers_for_one_code_are_not_counted_as_guesses(app, client):
    with app.app_context():
        code, national_code = _request_and_applicant()
    for _ in range(8):
        response = client.post("/track", data={"code": code, "national_code": national_code})
        assert response.status_code == 200 and "صدور پروانهٔ محدودیت رهگیری" in response.get_data(as_text=True)
