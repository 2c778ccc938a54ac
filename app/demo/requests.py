"""Demo requests for the demo citizen, in the states an officer meets every day, filed through the real path."""

from app.extensions import db
from app.models import Request, Service, User
from app.requests import workflow
from app.requests.filing import Filing, file_request

# (service code, answers, actions the traffic police officer takes afterwards)
STORIES = [
    ("10020001", ["take"]),
    ("10020002", ["take", ("ask_info", "لطفاً تصویر برگ سبز خودرو را هم پیوست کنید.")]),
    ("10020001", ["take", "approve", ("deliver", "گواهی‌نامهٔ جدید با پست پیشتاز به نشانی شما فرستاده می‌شود.")]),
]


def load(citizen_national_code, officer_username):
    citizen = db.session.execute(db.select(User).filter_by(national_code=citizen_national_code)).scalar_one()
    officer = db.session.execute(db.select(User).filter_by(username=officer_username)).scalar_one()
    if db.session.execute(db.select(Request.id).filter_by(applicant_id=citizen.id).limit(1)).first():
        return 0
    created = 0
    for index, (code, actions) in enumerate(STORIES):
        service = db.session.execute(db.select(Service).filter_by(code=code)).scalar_one_or_none()
        if service is None:
            continue
        request = file_request(
            Filing(
                service=service,
                applicant=citizen,
                actor=citizen,
                answers={"description": "درخواست نمونه برای نمایش سامانه."},
                idempotency_key=f"demo-request-{index}",
            )
        )
        for action in actions:
            name, text = action if isinstance(action, tuple) else (action, "")
            workflow.advance(
                request,
                name,
                officer,
                message=text if name != "deliver" else "",
                result_note=text if name == "deliver" else None,
            )
        db.session.commit()
        created += 1
    return created
