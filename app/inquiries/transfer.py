"""Inquiry types and the cards that declare them, as a JSON file an administrator imports (`flask inquiries import`)
and exports (`flask inquiries export`): the shape of demo.json beside this file.

    {"types": [{"code", "agency_code", "title", "subject", "due_minutes", "replaces": [...], "legal_basis",
                "answer_fields": [{"name", "label", "choices"?}]}],
     "cards": [{"service": "<service code>", "inquiries": [{"type", "after"?, "on_not_found"?, "replaces"?}]}]}

All or nothing: every problem in the file is reported (with where it is) and nothing is written. Types are upserted
by code; a card listed in the file gets exactly the inquiries the file lists (an empty list removes them). Requests
already filed keep the inquiries they started with (each Inquiry holds its own copy), so a change applies to filings
from now on. Cards not in the file are left as they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select

from app.administration import audit
from app.extensions import db
from app.models import Agency, InquiryType, Service, ServiceInquiry, User

TYPE_FIELDS = ("title", "subject", "due_minutes", "replaces", "legal_basis", "answer_fields")


class ImportFailed(Exception):
    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass
class Outcome:
    types_created: int = 0
    types_updated: int = 0
    cards: list[str] = field(default_factory=list)


def _text_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) and item.strip() for item in value)


def _check_type(spec: Any, where: str, problems: list[str]) -> None:
    if not isinstance(spec, dict):
        problems.append(f"{where}: not an object")
        return
    for name in ("code", "agency_code", "title"):
        if not isinstance(spec.get(name), str) or not spec[name].strip():
            problems.append(f"{where}: {name} is missing")
    if spec.get("subject", "national_code") not in InquiryType.SUBJECTS:
        problems.append(f"{where}: subject must be one of {', '.join(InquiryType.SUBJECTS)}")
    due = spec.get("due_minutes", 60)
    if not isinstance(due, int) or isinstance(due, bool) or due < 1:
        problems.append(f"{where}: due_minutes must be a whole number of minutes, at least 1")
    if not _text_list(spec.get("replaces", [])):
        problems.append(f"{where}: replaces must be a list of document texts")
    fields = spec.get("answer_fields", [])
    if not isinstance(fields, list) or not all(
        isinstance(f, dict) and isinstance(f.get("name"), str) and isinstance(f.get("label"), str) for f in fields
    ):
        problems.append(f"{where}: answer_fields must be a list of {{name, label}} objects")
    elif len({f["name"] for f in fields}) != len(fields):
        problems.append(f"{where}: answer_fields names repeat")


def _check_card(card: Any, where: str, known_types: set[str], problems: list[str]) -> None:
    if not isinstance(card, dict) or not isinstance(card.get("service"), str):
        problems.append(f"{where}: service (a service code) is missing")
        return
    inquiries = card.get("inquiries")
    if not isinstance(inquiries, list):
        problems.append(f"{where}: inquiries must be a list")
        return
    seen: list[str] = []
    for n, spec in enumerate(inquiries):
        at = f"{where}.inquiries[{n}]"
        if not isinstance(spec, dict) or not isinstance(spec.get("type"), str):
            problems.append(f"{at}: type is missing")
            continue
        if spec["type"] not in known_types:
            problems.append(f"{at}: no inquiry type {spec['type']!r}")
        if spec["type"] in seen:
            problems.append(f"{at}: {spec['type']!r} is listed twice for this card")
        after = spec.get("after")
        if after is not None and after not in seen:
            problems.append(f"{at}: after {after!r} must name an inquiry listed before it on this card")
        if spec.get("on_not_found", "continue") not in ServiceInquiry.ON_NOT_FOUND:
            problems.append(f"{at}: on_not_found must be continue or stop")
        replaces = spec.get("replaces", [])
        if not isinstance(replaces, list) or not all(
            (isinstance(r, int) and not isinstance(r, bool) and r >= 0) or (isinstance(r, str) and r.strip())
            for r in replaces
        ):
            problems.append(f"{at}: replaces must list document indexes or texts")
        seen.append(spec["type"])


def import_inquiries(data: Any, by: User | None = None, dry_run: bool = False) -> Outcome:
    """Check the whole file, then write it in the caller's transaction (the caller commits); raises ImportFailed."""
    problems: list[str] = []
    if not isinstance(data, dict):
        raise ImportFailed(["the file must hold an object with types and cards"])
    types = data.get("types", [])
    cards = data.get("cards", [])
    if not isinstance(types, list) or not isinstance(cards, list):
        raise ImportFailed(["types and cards must be lists"])
    for n, spec in enumerate(types):
        _check_type(spec, f"types[{n}]", problems)
    codes = [spec.get("code") for spec in types if isinstance(spec, dict)]
    if len(set(codes)) != len(codes):
        problems.append("types: a code is listed twice")
    agencies = {
        a.code: a
        for a in db.session.execute(
            select(Agency).where(Agency.code.in_([s.get("agency_code") for s in types if isinstance(s, dict)]))
        ).scalars()
    }
    for n, spec in enumerate(types):
        if isinstance(spec, dict) and spec.get("agency_code") and spec["agency_code"] not in agencies:
            problems.append(f"types[{n}]: no agency with code {spec['agency_code']!r}")
    existing = {t.code: t for t in db.session.execute(select(InquiryType)).scalars()}
    known = set(existing) | {c for c in codes if isinstance(c, str)}
    services: dict[str, Service] = {}
    for n, card in enumerate(cards):
        _check_card(card, f"cards[{n}]", known, problems)
        if isinstance(card, dict) and isinstance(card.get("service"), str):
            service = db.session.execute(select(Service).filter_by(code=card["service"])).scalar_one_or_none()
            if service is None:
                problems.append(f"cards[{n}]: no service with code {card['service']!r}")
            elif card["service"] in services:
                problems.append(f"cards[{n}]: service {card['service']!r} is listed twice")
            else:
                services[card["service"]] = service
    if problems:
        raise ImportFailed(problems)
    outcome = Outcome()
    if dry_run:
        outcome.types_created = sum(1 for c in codes if c not in existing)
        outcome.types_updated = len(codes) - outcome.types_created
        outcome.cards = list(services)
        return outcome
    for spec in types:
        row = existing.get(spec["code"])
        values = {
            "title": spec["title"].strip(),
            "subject": spec.get("subject", "national_code"),
            "due_minutes": spec.get("due_minutes", 60),
            "replaces": spec.get("replaces", []),
            "legal_basis": spec.get("legal_basis", ""),
            "answer_fields": spec.get("answer_fields", []),
        }
        if row is None:
            row = InquiryType(code=spec["code"], agency=agencies[spec["agency_code"]], **values)
            db.session.add(row)
            outcome.types_created += 1
        else:
            row.agency = agencies[spec["agency_code"]]
            for name, value in values.items():
                setattr(row, name, value)
            outcome.types_updated += 1
        existing[row.code] = row
    db.session.flush()
    for card in cards:
        service = services[card["service"]]
        db.session.execute(delete(ServiceInquiry).where(ServiceInquiry.service_id == service.id))
        declared: dict[str, ServiceInquiry] = {}
        for position, spec in enumerate(card["inquiries"]):
            declaration = ServiceInquiry(
                service=service,
                inquiry_type=existing[spec["type"]],
                position=position,
                after=declared.get(spec.get("after") or ""),
                on_not_found=spec.get("on_not_found", "continue"),
                replaces=spec.get("replaces", []),
            )
            db.session.add(declaration)
            db.session.flush()
            declared[spec["type"]] = declaration
        outcome.cards.append(service.code)
    audit.record(
        by,
        "inquiries.import",
        "inquiry_type",
        None,
        after={"types_created": outcome.types_created, "types_updated": outcome.types_updated, "cards": outcome.cards},
    )
    return outcome


def export_inquiries() -> dict[str, Any]:
    """Every inquiry type and every card's declared inquiries, in the import's shape (a round trip changes nothing)."""
    types = db.session.execute(select(InquiryType).order_by(InquiryType.code)).scalars().all()
    declarations = db.session.execute(
        select(ServiceInquiry, Service.code)
        .join(Service, Service.id == ServiceInquiry.service_id)
        .order_by(Service.code, ServiceInquiry.position)
    ).all()
    cards: dict[str, list[dict[str, Any]]] = {}
    for declaration, code in declarations:
        spec: dict[str, Any] = {"type": declaration.inquiry_type.code}
        if declaration.after is not None:
            spec["after"] = declaration.after.inquiry_type.code
        if declaration.on_not_found != "continue":
            spec["on_not_found"] = declaration.on_not_found
        if declaration.replaces:
            spec["replaces"] = declaration.replaces
        cards.setdefault(code, []).append(spec)
    return {
        "types": [
            {"code": t.code, "agency_code": t.agency.code} | {name: getattr(t, name) for name in TYPE_FIELDS}
            for t in types
        ],
        "cards": [{"service": code, "inquiries": specs} for code, specs in cards.items()],
    }
