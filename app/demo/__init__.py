"""Demo data for a fresh installation: a small catalogue, two counter offices, one account per role.

Idempotent: every row is looked up by its public code first, so a second run adds nothing.
"""
import json
from pathlib import Path

from werkzeug.security import generate_password_hash

from ..catalogue import publish_revision
from ..extensions import db
from ..models import (Agency, Cluster, LifeEvent, Office, Province, Role, Service, ServiceRevision, User,
                      new_public_id)
from ..persian import normalize

DATA = Path(__file__).with_name("demo.json")
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
    data = json.loads(DATA.read_text(encoding="utf-8"))
    loader = _Loader()
    clusters = {c["slug"]: loader.get_or_create(Cluster, {"slug": c["slug"]}, name=c["name"], name_en=c["name_en"],
                                                position=i)
                for i, c in enumerate(data["clusters"])}
    events = {e["slug"]: loader.get_or_create(LifeEvent, {"slug": e["slug"]}, name=e["name"], name_en=e["name_en"],
                                              position=i)
              for i, e in enumerate(data["life_events"])}
    agencies = {a["code"]: loader.get_or_create(Agency, {"code": a["code"]}, name=a["name"], name_en=a["name_en"],
                                                connection_status=a["connection_status"],
                                                website_url=a["website_url"])
                for a in data["agencies"]}
    for card in data["services"]:
        _load_service(loader, card, agencies, clusters, events)
    provinces = {p.code: p for p in db.session.execute(db.select(Province)).scalars()}
    offices = [loader.get_or_create(Office, {"code": o["code"]}, name=o["name"], province=provinces[o["province"]],
                                    address=o["address"], phone=o["phone"], opening_hours=o["opening_hours"])
               for o in data["offices"]]
    _load_accounts(loader, offices[0], agencies["1002"], provinces["23"])
    return loader.created


def _load_service(loader, card, agencies, clusters, events):
    service = db.session.execute(db.select(Service).filter_by(code=card["code"])).scalar_one_or_none()
    if service is not None:
        return
    service = loader.get_or_create(Service, {"code": card["code"]}, agency=agencies[card["agency_code"]])
    stages = card["stages"]
    revision = ServiceRevision(
        service=service, number=1, status="approved", title=normalize(card["title"]),
        summary=normalize(card["summary"]), keywords=card["keywords"], conditions=card["conditions"],
        documents=card["documents"], procedure=card.get("procedure", []), channels=card["channels"],
        cluster_slugs=card["clusters"], life_event_slugs=card["life_events"], fee_rial=card["fee_rial"],
        duration_days=card["duration_days"], in_person_visits=card["in_person_visits"],
        yearly_volume=card["yearly_volume"], **{"stage_" + name: value for name, value in stages.items()})
    db.session.add(revision)
    db.session.flush()
    publish_revision(service, revision, [], [clusters[s] for s in card["clusters"]],
                     [events[s] for s in card["life_events"]])


def _load_accounts(loader, office, agency, province):
    password = generate_password_hash(DEMO_PASSWORD)
    loader.get_or_create(User, {"national_code": DEMO_CITIZEN["national_code"]}, role=Role.CITIZEN,
                         mobile=DEMO_CITIZEN["mobile"], full_name=DEMO_CITIZEN["full_name"],
                         public_id=new_public_id())
    staff = [
        ("clerk", Role.CLERK, "علی رضایی", {"office": office}),
        ("office-manager", Role.OFFICE_MANAGER, "زهرا کریمی", {"office": office}),
        ("officer", Role.AGENCY_OFFICER, "حسین محمدی", {"agency": agency}),
        ("agency-manager", Role.AGENCY_MANAGER, "فاطمه حسینی", {"agency": agency}),
        ("province-admin", Role.PROVINCIAL_ADMIN, "رضا موسوی", {"province": province}),
        ("admin", Role.NATIONAL_ADMIN, "سارا نوری", {}),
    ]
    for username, role, name, scope in staff:
        loader.get_or_create(User, {"username": username}, role=role, full_name=name, password_hash=password,
                             public_id=new_public_id(), **scope)
