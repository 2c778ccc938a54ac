"""Demo requests for the demo citizen, in the states an officer meets every day, filed through the real path."""

from collections.abc import Callable

from app.counter import fees
from app.extensions import db
from app.models import Office, OnlinePayment, Payment, Request, Service, User, utcnow
from app.requests import workflow
from app.requests.filing import Filing, file_request

# An action with the message it carries, or a bare action name.
Action = str | tuple[str, str]
# (service code, actions the traffic police officer takes afterwards): one request in each state of the inbox.
STORIES: list[tuple[str, list[Action]]] = [
    ("10020001", []),
    ("10020001", ["take"]),
    ("10020002", ["take", ("ask_info", "لطفاً تصویر برگ سبز خودرو را هم پیوست کنید.")]),
    ("10020001", ["take", ("reject", "گواهی معاینهٔ پزشکی پیوست نشده است؛ با گواهی تازه دوباره درخواست دهید.")]),
    ("10020001", ["take", "approve", ("deliver", "گواهی‌نامهٔ جدید با پست پیشتاز به نشانی شما فرستاده می‌شود.")]),
]
# The one filing the demo clerk made at the counter for the demo citizen (paid in cash, paper consent).
COUNTER_STORY = "10020001"
ANSWERS = {"description": "درخواست نمونه برای نمایش سامانه."}


def load(citizen_national_code: str, officer_username: str, clerk_username: str | None = None) -> int:
    """File the demo requests (online, and one at the clerk's counter when a clerk is named) and take the officer's
    actions on them; nothing when the demo citizen has any request already. Returns the requests filed."""
    citizen = db.session.execute(db.select(User).filter_by(national_code=citizen_national_code)).scalar_one()
    officer = db.session.execute(db.select(User).filter_by(username=officer_username)).scalar_one()
    if db.session.execute(db.select(Request.id).filter_by(applicant_id=citizen.id).limit(1)).first():
        return 0
    created = 0
    for index, (code, actions) in enumerate(STORIES):
        service = _service(code)
        if service is None:
            continue
        # A fee is paid online before an online request is filed: each demo request has its (simulated) payment, so
        # the rejected one shows the refund its agency owes.
        fee, reference = fees.online_fee(service), f"{700000000000 + index:012d}"
        request = file_request(
            Filing(
                service=service,
                applicant=citizen,
                actor=citizen,
                answers=dict(ANSWERS),
                idempotency_key=f"demo-request-{index}",
                payments=[Payment(kind="government_fee", amount_rial=fee, method="online", reference=reference)]
                if fee
                else [],
                also=_paid_online(citizen, fee, reference) if fee else None,
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
    clerk = db.session.execute(db.select(User).filter_by(username=clerk_username)).scalar_one_or_none()
    created += _counter_filing(citizen, clerk) if clerk is not None else 0
    return created


def _paid_online(citizen: User, fee: int, reference: str) -> Callable[[Request], None]:
    """The verified gateway payment behind a demo request's online fee (the simulator's, as seed-demo runs it)."""

    def record(request: Request) -> None:
        now = utcnow()
        db.session.add(
            OnlinePayment(
                token=f"demo-payment-{reference}",
                request=request,
                applicant=citizen,
                amount_rial=fee,
                backend="simulator",
                authority=f"demo-{reference}",
                gateway_reference=reference,
                state="verified",
                expires_at=now,
                finished_at=now,
            )
        )

    return record


def _service(code: str) -> Service | None:
    return db.session.execute(db.select(Service).filter_by(code=code)).scalar_one_or_none()


def _counter_filing(citizen: User, clerk: User) -> int:
    """One filing at the clerk's office through file_request's counter channel, with the fees the counter takes."""
    service, office = _service(COUNTER_STORY), db.session.get(Office, clerk.office_id) if clerk.office_id else None
    if service is None or office is None:
        return 0
    taken = fees.fees_for(service, office)
    file_request(
        Filing(
            service=service,
            applicant=citizen,
            actor=clerk,
            answers=dict(ANSWERS),
            channel="counter",
            office=office,
            idempotency_key="demo-request-counter",
            payments=fees.payments_for(taken, "cash", "", office, clerk),
            consent_method="paper",
            consent_reference="رضایت‌نامهٔ کاغذی امضاشده",
        )
    )
    return 1
