"""Outsourcing services to counter offices: agency managers propose, administrators decide, within a fee cap.

Every step is an OutsourcingDecision row with its reason and an audit event; the cap itself is app.counter.fees.
Whether a service can be filed at an office is permissions.service_fileable_at(), which looks only at approved
rows: revoking stops new filings and leaves filed requests as they are.
"""

from collections.abc import Iterable, Sequence
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, select
from sqlalchemy.orm import joinedload, selectinload

from app.administration import audit
from app.core.errors import RuleError
from app.counter import fees
from app.extensions import db
from app.models import (
    County,
    Office,
    Outsourcing,
    OutsourcingDecision,
    Province,
    Service,
    User,
    new_public_id,
    utcnow,
)
from app.permissions import (
    can_decide,
    can_propose_outsourcing,
    is_admin,
    offices_fileable_for,
    outsourcings_visible_to,
    services_of_agency,
)

MAX_TEXT = 2000

STATUS_LABELS = {
    "pending": _l("در انتظار تصمیم"),
    "approved": _l("تأیید شده"),
    "rejected": _l("رد شده"),
    "revoked": _l("لغو شده"),
}
DECISION_LABELS = {
    "propose": _l("پیشنهاد"),
    "approve": _l("تأیید"),
    "reject": _l("رد"),
    "revoke": _l("لغو"),
    "change_fee": _l("تغییر کارمزد"),
}


class OutsourcingError(RuleError):
    """An outsourcing action the rules do not allow."""


# --- the fee cap (the rule is app.counter.fees) -------------------------------------------------------------


def _checked_fee(fee: object) -> int:
    """The proposed or changed counter fee, within the cap in force now."""
    try:
        return fees.check_counter_fee(fee)
    except fees.FeeError as error:
        raise OutsourcingError(error.message, error.field) from None


# --- who sees and decides what (the scopes are permissions.outsourcings_visible_to and can_decide) -------


def listing(user: User | None, status: str) -> Sequence[Outsourcing]:
    """Outsourcings in one status that the user sees, oldest first for the queue and newest first otherwise."""
    order = Outsourcing.created_at.asc() if status == "pending" else Outsourcing.decided_at.desc()
    query = (
        outsourcings_visible_to(user)
        .where(Outsourcing.status == status)
        .options(selectinload(Outsourcing.provinces), joinedload(Outsourcing.service).joinedload(Service.agency))
        .order_by(order, Outsourcing.id)
    )
    return db.session.execute(query).scalars().all()


def _check_decider(admin, outsourcing):
    if not is_admin(admin):
        raise OutsourcingError(_("فقط مدیران سامانه دربارهٔ واگذاری تصمیم می‌گیرند."))
    if not can_decide(admin, outsourcing):
        raise OutsourcingError(
            _("تصمیم دربارهٔ واگذاری‌ای که استان‌های دیگر یا همهٔ کشور را در بر می‌گیرد با مدیر ملی سامانه است.")
        )


def snapshot(outsourcing: Outsourcing) -> dict[str, Any]:
    """What the audit log keeps of an outsourcing: public codes only, never row ids."""
    return {
        "service": outsourcing.service.code if outsourcing.service else None,
        "status": outsourcing.status,
        "all_provinces": outsourcing.all_provinces,
        "provinces": sorted(p.code for p in outsourcing.provinces),
        "counter_fee_rial": outsourcing.counter_fee_rial,
    }


# --- proposing -----------------------------------------------------------------------------------------


def _overlap(service, all_provinces, province_ids, exclude=None):
    """An approved outsourcing of the service sharing a province with this scope: one fee per office and service."""
    query = (
        select(Outsourcing)
        .where(Outsourcing.service_id == service.id, Outsourcing.status == "approved")
        .options(selectinload(Outsourcing.provinces))
    )
    for row in db.session.execute(query).scalars():
        if exclude is not None and row.id == exclude.id:
            continue
        if all_provinces or row.all_provinces or province_ids & {p.id for p in row.provinces}:
            return row
    return None


def propose(
    service: Service,
    manager: User,
    all_provinces: bool = True,
    provinces: Iterable[Province] = (),
    counter_fee_rial: object = 0,
    note: str | None = "",
) -> Outsourcing:
    """An agency manager proposes letting counter offices file one of the agency's services."""
    if not can_propose_outsourcing(manager):
        raise OutsourcingError(_("فقط مدیر دستگاه می‌تواند واگذاری خدمت به پیشخوان را پیشنهاد کند."))
    if service.agency_id != manager.agency_id:
        raise OutsourcingError(_("این خدمت از خدمات دستگاه شما نیست."))
    audit.lock()
    if not service.is_active or service.current_revision_id is None:
        raise OutsourcingError(_("این خدمت فعال نیست و نمی‌توان آن را واگذار کرد."))
    provinces = [] if all_provinces else list({p.id: p for p in provinces}.values())
    if not all_provinces and not provinces:
        raise OutsourcingError(_("دست‌کم یک استان را انتخاب کنید یا «همهٔ استان‌ها» را بزنید."), "provinces")
    fee = _checked_fee(counter_fee_rial)
    note = (note or "").strip()
    if len(note) > MAX_TEXT:
        raise OutsourcingError(_("توضیح طولانی‌تر از حد مجاز است."), "note")
    pending = db.session.execute(
        select(Outsourcing.id).where(Outsourcing.service_id == service.id, Outsourcing.status == "pending").limit(1)
    ).first()
    if pending:
        raise OutsourcingError(
            _("برای این خدمت پیشنهادی در انتظار تصمیم هست؛ تا تصمیم دربارهٔ آن، پیشنهاد تازه ممکن نیست.")
        )
    if _overlap(service, all_provinces, {p.id for p in provinces}):
        raise OutsourcingError(
            _("این خدمت در همهٔ یا بخشی از این استان‌ها از قبل به پیشخوان واگذار شده است."), "provinces"
        )
    row = Outsourcing(
        public_id=new_public_id(),
        service=service,
        all_provinces=all_provinces,
        provinces=provinces,
        counter_fee_rial=fee,
        note=note,
        status="pending",
        proposed_by_id=manager.id,
    )
    db.session.add(row)
    db.session.add(
        OutsourcingDecision(outsourcing=row, action="propose", counter_fee_rial=fee, reason=note, actor=manager)
    )
    audit.record(manager, "outsourcing.propose", "outsourcing", row.public_id, {}, snapshot(row))
    return row


# --- deciding ------------------------------------------------------------------------------------------


def _reason(reason, missing=None):
    """The reason, stripped; `missing` is the message when one is required."""
    reason = (reason or "").strip()
    if missing and not reason:
        raise OutsourcingError(missing, "reason")
    if len(reason) > MAX_TEXT:
        raise OutsourcingError(_("دلیل طولانی‌تر از حد مجاز است."), "reason")
    return reason


def _begin(outsourcing, admin, expected, wrong_status):
    """Checks every decision shares, made after taking the audit lock so they see the newest state."""
    _check_decider(admin, outsourcing)
    audit.lock()
    db.session.refresh(outsourcing)  # another administrator may have decided while this page was open
    if outsourcing.status != expected:
        raise OutsourcingError(wrong_status)
    return snapshot(outsourcing)


def _decided(outsourcing, admin, action, reason, before):
    outsourcing.decided_at = utcnow()
    db.session.add(
        OutsourcingDecision(
            outsourcing=outsourcing,
            action=action,
            reason=reason,
            actor=admin,
            counter_fee_rial=outsourcing.counter_fee_rial,
        )
    )
    audit.record(admin, "outsourcing." + action, "outsourcing", outsourcing.public_id, before, snapshot(outsourcing))
    return outsourcing


NOT_PENDING = _l("فقط پیشنهادی را که در انتظار تصمیم است می‌توان تأیید یا رد کرد.")
NOT_APPROVED = _l("فقط واگذاری تأییدشده را می‌توان لغو کرد یا کارمزدش را تغییر داد.")


def approve(outsourcing: Outsourcing, admin: User, reason: str | None = "") -> Outsourcing:
    before = _begin(outsourcing, admin, "pending", str(NOT_PENDING))
    reason = _reason(reason)
    _checked_fee(outsourcing.counter_fee_rial)  # the cap may have been lowered since the proposal
    if _overlap(outsourcing.service, outsourcing.all_provinces, {p.id for p in outsourcing.provinces}, outsourcing):
        raise OutsourcingError(
            _(
                "این خدمت در همهٔ یا بخشی از این استان‌ها از قبل به پیشخوان واگذار شده است؛ "
                "پیشنهاد را رد کنید یا واگذاری فعلی را لغو کنید."
            )
        )
    outsourcing.status = "approved"
    return _decided(outsourcing, admin, "approve", reason, before)


def reject(outsourcing: Outsourcing, admin: User, reason: str | None) -> Outsourcing:
    before = _begin(outsourcing, admin, "pending", str(NOT_PENDING))
    reason = _reason(reason, _("دلیل رد را بنویسید؛ مدیر دستگاه آن را می‌بیند."))
    outsourcing.status = "rejected"
    return _decided(outsourcing, admin, "reject", reason, before)


def revoke(outsourcing: Outsourcing, admin: User, reason: str | None) -> Outsourcing:
    """No new counter filings from now on; requests already filed go on as they are."""
    before = _begin(outsourcing, admin, "approved", str(NOT_APPROVED))
    reason = _reason(reason, _("دلیل لغو را بنویسید."))
    outsourcing.status = "revoked"
    return _decided(outsourcing, admin, "revoke", reason, before)


def change_fee(outsourcing: Outsourcing, admin: User, fee: object, reason: str | None) -> Outsourcing:
    before = _begin(outsourcing, admin, "approved", str(NOT_APPROVED))
    new_fee = _checked_fee(fee)
    if new_fee == outsourcing.counter_fee_rial:
        raise OutsourcingError(_("کارمزد تازه با کارمزد فعلی یکی است."), "counter_fee_rial")
    reason = _reason(reason, _("دلیل تغییر کارمزد را بنویسید."))
    outsourcing.counter_fee_rial = new_fee
    return _decided(outsourcing, admin, "change_fee", reason, before)


def decisions(outsourcing: Outsourcing) -> Sequence[OutsourcingDecision]:
    query = (
        select(OutsourcingDecision)
        .where(OutsourcingDecision.outsourcing_id == outsourcing.id)
        .options(joinedload(OutsourcingDecision.actor))
        .order_by(OutsourcingDecision.id)
    )
    return db.session.execute(query).scalars().all()


# --- the agency manager's view -------------------------------------------------------------------------


def agency_services(manager: User) -> list[tuple[Service, list[Outsourcing]]]:
    """(service, its outsourcings newest first) for every service of the manager's agency."""
    services = db.session.execute(services_of_agency(manager).order_by(Service.code)).scalars().all()
    rows = (
        db.session.execute(
            outsourcings_visible_to(manager)
            .options(selectinload(Outsourcing.provinces))
            .order_by(Outsourcing.id.desc())
        )
        .scalars()
        .all()
    )
    by_service: dict[int, list[Outsourcing]] = {}
    for row in rows:
        by_service.setdefault(row.service_id, []).append(row)
    return [(service, by_service.get(service.id, [])) for service in services]


# --- where citizens can go -----------------------------------------------------------------------------


def offices_for_service(
    service: Service, province: Province | None = None, limit: int = 5, county: County | None = None
) -> Sequence[Office]:
    """Active offices where the service can be filed (the filing rule itself), in the province when given,
    the county's offices first."""
    query = offices_fileable_for(service).options(joinedload(Office.province), joinedload(Office.county))
    if province is not None:
        query = query.where(Office.province_id == province.id)
    order = [case((Office.county_id == county.id, 0), else_=1)] if county is not None else []
    return db.session.execute(query.order_by(*order, Office.code).limit(limit)).scalars().all()
