"""Demo data for a fresh installation: the demo catalogue (with English for its most visible cards), two counter
offices, one account per role, demo requests in several states (online and one at the counter), and the demo
citizen's mobile in the ownership simulator's registry.

Idempotent: the importer leaves unchanged cards alone and every other row is looked up by its public code
first, so a second run adds nothing.
"""

import json
from pathlib import Path

from werkzeug.security import generate_password_hash

from app.adapters import ownership
from app.catalogue.transfer import Source, import_catalogue
from app.demo import connections as demo_connections
from app.demo import feedback as demo_feedback
from app.demo import history as demo_history
from app.demo import links as demo_links
from app.demo import processing_times, requests
from app.extensions import db
from app.inquiries import demo as demo_inquiries
from app.models import Agency, Office, Province, Role, User, new_public_id

DATA = Path(__file__).with_name("demo.json")
# The demo catalogue in the import format; demo.json's small catalogue stands in until it exists.
CATALOGUE = Path(__file__).with_name("catalogue.json")
# English titles, summaries and keywords of the most visible demo cards (code -> fields of the import format),
# merged into the catalogue's rows: English pages and English search have something real to show.
CATALOGUE_EN = Path(__file__).with_name("catalogue_en.json")
# Shown in the README for the demo only; a real installation creates its own accounts.
DEMO_PASSWORD = "panjereh-demo"
DEMO_CITIZEN = {"national_code": "0499370899", "mobile": "09121234567", "full_name": "مریم احمدی"}


class _Loader:
    def __init__(self):
        self.created = 0

    def get_or_create(self, model, lookup, **values):
        row = db.session.execute(db.select(model).filter_by(**lookup)).scalar_one_or_none()
        if row is None:
            row = model(**lookup, **values)
            db.session.add(row)
            db.session.flush()
            self.created += 1
        return row


def load():
    """Load the demo catalogue through the importer (so the importer runs every day), then offices and accounts."""
    data = json.loads(DATA.read_text(encoding="utf-8"))
    catalogue = json.loads(CATALOGUE.read_text(encoding="utf-8")) if CATALOGUE.exists() else data
    english = json.loads(CATALOGUE_EN.read_text(encoding="utf-8"))
    for row in catalogue.get("services", []):
        row.update(english.get(row.get("code"), {}))
    summary = import_catalogue(Source.from_data(catalogue))
    loader = _Loader()
    loader.created = summary.rows_created
    provinces = {p.code: p for p in db.session.execute(db.select(Province)).scalars()}
    offices = [
        loader.get_or_create(
            Office,
            {"code": o["code"]},
            name=o["name"],
            province=provinces[o["province"]],
            address=o["address"],
            phone=o["phone"],
            opening_hours=o["opening_hours"],
        )
        for o in data["offices"]
    ]
    agency = db.session.execute(db.select(Agency).filter_by(code="1002")).scalar_one()
    _load_accounts(loader, offices[0], agency, provinces["23"])
    loader.created += _pending_proposal(provinces["23"])
    loader.created += _counter_services(provinces["23"])
    # Inquiry types and the cards that declare them, before the requests: their filings start the inquiries.
    loader.created += demo_inquiries.load()
    # Requests last: the counter filing needs the clerk's approved outsourcing above.
    loader.created += requests.load(DEMO_CITIZEN["national_code"], "officer", "clerk")
    # Weeks of decided requests for a few cards, so that their measured processing times show.
    loader.created += processing_times.load()
    # Two weeks of (simulated) link checks, so cards, the desk and the scores have link results.
    loader.created += demo_links.load()
    # Nine weeks of connection status changes and the weekly reports, before the scores that read them (issue 14).
    loader.created += demo_connections.load()
    # Eight weeks of decided requests and weekly score snapshots, so /ranking and agency pages have a history.
    loader.created += demo_history.load()
    # Ratings of delivered demo requests and complaints in every state, then the scores again with them (issue 14).
    loader.created += demo_feedback.load()
    return loader.created


def _load_accounts(loader, office, agency, province):
    password = generate_password_hash(DEMO_PASSWORD)
    loader.get_or_create(
        User,
        {"national_code": DEMO_CITIZEN["national_code"]},
        role=Role.CITIZEN,
        mobile=DEMO_CITIZEN["mobile"],
        full_name=DEMO_CITIZEN["full_name"],
        public_id=new_public_id(),
    )
    # The mobile-ownership simulator knows the demo citizen's pair, as the registry would; no other pair signs in.
    loader.created += ownership.register(DEMO_CITIZEN["national_code"], DEMO_CITIZEN["mobile"])[1]
    staff = [
        ("clerk", Role.CLERK, "علی رضایی", {"office": office}),
        ("office-manager", Role.OFFICE_MANAGER, "زهرا کریمی", {"office": office}),
        ("officer", Role.AGENCY_OFFICER, "حسین محمدی", {"agency": agency}),
        ("agency-manager", Role.AGENCY_MANAGER, "فاطمه حسینی", {"agency": agency}),
        ("province-admin", Role.PROVINCIAL_ADMIN, "رضا موسوی", {"province": province}),
        ("admin", Role.NATIONAL_ADMIN, "سارا نوری", {}),
    ]
    for username, role, name, scope in staff:
        loader.get_or_create(
            User,
            {"username": username},
            role=role,
            full_name=name,
            password_hash=password,
            public_id=new_public_id(),
            **scope,
        )


def _pending_proposal(tehran):
    """One proposal waiting in the administrators' queue: the traffic police offer car transfers at Tehran's
    counters. Made through the rules (so it has its decision row and audit event); skipped once the service has any."""
    from app.administration.outsourcing import propose
    from app.models import Outsourcing, Service

    service = db.session.execute(db.select(Service).filter_by(code="10020002")).scalar_one_or_none()
    manager = db.session.execute(db.select(User).filter_by(username="agency-manager")).scalar_one_or_none()
    if (
        service is None
        or manager is None
        or db.session.execute(db.select(Outsourcing.id).filter_by(service_id=service.id).limit(1)).first()
    ):
        return 0
    propose(
        service,
        manager,
        all_provinces=False,
        provinces=[tehran],
        counter_fee_rial=120_000,
        note="درخواست‌های نقل‌وانتقال خودرو در تهران زیاد است؛ دفاتر پیشخوان تهران می‌توانند آن را ثبت کنند.",
    )
    return 1


# Services the demo clerk (office 11001, Tehran) can file at once: code -> (counter fee in rials, Tehran only?).
COUNTER_SERVICES = {
    "10010001": (150_000, False),
    "10010002": (150_000, False),
    "10020001": (200_000, True),
    "10050001": (100_000, False),
    "10060001": (120_000, False),
}


def _counter_services(tehran):
    """Approved outsourcings for a handful of demo services, each proposed and approved through a decision row
    and an audit event like a real one; a service that already has any outsourcing is left alone."""
    from app.administration import audit, outsourcing
    from app.models import Outsourcing, OutsourcingDecision, Service

    admin = db.session.execute(db.select(User).filter_by(username="admin")).scalar_one_or_none()
    if admin is None:
        return 0
    created = 0
    for code, (fee, tehran_only) in COUNTER_SERVICES.items():
        service = db.session.execute(db.select(Service).filter_by(code=code)).scalar_one_or_none()
        if (
            service is None
            or db.session.execute(db.select(Outsourcing.id).filter_by(service_id=service.id).limit(1)).first()
        ):
            continue
        note = "داده‌های نمایشی: این خدمت در دفاتر پیشخوان قابل ثبت است."
        row = Outsourcing(
            public_id=new_public_id(),
            service=service,
            all_provinces=not tehran_only,
            provinces=[tehran] if tehran_only else [],
            counter_fee_rial=fee,
            note=note,
            status="pending",
        )
        db.session.add(row)
        db.session.add(OutsourcingDecision(outsourcing=row, action="propose", counter_fee_rial=fee, reason=note))
        db.session.flush()
        audit.record(None, "outsourcing.propose", "outsourcing", row.public_id, {}, outsourcing.snapshot(row))
        outsourcing.approve(row, admin, reason="داده‌های نمایشی")
        created += 1
    return created
