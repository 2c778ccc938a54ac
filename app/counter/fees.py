"""Counter money rules, once: the government fee, the outsourcing in force for a service at an office, the counter
fee it sets, the national fee cap, and the payment rows a counter filing takes."""

from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from app.administration import audit
from app.core.errors import RuleError
from app.core.persian import fold_digits, format_rial, persian_digits_enabled
from app.extensions import db
from app.models import Office, Outsourcing, Payment, Service, Setting, User
from app.permissions import can_set_fee_cap, covers_province

FEE_CAP_KEY = "counter_fee_cap_rial"
# Used until the national administrator sets a cap; a low default keeps an unset installation cheap for citizens.
DEFAULT_FEE_CAP_RIAL = 500_000
MAX_FEE_RIAL = 10**12  # far above any real fee; keeps the value inside a BIGINT and the display sane
COUNTER_METHODS = ("cash", "card")  # the office's cash drawer or its card terminal; "online" is the gateway's


class FeeError(RuleError):
    """A fee, cap or payment the rules refuse."""


@dataclass(frozen=True)
class Fees:
    government: int
    counter: int

    @property
    def total(self) -> int:
        return self.government + self.counter

    @property
    def token(self) -> str:
        """What the clerk was shown; the submission is refused if the fees changed in between."""
        return f"{self.government}:{self.counter}"


# --- the outsourcing in force ----------------------------------------------------------------------------


def in_force_for(service_ids: Iterable[int], province_id: int | None) -> dict[int, Outsourcing]:
    """{service id: the outsourcing in force} for counters in the province (any province when None), in one query.

    The one rule: of the approved outsourcings whose scope covers the province, the latest (the highest id, so the
    winner never changes when a fee is changed). outsourcing.py lets only one approved outsourcing share a province
    with another of the same service, so this only decides between rows that slipped past that check."""
    ids = list(service_ids)
    if not ids:
        return {}
    query = select(Outsourcing).where(Outsourcing.service_id.in_(ids), Outsourcing.status == "approved")
    if province_id is not None:
        query = query.where(covers_province(province_id))
    found: dict[int, Outsourcing] = {}
    for row in db.session.execute(query.order_by(Outsourcing.id.desc())).scalars():
        found.setdefault(row.service_id, row)
    return found


def in_force(service: Service, province_id: int | None) -> Outsourcing | None:
    """The outsourcing in force for the service at counters in the province (any province when None)."""
    return in_force_for([service.id], province_id).get(service.id)


# --- fees ------------------------------------------------------------------------------------------------


def government_fee(service: Service) -> int:
    """The fee the service's current card asks for; a service without a published card costs nothing here."""
    revision = service.current_revision
    return int(revision.fee_rial or 0) if revision else 0


def online_fee(service: Service) -> int:
    """What a citizen pays applying online: the government fee alone (no counter, so no counter fee)."""
    return government_fee(service)


def counter_fees(service_ids: Iterable[int], office: Office) -> dict[int, int]:
    """{service id: counter fee} for a list of services at one office, in one query (0 when none is in force)."""
    ids = list(service_ids)
    in_force_rows = in_force_for(ids, office.province_id)
    return {i: int(in_force_rows[i].counter_fee_rial or 0) if i in in_force_rows else 0 for i in ids}


def fees_for(service: Service, office: Office) -> Fees:
    """The card's government fee and the counter fee of the outsourcing in force at the office."""
    return Fees(government=government_fee(service), counter=counter_fees([service.id], office)[service.id])


def clean_card_reference(value: str | None) -> str:
    """The terminal's reference number (RRN / trace): 6 to 20 digits in any script, spaces and dashes ignored."""
    digits = "".join(ch for ch in fold_digits(value or "") if not ch.isspace() and ch != "-")
    if not digits:
        raise FeeError(_("برای پرداخت با کارت، شمارهٔ مرجع پایانه را وارد کنید."), field="reference")
    if not digits.isdigit() or not 6 <= len(digits) <= 20:
        raise FeeError(_("شمارهٔ مرجع پایانه باید ۶ تا ۲۰ رقم باشد."), field="reference")
    return digits


def payments_for(fees: Fees, method: str, reference: str, office: Office, clerk: User) -> list[Payment]:
    """One Payment per fee that is not zero; a free service files with no payment rows at all."""
    if method not in COUNTER_METHODS:
        raise FeeError(_("شیوهٔ پرداخت را انتخاب کنید."), field="method")
    reference = reference if method == "card" else ""
    return [
        Payment(
            kind=kind, amount_rial=amount, method=method, reference=reference, office_id=office.id, clerk_id=clerk.id
        )
        for kind, amount in (("government_fee", fees.government), ("counter_fee", fees.counter))
        if amount > 0
    ]


# --- the cap -----------------------------------------------------------------------------------------------


def fee_cap() -> int:
    """The highest counter fee an outsourcing may set, as the national administrator last set it."""
    value = db.session.execute(select(Setting.value).where(Setting.key == FEE_CAP_KEY)).scalar_one_or_none()
    try:
        return int(value or "")
    except ValueError:
        return DEFAULT_FEE_CAP_RIAL


def check_amount(amount: object, field: str) -> int:
    """A whole, non-negative number of rials below MAX_FEE_RIAL."""
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0 or amount > MAX_FEE_RIAL:
        raise FeeError(_("مبلغ را به ریال و به صورت عددی صفر یا بیشتر وارد کنید."), field)
    return amount


def check_counter_fee(fee: object, field: str = "counter_fee_rial") -> int:
    """A counter fee within the cap in force now."""
    checked = check_amount(fee, field)
    cap = fee_cap()
    if checked > cap:
        raise FeeError(
            _(
                "کارمزد نباید از سقف تعیین‌شده (%(cap)s) بیشتر باشد.",
                cap=format_rial(cap, persian=persian_digits_enabled()),
            ),
            field,
        )
    return checked


def set_fee_cap(admin: User | None, amount: object) -> int:
    """Only the national administrator sets the cap, audited. Approved fees above a lowered cap stay until changed."""
    if not can_set_fee_cap(admin):
        raise FeeError(_("فقط مدیر ملی سامانه سقف کارمزد را تعیین می‌کند."))
    audit.lock()
    checked = check_amount(amount, "amount")
    before = fee_cap()
    row = db.session.get(Setting, FEE_CAP_KEY)
    if row is None:
        row = Setting(key=FEE_CAP_KEY)
        db.session.add(row)
    row.value = str(checked)
    audit.record(
        admin,
        "setting.fee_cap",
        "setting",
        FEE_CAP_KEY,
        {"counter_fee_cap_rial": before},
        {"counter_fee_cap_rial": checked},
    )
    return checked
