"""Public tracking: the code and the applicant's national code together find a request; the public sees status
changes and dates only."""

from app.extensions import db
from app.models import Role
from app.requests import workflow
from app.requests.tracking import find_tracked, public_steps
from tests import factories as f


def test_a_request_is_found_by_its_code_with_its_applicants_national_code(ctx):
    applicant, other = f.citizen(), f.citizen()
    filed = f.filed(f.service(), applicant)
    assert find_tracked(filed.tracking_code, applicant.national_code) == filed
    assert find_tracked(filed.tracking_code, other.national_code) is None  # someone else's national code
    unknown = "000000000000" if filed.tracking_code != "000000000000" else "111111111111"
    assert find_tracked(unknown, applicant.national_code) is None


def test_the_public_sees_status_changes_with_dates_but_no_messages(ctx):
    owner = f.agency()
    officer = f.staff(Role.AGENCY_OFFICER, agency=owner)
    filed = f.filed(f.service(owner), f.citizen())
    workflow.advance(filed, "take", officer)
    workflow.advance(filed, "message", officer, message="پروندهٔ شما در نوبت است.")
    workflow.advance(filed, "ask_info", officer, message="تصویر سند را بفرستید.")
    db.session.commit()
    found = find_tracked(filed.tracking_code, filed.applicant.national_code)
    steps = public_steps(found)
    assert [label for label, _when in steps] == ["ثبت شده", "در حال بررسی", "نیاز به اطلاعات بیشتر"]
    assert all(when is not None for _label, when in steps)
    assert not any("سند" in label or "نوبت" in label for label, _when in steps)
