"""The append-only audit log: record() chains each event to the one before it, verify() walks the chain.

Nothing here (or anywhere else) updates or deletes an AuditEvent; a change to a stored row breaks its hash,
and a row removed from the middle breaks the next row's link.
"""

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, event, select, update
from sqlalchemy.orm import joinedload

from app.core.db import upsert
from app.extensions import db
from app.models import AuditEvent, Setting, User, utcnow
from app.permissions import audit_events_visible_to

# The hash of the newest event, kept in one settings row. The row is the lock appends queue on (see _lock_head)
# and, because a new event links to it rather than to whatever row happens to be last, rows cut off the end of
# the table are noticed too.
HEAD_KEY = "audit_chain_head"

ACTIONS = {
    "outsourcing.propose": _l("پیشنهاد واگذاری"),
    "outsourcing.approve": _l("تأیید واگذاری"),
    "outsourcing.reject": _l("رد واگذاری"),
    "outsourcing.revoke": _l("لغو واگذاری"),
    "outsourcing.change_fee": _l("تغییر کارمزد واگذاری"),
    "setting.fee_cap": _l("تغییر سقف کارمزد"),
    "job.retry": _l("تلاش دوباره برای کار پس‌زمینه"),
    "agency.create": _l("افزودن دستگاه"),
    "agency.update": _l("ویرایش دستگاه"),
    "agency.connection": _l("تغییر وضعیت اتصال دستگاه"),
    "scores.compute": _l("محاسبهٔ امتیاز دستگاه‌ها"),
    "inquiries.import": _l("ورود انواع استعلام و استعلام‌های خدمات"),
    "agency.connection_deadline": _l("تعیین مهلت اتصال دستگاه"),
    "office.create": _l("افزودن دفتر پیشخوان"),
    "office.update": _l("ویرایش دفتر پیشخوان"),
    "office.suspend": _l("تعلیق دفتر پیشخوان"),
    "office.activate": _l("فعال‌سازی دفتر پیشخوان"),
    "user.create": _l("ساخت حساب کارمند"),
    "user.role_change": _l("تغییر نقش یا حوزهٔ کارمند"),
    "user.deactivate": _l("غیرفعال‌سازی حساب"),
    "user.activate": _l("فعال‌سازی دوبارهٔ حساب"),
    "user.password_reset": _l("بازنشانی گذرواژه"),
    "user.mobile_change": _l("تغییر شمارهٔ همراه شهروند"),
    "payment.refund": _l("ثبت بازپرداخت هزینهٔ درخواست"),
    "data_access.hide": _l("پنهان کردن موردی از فهرست «چه کسی اطلاعات مرا دید»"),
    "request.assign": _l("ارجاع درخواست به کارشناس"),
    "inquiry.retry": _l("استعلام دوباره از دستگاه"),
    "inquiry.add": _l("افزودن استعلام به درخواست"),
    "complaint.reply": _l("پاسخ به شکایت"),
    "complaint.close": _l("بستن شکایت"),
    "complaint.flag": _l("علامت‌گذاری متن شکایت"),
    "complaint.escalate": _l("ارجاع شکایت بی‌پاسخ به استان"),
    "rating.flag": _l("علامت‌گذاری نظر شهروند"),
}
OBJECT_TYPES = {
    "outsourcing": _l("واگذاری"),
    "setting": _l("تنظیمات"),
    "agency": _l("دستگاه"),
    "office": _l("دفتر پیشخوان"),
    "user": _l("حساب کاربری"),
    "job": _l("کار پس‌زمینه"),
    "request": _l("درخواست"),
    "data_access": _l("استفاده از اطلاعات شهروند"),
    "complaint": _l("شکایت"),
}


class AppendOnly(Exception):
    pass


@event.listens_for(AuditEvent, "before_update")
@event.listens_for(AuditEvent, "before_delete")
def _refuse_change(_mapper, _connection, target):
    """The ORM refuses to change or remove a stored event, so a slip in some future view cannot do it quietly."""
    raise AppendOnly(f"audit events are append-only (event #{target.id})")


def _plain(value):
    """What the JSON column will give back when read, so the hash is computed over exactly that."""
    return json.loads(json.dumps(value if value is not None else {}, ensure_ascii=False, default=str))


def _canonical(event):
    content = {
        "created_at": event.created_at.isoformat(timespec="microseconds"),
        "actor_id": event.actor_id,
        "action": event.action,
        "object_type": event.object_type,
        "object_ref": event.object_ref,
        "before": event.before,
        "after": event.after,
        "prev_hash": event.prev_hash,
    }
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def compute_hash(event: AuditEvent) -> str:
    return hashlib.sha256(_canonical(event)).hexdigest()


def lock_chain(key: str) -> str:
    """Take the head of the chain kept under settings `key` for this transaction and return its value (the newest
    row's hash, "" at first). The audit log's chain is HEAD_KEY; the data-access log (app/people/data_access.py)
    keeps its own chain under its own key with this same mechanism.

    Appends are serialised on one fixed row rather than on "the last event": on PostgreSQL, SELECT … FOR UPDATE
    of the last event would, after waiting, still hand back that same old row while a new one had been
    committed meanwhile, forking the chain; a fixed row is re-read at its newest version once the lock is ours.
    On SQLite the INSERT … ON CONFLICT DO NOTHING is a write, so it takes the database's single write lock
    (waiting through busy_timeout) before the head is read, which serialises appends the same way. The lock is
    held until the caller commits, together with the change being audited.
    """
    db.session.execute(upsert(Setting, ["key"], {"key": key, "value": ""}))
    return db.session.execute(select(Setting.value).where(Setting.key == key).with_for_update()).scalar_one()


def advance_chain(key: str, new_hash: str) -> None:
    """Point the chain kept under `key` at its newest row (after lock_chain, in the same transaction)."""
    db.session.execute(
        update(Setting).where(Setting.key == key).values(value=new_hash).execution_options(synchronize_session=False)
    )


def chain_head(key: str) -> str:
    return db.session.execute(select(Setting.value).where(Setting.key == key)).scalar_one_or_none() or ""


def _lock_head():
    return lock_chain(HEAD_KEY)


def lock() -> None:
    """Serialise this transaction with every other audited change, so that checks made after it see the newest
    data; rules call it before checking what they are about to change. Held until commit or rollback."""
    _lock_head()


def record(
    actor: User | None,
    action: str,
    object_type: str,
    object_ref: str | None,
    before: Mapping[str, object] | None = None,
    after: Mapping[str, object] | None = None,
) -> AuditEvent:
    """Append one event in the caller's transaction; the caller commits it with the change it describes."""
    prev_hash = _lock_head()
    event = AuditEvent(
        created_at=utcnow(),
        actor_id=actor.id if actor is not None else None,
        action=action,
        object_type=object_type,
        object_ref=str(object_ref or "")[:64],
        before=_plain(before),
        after=_plain(after),
        prev_hash=prev_hash,
    )
    event.hash = compute_hash(event)
    db.session.add(event)
    advance_chain(HEAD_KEY, event.hash)
    return event


@dataclass
class Verification:
    ok: bool
    count: int
    broken_id: int | None = None
    problem: str = ""
    chain: str = "audit"  # which chain, and what one row and several are called in the summary
    noun: str = "event"
    nouns: str = "events"

    def summary(self) -> str:
        if self.ok:
            return f"{self.chain} chain intact: {self.count} {self.nouns}"
        where = f"{self.noun} #{self.broken_id}" if self.broken_id is not None else "the chain head"
        return f"{self.chain} chain broken at {where}: {self.problem} ({self.count} {self.nouns} verified before it)"


def verify_chain(
    model: Any, digest: Callable[[Any], str], head_key: str, chain: str, noun: str, nouns: str
) -> Verification:
    """Walk a hash chain (the audit log's, or another kept the same way) oldest first; the first row whose link or
    content does not hold is reported, and rows cut off the end are found by the head."""
    previous, count = "", 0
    rows = db.session.execute(select(model).order_by(model.id).execution_options(yield_per=500)).scalars()
    for row in rows:
        if row.prev_hash != previous:
            return Verification(
                False,
                count,
                row.id,
                f"its prev_hash is not the hash of the {noun} before it (an {noun} was removed or edited)",
                chain,
                noun,
                nouns,
            )
        if digest(row) != row.hash:
            return Verification(
                False, count, row.id, "its hash does not match its content (the row was edited)", chain, noun, nouns
            )
        previous, count = row.hash, count + 1
    if chain_head(head_key) != previous:
        return Verification(
            False,
            count,
            None,
            f"the newest {noun} is not the one the head points at ({nouns} were removed from the end)",
            chain,
            noun,
            nouns,
        )
    return Verification(True, count, chain=chain, noun=noun, nouns=nouns)


def verify() -> Verification:
    """The audit log's chain (`flask audit verify`)."""
    return verify_chain(AuditEvent, compute_hash, HEAD_KEY, "audit", "event", "events")


def events(
    admin: User | None,
    actor: User | None = None,
    action: str | None = None,
    object_type: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Select:
    """The log the administrator may read (permissions.audit_events_visible_to), newest first, filtered;
    `since`/`until` are naive UTC (until exclusive)."""
    query = audit_events_visible_to(admin).options(joinedload(AuditEvent.actor)).order_by(AuditEvent.id.desc())
    if actor is not None:
        query = query.where(AuditEvent.actor_id == actor.id)
    if action:
        query = query.where(AuditEvent.action == action)
    if object_type:
        query = query.where(AuditEvent.object_type == object_type)
    if since is not None:
        query = query.where(AuditEvent.created_at >= since)
    if until is not None:
        query = query.where(AuditEvent.created_at < until)
    return query
