"""The audit log in words: labels for the fields and values events keep, and names for the codes they keep (staff,
offices, agencies, provinces, counties, services, outsourcings, requests), resolved for a whole page at once.

Events store codes and raw values on purpose (they are evidence, hashed as written); this module only reads them.
The value labels are the rule packages' own mappings, so a renamed status reads the same here as everywhere else.
"""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from app.administration import audit, offices, outsourcing
from app.catalogue import queries as catalogue
from app.core.identifiers import format_tracking_code
from app.core.persian import format_number, format_rial, jalali_datetime, local_digits, persian_digits_enabled
from app.extensions import db
from app.feedback import complaints, ratings
from app.jobs import outbox
from app.models import Agency, AuditEvent, County, Office, Outsourcing, Province, Request, Service, User
from app.people import staff
from app.people.mobile import masked as masked_mobile
from app.requests import workflow

FIELD_LABELS = {
    "code": _l("کد"),
    "name": _l("نام"),
    "name_en": _l("نام انگلیسی"),
    "level": _l("سطح"),
    "province": _l("استان"),
    "provinces": _l("استان‌ها"),
    "all_provinces": _l("همهٔ استان‌ها"),
    "county": _l("شهرستان"),
    "address": _l("نشانی"),
    "phone": _l("تلفن"),
    "opening_hours": _l("ساعت کار"),
    "latitude": _l("عرض جغرافیایی"),
    "longitude": _l("طول جغرافیایی"),
    "status": _l("وضعیت"),
    "state": _l("وضعیت"),
    "connection_status": _l("وضعیت اتصال به پنجره"),
    "connection_deadline": _l("مهلت اتصال"),
    "note": _l("توضیح"),
    "website_url": _l("وبگاه"),
    "username": _l("نام کاربری"),
    "full_name": _l("نام و نام خانوادگی"),
    "role": _l("نقش"),
    "office": _l("دفتر پیشخوان"),
    "agency": _l("دستگاه"),
    "active": _l("فعال"),
    "service": _l("خدمت"),
    "request": _l("درخواست"),
    "tracking_code": _l("درخواست"),
    "counter_fee_rial": _l("کارمزد پیشخوان"),
    "counter_fee_cap_rial": _l("سقف کارمزد"),
    "password": _l("گذرواژه"),
    "mobile": _l("شمارهٔ همراه"),
    "attempts": _l("تلاش‌ها"),
    "inquiry": _l("استعلام"),
    "assignee": _l("کارشناس"),
    "last_error": _l("آخرین خطا"),
    "kind": _l("نوع"),
    "refund": _l("بازپرداخت"),
    "amount_rial": _l("مبلغ"),
    "gateway_reference": _l("شمارهٔ مرجع پرداخت"),
    "flag": _l("علامت متن"),
}
JOB_STATES = {"pending": _l("در انتظار"), "done": _l("انجام شده"), "failed": _l("ناموفق")}
PASSWORDS = {"old": _l("گذرواژهٔ پیشین"), "new": _l("گذرواژهٔ تازه")}
REFUNDS = {"due": _l("در انتظار"), "done": _l("انجام شده")}  # payment.refund (app/requests/payments.py)
# (object type, field) -> the rule package's labels for its values; "" as the type: any object.
VALUE_LABELS: dict[tuple[str, str], Mapping[str, object]] = {
    ("office", "status"): offices.STATUS_LABELS,
    ("outsourcing", "status"): outsourcing.STATUS_LABELS,
    ("request", "status"): workflow.STATUS_LABELS,
    ("", "from_status"): workflow.STATUS_LABELS,
    ("", "to_status"): workflow.STATUS_LABELS,
    ("job", "state"): JOB_STATES,
    ("", "role"): staff.ROLE_LABELS,
    ("", "level"): catalogue.AGENCY_LEVELS,
    ("", "connection_status"): catalogue.CONNECTION_STATUSES,
    ("", "kind"): outbox.LABELS,
    ("", "password"): PASSWORDS,
    ("request", "refund"): REFUNDS,
    ("complaint", "state"): complaints.STATE_LABELS,
    ("", "flag"): ratings.FLAG_LABELS,
}
# Fields whose value is a code of another row, shown by that row's name: field -> the kind of row.
NAMED_FIELDS = {
    "office": "office",
    "agency": "agency",
    "province": "province",
    "provinces": "province",
    "county": "county",
    "service": "service",
    "request": "request",
    "tracking_code": "request",
}
# The object an event is about, by its object_ref: object type -> the kind of row.
NAMED_OBJECTS = {
    "office": "office",
    "agency": "agency",
    "user": "user",
    "outsourcing": "outsourcing",
    "request": "request",
}
# Codes, numbers and Latin text: isolated left-to-right so that neither they nor the arrow beside them turn around.
LTR_FIELDS = {"code", "username", "name_en", "website_url", "phone", "mobile", "last_error", "gateway_reference"}
# Shown with the page's digits; the other LTR fields as typed.
DIGIT_FIELDS = {"code", "phone", "mobile", "gateway_reference"}
_ISO_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?")


@dataclass(frozen=True)
class Shown:
    """A value as a reader sees it: the text, a code shown small beside it, and whether it reads left-to-right."""

    text: str
    code: str = ""
    ltr: bool = False
    lang: str = ""  # "fa" for a Persian name on an English page


@dataclass(frozen=True)
class Change:
    """One field of an event: its label, the value before (None for a creation) and after."""

    label: str
    before: Shown | None
    after: Shown
    ltr_label: bool = False


@dataclass(frozen=True)
class Subject:
    """What the event is about: the kind in words, its name, and the public id pages link it by ("" for none)."""

    kind: str
    name: Shown
    object_type: str
    link: str = ""


@dataclass(frozen=True)
class Line:
    """An event ready to show: who, what, about what, and what changed."""

    event: AuditEvent
    actor: Shown | None  # None: the system itself
    action: str
    subject: Subject
    changes: list[Change] = field(default_factory=list)


@dataclass(frozen=True)
class _Row:
    name: str
    code: str = ""
    link: str = ""
    name_en: str = ""


class _Names:
    """The rows a page of events names, fetched with one query per kind of row, whatever the number of events."""

    def __init__(self, wanted: Mapping[str, set[str]]):
        self.rows: dict[str, dict[str, _Row]] = {
            kind: _FETCH[kind](sorted(codes)) for kind, codes in wanted.items() if codes
        }

    @classmethod
    def of(cls, events: Iterable[AuditEvent]) -> "_Names":
        wanted: dict[str, set[str]] = {}
        for event in events:
            kind = NAMED_OBJECTS.get(event.object_type)
            if kind and event.object_ref:
                wanted.setdefault(kind, set()).add(event.object_ref)
            for values in (event.before or {}, event.after or {}):
                for key, value in values.items():
                    kind = NAMED_FIELDS.get(key)
                    if kind:
                        wanted.setdefault(kind, set()).update(_codes(value))
        return cls(wanted)

    def get(self, kind: str, code: str) -> _Row | None:
        return self.rows.get(kind, {}).get(code)


def _codes(value: object) -> list[str]:
    if isinstance(value, list | tuple):
        return [str(v) for v in value if v not in (None, "")]
    return [] if value in (None, "") else [str(value)]


def _users(codes: list[str]) -> dict[str, _Row]:
    # Staff events name the account by username, a citizen's (a mobile change) by public id.
    found = db.session.execute(
        select(User.username, User.public_id, User.full_name, User.role).where(
            or_(User.username.in_(codes), User.public_id.in_(codes))
        )
    ).all()
    rows = {}
    for username, public_id, full_name, role in found:
        staff_link = public_id if username else ""  # citizens have no page in administration
        if username:
            rows[username] = _Row(full_name or username, username, staff_link)
        rows[public_id] = _Row(full_name or str(staff.ROLE_LABELS.get(role, "")), username or "", staff_link)
    return rows


def _coded(model, name_column, english_column=None):
    def fetch(codes: list[str]) -> dict[str, _Row]:
        columns = [model.code, name_column] + ([english_column] if english_column is not None else [])
        found = db.session.execute(select(*columns).where(model.code.in_(codes))).all()
        return {row[0]: _Row(row[1], row[0], row[0], row[2] if len(row) > 2 else "") for row in found}

    return fetch


def _outsourcings(codes: list[str]) -> dict[str, _Row]:
    found = db.session.execute(
        select(Outsourcing.public_id, Service.code, Service.title, Service.title_en)
        .join(Service, Outsourcing.service_id == Service.id)
        .where(Outsourcing.public_id.in_(codes))
    ).all()
    return {public_id: _Row(title, code, public_id, title_en) for public_id, code, title, title_en in found}


def _requests(codes: list[str]) -> dict[str, _Row]:
    found = db.session.execute(
        select(Request.tracking_code, Service.title, Service.title_en)
        .join(Service, Request.service_id == Service.id)
        .where(Request.tracking_code.in_(codes))
    ).all()
    return {code: _Row(title, _tracking(code), "", title_en) for code, title, title_en in found}


_FETCH = {
    "user": _users,
    "office": _coded(Office, Office.name),
    "agency": _coded(Agency, Agency.name, Agency.name_en),
    "province": _coded(Province, Province.name, Province.name_en),
    "county": _coded(County, County.name, County.name_en),
    "service": _coded(Service, Service.title, Service.title_en),
    "outsourcing": _outsourcings,
    "request": _requests,
}


def _tracking(code: str) -> str:
    return local_digits(format_tracking_code(code))


def _number(value: int | float) -> str:
    return format_number(value, persian=persian_digits_enabled())


def _moment(text: str) -> str:
    try:
        moment = datetime.fromisoformat(text)  # naive is UTC, as stored; jalali_datetime shows it in Tehran time
    except ValueError:
        return text
    return jalali_datetime(moment, persian=persian_digits_enabled())


def _value_labels(object_type: str, key: str) -> Mapping[str, object] | None:
    return VALUE_LABELS.get((object_type, key)) or VALUE_LABELS.get(("", key))


def _named(kind: str, code: str, names: _Names) -> Shown:
    row = names.get(kind, code)
    if row is None:  # a row removed since, or a code from before a rename: the code is all there is, as stored
        return Shown(code, ltr=True)
    code_shown = row.code if kind in ("user", "request") else local_digits(row.code)
    if row.code == row.name or kind in ("province", "county"):  # a province's number means nothing to a reader
        code_shown = ""
    locale = get_locale()
    if locale is None or locale.language == "fa":
        return Shown(row.name, code_shown)
    if row.name_en:  # an English page shows the English name where the row has one, as the public pages do
        return Shown(row.name_en, code_shown)
    return Shown(row.name, code_shown, lang="fa")


def shown(key: str, value: object, object_type: str = "", names: _Names | None = None) -> Shown:
    """One stored value in words: a label for a known value, a name for a code, money in rials, a moment in the
    Jalali calendar, numbers with the page's digits; anything else as it was stored."""
    if names is None:  # one value on its own: fetch what it names
        kind = NAMED_FIELDS.get(key)
        names = _Names({kind: set(_codes(value))} if kind else {})
    if value is None or value == "" or value == []:
        return Shown("—")
    if isinstance(value, bool):
        return Shown(_("بله") if value else _("خیر"))
    kind = NAMED_FIELDS.get(key)
    if kind:
        parts = [_named(kind, code, names) for code in _codes(value)]
        if len(parts) == 1:
            return parts[0]
        return Shown("، ".join(p.text for p in parts))
    if isinstance(value, list | tuple):
        return Shown("، ".join(shown(key, v, object_type, names).text for v in value))
    if isinstance(value, Mapping):
        return Shown("، ".join(f"{label(k)}: {shown(k, v, object_type, names).text}" for k, v in value.items()))
    labels = _value_labels(object_type, key)
    if labels is not None and str(value) in labels:
        return Shown(str(labels[str(value)]))
    if isinstance(value, int) and key.endswith("_rial"):
        return Shown(format_rial(value, persian=persian_digits_enabled()))
    if isinstance(value, int | float):
        return Shown(_number(value))
    text = str(value)
    if _ISO_MOMENT.fullmatch(text):
        return Shown(_moment(text))
    if key == "mobile":
        # A mobile in the log is masked as the citizen's own pages mask it: the log names the person already, and
        # whoever reads it needs to recognise the number, not to learn it.
        return Shown(local_digits(masked_mobile(text)), ltr=True)
    if key in LTR_FIELDS:
        return Shown(local_digits(text) if key in DIGIT_FIELDS else text, ltr=True)
    return Shown(text)


def label(key: str) -> str:
    """A field's name in words; a field this module does not know yet is shown by its stored name."""
    known = FIELD_LABELS.get(key)
    return str(known) if known is not None else key


def _changes(event: AuditEvent, names: _Names) -> list[Change]:
    before, after = event.before or {}, event.after or {}
    changes = []
    for key in list(dict.fromkeys([*before, *after])):
        was, now = before.get(key), after.get(key)
        if before and was == now:
            continue
        if not before and now in (None, "", []):
            continue  # a creation lists what was set, not every empty field
        changes.append(
            Change(
                label(key),
                shown(key, was, event.object_type, names) if before else None,
                shown(key, now, event.object_type, names),
                ltr_label=key not in FIELD_LABELS,
            )
        )
    return changes


def _subject(event: AuditEvent, names: _Names) -> Subject:
    object_type, ref = event.object_type, event.object_ref or ""
    kind = str(audit.OBJECT_TYPES.get(object_type, object_type))
    if object_type == "setting":
        return Subject(kind, Shown(label(ref)), object_type)
    if object_type == "job":
        job_kind = (event.after or {}).get("kind") or (event.before or {}).get("kind")
        return Subject(kind, shown("kind", job_kind) if job_kind else Shown(ref, ltr=True), object_type)
    named = NAMED_OBJECTS.get(object_type, "")
    row = names.get(named, ref)
    if row is None:  # nothing to name it by: the reference as stored
        return Subject(kind, Shown(ref, ltr=True) if ref else Shown("—"), object_type)
    return Subject(kind, _named(named, ref, names), object_type, row.link)


def readable(events: Iterable[AuditEvent]) -> list[Line]:
    """A page of events in words, its names fetched in one query per kind of row (never one per event)."""
    events = list(events)
    names = _Names.of(events)
    lines = []
    for event in events:
        actor = None
        if event.actor is not None:
            who = event.actor
            actor = Shown(who.full_name or who.username or "", who.username if who.full_name and who.username else "")
        lines.append(
            Line(
                event,
                actor,
                str(audit.ACTIONS.get(event.action, event.action)),
                _subject(event, names),
                _changes(event, names),
            )
        )
    return lines
