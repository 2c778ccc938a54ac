"""Who looked at my data: the citizen's data-access log (Estonia's Data Tracker as the model).

record() appends one row per use of a citizen's personal data by another party (an agency officer opening their
request or one of its files, a counter clerk identifying them, an inquiry between agencies …) in the caller's
transaction. Rows are append-only and hash-chained with the audit log's mechanism (app/administration/audit.py
lock_chain/advance_chain) under their own chain head, so a desk page view does not queue behind administrative
changes; verify() walks the chain and names the first broken link.

Hiding an entry from the citizen (hide()) is the one later change a row takes; its columns are outside the hash.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, event, select
from sqlalchemy.orm import joinedload

from app.administration import audit
from app.core.errors import RuleError
from app.core.identifiers import shown_tracking_code
from app.extensions import db
from app.models import Agency, Office, Request, User, utcnow
from app.models.data_access import DataAccess
from app.permissions import data_access_hidden_visible_to, data_access_of_citizen, is_agency_staff, is_citizen

HEAD_KEY = "data_access_chain_head"

# Purposes the hooks in this project record; another caller may pass its own code (up to 40 characters), which the
# page shows with the generic sentence.
VIEW_REQUEST = "desk.view_request"
DOWNLOAD_FILE = "desk.download_file"
COUNTER_IDENTIFY = "counter.identify"
INQUIRY_ANSWERED = "inquiry.answered"  # app/inquiries: an agency answered another's inquiry about the citizen

DATA_KIND_LABELS = {
    "request": _l("درخواست و اطلاعات آن"),
    "attachment": _l("پیوست درخواست"),
    "identity": _l("کد ملی و شمارهٔ همراه"),
    "inquiry": _l("استعلام"),
    "registry": _l("اطلاعات ثبت‌شده نزد دستگاه"),
}
assert set(DATA_KIND_LABELS) == set(DataAccess.DATA_KINDS)

# Why the use was allowed (legal_basis): the codes the hooks here record; another caller's own text is shown as is.
LEGAL_BASES = {
    "request": _l("رسیدگی به درخواستی که خودتان ثبت کرده‌اید"),
    "consent": _l("رضایت شما در دفتر پیشخوان"),
}


class AppendOnly(Exception):
    pass


class HideError(RuleError):
    pass


# Only the hiding columns may change after a row is written; anything else is refused by the ORM.
_MUTABLE = {"hidden_until", "hidden_reason", "hidden_by_id"}


@event.listens_for(DataAccess, "before_update")
def _refuse_change(_mapper, _connection, target):
    changed = {attr.key for attr in db.inspect(target).attrs if attr.history.has_changes()}
    if changed - _MUTABLE:
        raise AppendOnly(f"data-access entries are append-only (entry #{target.id}: {sorted(changed - _MUTABLE)})")


@event.listens_for(DataAccess, "before_delete")
def _refuse_delete(_mapper, _connection, target):
    raise AppendOnly(f"data-access entries are append-only (entry #{target.id})")


def _canonical(row: DataAccess) -> bytes:
    content = {
        "created_at": row.created_at.isoformat(timespec="microseconds"),
        "national_code": row.national_code,
        "agency_id": row.agency_id,
        "office_id": row.office_id,
        "official_id": row.official_id,
        "request_id": row.request_id,
        "tracking_code": row.tracking_code,
        "purpose": row.purpose,
        "legal_basis": row.legal_basis,
        "data_kind": row.data_kind,
        "prev_hash": row.prev_hash,
    }
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def compute_hash(row: DataAccess) -> str:
    return hashlib.sha256(_canonical(row)).hexdigest()


def _repeat_window() -> timedelta:
    return timedelta(minutes=current_app.config["DATA_ACCESS_REPEAT_MINUTES"])


def record(
    *,
    national_code: str,
    purpose: str,
    data_kind: str,
    agency: Agency | None = None,
    office: Office | None = None,
    official: User | None = None,
    request: Request | None = None,
    legal_basis: str = "",
) -> DataAccess:
    """Append one entry to the caller's session (the caller commits it with the work it describes).

    The same official making the same use of the same request (or of no request) within DATA_ACCESS_REPEAT_MINUTES (a page reload,
    a second click on a file) is not a new use: the earlier entry is returned and nothing is added. The check runs
    after the chain lock is taken, so two reloads at the same moment still make one entry.
    """
    if data_kind not in DataAccess.DATA_KINDS:
        raise ValueError(f"unknown data kind {data_kind!r}; one of {DataAccess.DATA_KINDS}")
    if not national_code:
        raise ValueError("a data-access entry needs the citizen's national code")
    prev_hash = audit.lock_chain(HEAD_KEY)
    now = utcnow()
    if official is not None:
        same_request = DataAccess.request_id.is_(None) if request is None else DataAccess.request_id == request.id
        earlier = db.session.execute(
            select(DataAccess)
            .where(
                DataAccess.national_code == national_code,
                DataAccess.official_id == official.id,
                same_request,
                DataAccess.purpose == purpose,
                DataAccess.data_kind == data_kind,
                DataAccess.created_at >= now - _repeat_window(),
            )
            .order_by(DataAccess.id.desc())
            .limit(1)
        ).scalar_one_or_none()
        if earlier is not None:
            return earlier
    row = DataAccess(
        created_at=now,
        national_code=national_code,
        agency_id=agency.id if agency is not None else None,
        office_id=office.id if office is not None else None,
        official_id=official.id if official is not None else None,
        request_id=request.id if request is not None else None,
        tracking_code=(request.tracking_code or "") if request is not None else "",
        purpose=purpose[:40],
        legal_basis=legal_basis[:200],
        data_kind=data_kind,
        prev_hash=prev_hash,
        hidden_reason="",
    )
    row.hash = compute_hash(row)
    db.session.add(row)
    audit.advance_chain(HEAD_KEY, row.hash)
    return row


def verify() -> audit.Verification:
    """Walk the data-access chain oldest first (the audit log's walk, on this log's rows and head)."""
    return audit.verify_chain(DataAccess, compute_hash, HEAD_KEY, "data-access", "entry", "entries")


def note_desk_use(officer: User, found: Request, purpose: str, data_kind: str) -> None:
    """An agency officer opened a request (or one of its files): an entry for its applicant naming the agency,
    committed at once. Nobody else's use is recorded here: the citizen reading their own request is not a use by
    another party, and counter and administrator reads have their own hooks (or none)."""
    if not is_agency_staff(officer) or found.applicant is None or not found.applicant.national_code:
        return
    record(
        national_code=found.applicant.national_code,
        purpose=purpose,
        data_kind=data_kind,
        agency=found.agency,
        official=officer,
        request=found,
        legal_basis="request",
    )
    db.session.commit()


# --- the citizen's page ---------------------------------------------------------------------------------

PAGE_SIZE = 30


@dataclass
class Line:
    entry: DataAccess
    organisation: str
    sentence: str

    @property
    def basis(self) -> str:
        value = self.entry.legal_basis
        return str(LEGAL_BASES.get(value, value))


def _organisation(row: DataAccess) -> str:
    if row.agency is not None:
        return row.agency.name
    if row.office is not None:
        return row.office.name
    return _("سامانه")


def explain(row: DataAccess) -> Line:
    """The entry in plain Persian, naming the organisation (never the person, who is kept for audits)."""
    who = _organisation(row)
    code = shown_tracking_code(row.tracking_code)
    if row.purpose == VIEW_REQUEST:
        sentence = _("کارشناس «%(org)s» درخواست شما با کد رهگیری %(code)s را باز کرد.", org=who, code=code)
    elif row.purpose == DOWNLOAD_FILE:
        sentence = _(
            "کارشناس «%(org)s» یکی از پیوست‌های درخواست شما با کد رهگیری %(code)s را دریافت کرد.", org=who, code=code
        )
    elif row.purpose == COUNTER_IDENTIFY:
        sentence = _("متصدی «%(org)s» کد ملی و شمارهٔ همراه شما را برای ثبت درخواست استعلام کرد.", org=who)
    elif row.purpose == INQUIRY_ANSWERED:
        sentence = _(
            "«%(org)s» به استعلامی دربارهٔ شما برای درخواست با کد رهگیری %(code)s پاسخ داد.", org=who, code=code
        )
    elif code:
        sentence = _(
            "«%(org)s» از %(kind)s شما برای درخواست با کد رهگیری %(code)s استفاده کرد.",
            org=who,
            kind=DATA_KIND_LABELS[row.data_kind],
            code=code,
        )
    else:
        sentence = _("«%(org)s» از %(kind)s شما استفاده کرد.", org=who, kind=DATA_KIND_LABELS[row.data_kind])
    return Line(row, who, sentence)


def organisations(citizen: User) -> list[tuple[str, str]]:
    """(value, name) of every organisation in the citizen's visible log, for the filter: "a:<agency code>" or
    "o:<office code>".

    Read from the covering (national_code, agency_id/office_id, id) indexes, without the rows themselves; an
    organisation that appears only in entries hidden for now is left out (its name would give the hiding away),
    which costs a look at the few hidden entries (their partial index) and one EXISTS per such organisation."""
    if not is_citizen(citizen) or not citizen.national_code:
        return []
    mine = DataAccess.national_code == citizen.national_code
    columns = {"a": DataAccess.agency_id, "o": DataAccess.office_id}
    found = {
        kind: set(db.session.execute(select(col).where(mine, col.is_not(None)).distinct()).scalars())
        for kind, col in columns.items()
    }
    now = utcnow()
    hidden = db.session.execute(
        select(DataAccess.agency_id, DataAccess.office_id).where(
            mine, DataAccess.hidden_until.is_not(None), DataAccess.hidden_until > now
        )
    ).all()
    visible = data_access_of_citizen(citizen).with_only_columns(DataAccess.id)
    for agency_id, office_id in set(hidden):
        for kind, value in (("a", agency_id), ("o", office_id)):
            if value is not None and value in found[kind]:
                shown = db.session.execute(select(visible.where(columns[kind] == value).exists())).scalar()
                if not shown:
                    found[kind].discard(value)
    agencies = db.session.execute(select(Agency.code, Agency.name).where(Agency.id.in_(found["a"]))).all()
    offices = db.session.execute(select(Office.code, Office.name).where(Office.id.in_(found["o"]))).all()
    pairs = [(f"a:{code}", name) for code, name in agencies] + [(f"o:{code}", name) for code, name in offices]
    return sorted(pairs, key=lambda pair: pair[1])


def entries(
    citizen: User,
    organisation: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
    before_id: int | None = None,
    size: int = PAGE_SIZE,
) -> tuple[list[Line], int | None]:
    """One page of the citizen's own visible entries, newest first (keyset: id < before_id), and the id to ask
    the next (older) page from, None at the end. `since`/`until` are naive UTC (until exclusive)."""
    query = data_access_of_citizen(citizen).options(joinedload(DataAccess.agency), joinedload(DataAccess.office))
    kind, _sep, code = organisation.partition(":")
    if kind == "a":
        query = query.where(DataAccess.agency_id.in_(select(Agency.id).where(Agency.code == code)))
    elif kind == "o":
        query = query.where(DataAccess.office_id.in_(select(Office.id).where(Office.code == code)))
    if since is not None:
        query = query.where(DataAccess.created_at >= since)
    if until is not None:
        query = query.where(DataAccess.created_at < until)
    if before_id is not None:
        query = query.where(DataAccess.id < before_id)
    rows = db.session.execute(query.order_by(DataAccess.id.desc()).limit(size + 1)).scalars().all()
    page = [explain(row) for row in rows[:size]]
    return page, (rows[size - 1].id if len(rows) > size else None)


# --- hiding an entry for an investigation ----------------------------------------------------------------


def hidden_entries(admin: User | None) -> Select:
    return (
        data_access_hidden_visible_to(admin)
        .options(joinedload(DataAccess.agency), joinedload(DataAccess.office), joinedload(DataAccess.official))
        .order_by(DataAccess.id.desc())
    )


def hide(admin: User, row: DataAccess, until: datetime, reason: str) -> None:
    """Hide the entry from its citizen until `until` (naive UTC) for the stated investigation; audited. The
    caller commits."""
    reason = (reason or "").strip()
    if not reason:
        raise HideError(_("علت پنهان کردن (شمارهٔ پرونده یا دستور بازرسی) را بنویسید."), "reason")
    if until <= utcnow():
        raise HideError(_("تاریخ پایان پنهان‌ماندن باید در آینده باشد."), "until")
    before = {"hidden_until": row.hidden_until.isoformat() if row.hidden_until else None}
    row.hidden_until, row.hidden_reason, row.hidden_by_id = until, reason[:1000], admin.id
    audit.record(
        admin,
        "data_access.hide",
        "data_access",
        row.hash[:16],
        before,
        {
            "hidden_until": until.isoformat(),
            "reason": reason[:1000],
        },
    )
