"""The demo's inquiry types and the cards that declare them (demo.json beside this file); seed-demo loads them.
Agencies are matched by name, created when missing; a second run adds nothing."""

import json
from pathlib import Path

from sqlalchemy import select

from app.extensions import db
from app.models import Agency, InquiryType, Service, ServiceInquiry

DATA = Path(__file__).with_name("demo.json")


def load() -> int:
    """Load the demo types and card inquiries; returns the rows created."""
    data = json.loads(DATA.read_text(encoding="utf-8"))
    created = 0
    found: dict[str, InquiryType] = {}
    for spec in data["types"]:
        row = db.session.execute(select(InquiryType).filter_by(code=spec["code"])).scalar_one_or_none()
        if row is None:
            agency = db.session.execute(select(Agency).filter_by(name=spec["agency"])).scalars().first()
            if agency is None:
                agency = Agency(code=spec["agency_code"], name=spec["agency"], connection_status="connected")
                db.session.add(agency)
                created += 1
            row = InquiryType(
                code=spec["code"],
                agency=agency,
                title=spec["title"],
                subject=spec["subject"],
                answer_fields=spec["answer_fields"],
                due_minutes=spec["due_minutes"],
                replaces=spec["replaces"],
                legal_basis=spec["legal_basis"],
            )
            db.session.add(row)
            created += 1
        found[row.code] = row
    db.session.flush()
    for card in data["cards"]:
        service = db.session.execute(select(Service).filter_by(code=card["service"])).scalar_one_or_none()
        if service is None or db.session.execute(select(ServiceInquiry).filter_by(service_id=service.id)).first():
            continue
        declared: dict[str, ServiceInquiry] = {}
        for position, spec in enumerate(card["inquiries"]):
            declaration = ServiceInquiry(
                service=service,
                inquiry_type=found[spec["type"]],
                position=position,
                after=declared.get(spec.get("after", "")),
                on_not_found=spec.get("on_not_found", "continue"),
                replaces=spec.get("replaces", []),
            )
            db.session.add(declaration)
            db.session.flush()
            declared[spec["type"]] = declaration
            created += 1
    return created
