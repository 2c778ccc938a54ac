"""The inquiry types other agencies can be asked, and which cards declare which (read-only: they change through
`flask inquiries import`, all or nothing, audited; app/inquiries/transfer.py)."""

from flask import render_template
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.inquiries import STATE_LABELS
from app.models import Inquiry, InquiryType, Service, ServiceInquiry
from app.people.auth import role_required
from app.permissions import ADMINS
from app.web.admin import bp


@bp.get("/inquiries")
@role_required(*ADMINS)
def inquiry_types():
    types = (
        db.session.execute(select(InquiryType).options(joinedload(InquiryType.agency)).order_by(InquiryType.title))
        .scalars()
        .all()
    )
    declarations = db.session.execute(
        select(ServiceInquiry)
        .options(joinedload(ServiceInquiry.service).joinedload(Service.agency), joinedload(ServiceInquiry.after))
        .join(Service, Service.id == ServiceInquiry.service_id)
        .order_by(Service.code, ServiceInquiry.position)
    ).scalars()
    cards: dict[int, list[ServiceInquiry]] = {}
    for declaration in declarations:
        cards.setdefault(declaration.inquiry_type_id, []).append(declaration)
    # How each type has fared: its inquiries by state (the catalogue of types is small; one grouped query).
    states: dict[int, dict[str, int]] = {}
    for type_id, state, count in db.session.execute(
        select(Inquiry.inquiry_type_id, Inquiry.state, func.count()).group_by(Inquiry.inquiry_type_id, Inquiry.state)
    ):
        states.setdefault(type_id, {})[state] = count
    return render_template(
        "admin/inquiry_types.html", types=types, cards=cards, states=states, state_labels=STATE_LABELS
    )
