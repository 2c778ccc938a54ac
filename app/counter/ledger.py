"""Counter money taken: the day ledger per office and clerk, closing a day, CSV exports (the fees are fees.py).

A counter day is a Tehran calendar day. A request and its payments belong to the day of the request's
submitted_at, so a request and its fees can never fall on two different days.

Closing is final. The DayClose row keeps the figures as they were at closing and the ORM refuses to change or
delete it; after an office's day is closed no counter request can be filed at that office on that day (the
clerk sees why and files again the next day). The refusal sits in a flush hook, below every channel, so no
code path can add a counter filing to a closed day; a filing that raced the close is shown as such.
"""

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Self

import jdatetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from sqlalchemy import event, inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, selectinload

from app.core.errors import RuleError
from app.core.persian import (
    TEHRAN,
    fold_digits,
    jalali_date,
    jalali_datetime,
    parse_jalali_date,
    parse_whole_number,
    tehran_day_end,
    tehran_day_start,
)
from app.extensions import db
from app.models import DayClose, Office, Payment, Request, User
from app.permissions import requests_visible_to


class LedgerError(RuleError):
    """A day close the ledger refuses."""


class DayClosed(LedgerError):
    """A counter filing on a day its office has already closed."""


CLOSED_MESSAGE = _l("دفتر روزانهٔ امروز این دفتر بسته شده است؛ ثبت درخواست تازه از فردا ممکن است.")


# --- days ----------------------------------------------------------------------------------------------


def tehran_today() -> date:
    return datetime.now(TEHRAN).date()


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """[start, end) of a Tehran day in naive UTC, the way timestamps are stored."""
    return tehran_day_start(day), tehran_day_end(day)


def day_of(moment: datetime) -> date:
    """The Tehran day of a stored (naive UTC) timestamp."""
    return moment.replace(tzinfo=UTC).astimezone(TEHRAN).date()


def day_param(day: date) -> str:
    """A day in URLs: its Jalali date with ASCII digits, 1405-09-04."""
    j = jdatetime.date.fromgregorian(date=day)
    return f"{j.year:04d}-{j.month:02d}-{j.day:02d}"


def parse_day(text: str | None) -> date:
    """'1405-09-04' (any digits, / or -) to the Gregorian date; ValueError for anything else."""
    return parse_jalali_date(text)


def month_param(day: date) -> str:
    j = jdatetime.date.fromgregorian(date=day)
    return f"{j.year:04d}-{j.month:02d}"


def parse_month(text: str | None) -> tuple[date, date]:
    """'1405-09' to the Gregorian dates of the Jalali month's first and last day; ValueError otherwise."""
    parts = fold_digits(text or "").strip().replace("/", "-").split("-")
    numbers = [n for n in (parse_whole_number(part, max_digits=4) for part in parts) if n is not None]
    if len(parts) != 2 or len(numbers) != 2:
        raise ValueError(_("ماه را به شکل ۱۴۰۵-۰۹ وارد کنید."))
    year, month = numbers
    if not (1 <= month <= 12 and 1300 <= year <= 1500):
        raise ValueError(_("این ماه در تقویم وجود ندارد."))
    first = jdatetime.date(year, month, 1)
    following = jdatetime.date(year + (month == 12), month % 12 + 1, 1)
    return first.togregorian(), following.togregorian() - timedelta(days=1)


# --- figures -------------------------------------------------------------------------------------------


@dataclass
class Figures:
    """Requests filed and money taken, by fee kind and payment method."""

    requests: int = 0
    amounts: dict[str, int] = field(default_factory=dict)  # "government_fee:cash" -> rial

    def add(self, kind: str, method: str, amount: int) -> None:
        key = f"{kind}:{method}"
        self.amounts[key] = self.amounts.get(key, 0) + amount

    def amount(self, kind: str | None = None, method: str | None = None) -> int:
        return sum(
            value
            for key, value in self.amounts.items()
            if (kind is None or key.split(":")[0] == kind) and (method is None or key.split(":")[1] == method)
        )

    @property
    def total(self) -> int:
        return self.amount()

    def to_dict(self) -> dict[str, Any]:
        return {"requests": self.requests, "amounts": dict(self.amounts)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        return cls(requests=int(data.get("requests", 0)), amounts=dict(data.get("amounts", {})))


@dataclass
class ClerkLine:
    clerk_id: int | None
    name: str
    figures: Figures


@dataclass
class DayLedger:
    office: Office
    day: date
    clerks: list[ClerkLine]  # ClerkLine, by name: live figures, or the closed snapshot for a closed day
    totals: Figures  # the office's figures shown (snapshot for a closed day)
    close: DayClose | None = None
    late: Figures | None = None  # filed after the close (only when a filing raced the close)

    @property
    def expected_cash(self) -> int:
        return self.totals.amount(method="cash")

    @property
    def is_closed(self) -> bool:
        return self.close is not None


def _rows(office, start, end):
    """(request id, submitted_at, clerk id, kind, method, amount) of the office's counter filings in [start, end)."""
    query = (
        select(Request.id, Request.submitted_at, Request.filed_by_id, Payment.kind, Payment.method, Payment.amount_rial)
        .outerjoin(Payment, Payment.request_id == Request.id)
        .where(
            Request.office_id == office.id,
            Request.channel == "counter",
            Request.submitted_at >= start,
            Request.submitted_at < end,
        )
    )
    return db.session.execute(query).all()


def _aggregate(rows):
    """{clerk_id: Figures}, counting each request once however many payments it has."""
    by_clerk, seen = {}, set()
    for request_id, _submitted, clerk_id, kind, method, amount in rows:
        figures = by_clerk.setdefault(clerk_id, Figures())
        if request_id not in seen:
            seen.add(request_id)
            figures.requests += 1
        if kind is not None:
            figures.add(kind, method, amount)
    return by_clerk


def _sum(figures_list):
    total = Figures()
    for figures in figures_list:
        total.requests += figures.requests
        for key, value in figures.amounts.items():
            total.amounts[key] = total.amounts.get(key, 0) + value
    return total


def closed_day(office: Office, day: date) -> DayClose | None:
    return db.session.execute(select(DayClose).filter_by(office_id=office.id, day=day)).scalar_one_or_none()


def is_closed(office: Office, day: date | None = None) -> bool:
    return closed_day(office, day or tehran_today()) is not None


def _live(office, day):
    by_clerk = _aggregate(_rows(office, *day_bounds(day)))
    names = {}
    if by_clerk:
        ids = [i for i in by_clerk if i is not None]
        names = dict(db.session.execute(select(User.id, User.full_name).where(User.id.in_(ids))).all())
    lines = [ClerkLine(clerk_id, names.get(clerk_id) or _("نامشخص"), figures) for clerk_id, figures in by_clerk.items()]
    lines.sort(key=lambda line: line.name)
    return lines, _sum(line.figures for line in lines)


def day_ledger(office: Office, day: date) -> DayLedger:
    """The office's day: per clerk and in total. A closed day shows the figures frozen at its close."""
    lines, totals = _live(office, day)
    close = closed_day(office, day)
    if close is None:
        return DayLedger(office, day, lines, totals)
    snapshot = close.totals or {}
    frozen_lines = [ClerkLine(c.get("id"), c.get("name", ""), Figures.from_dict(c)) for c in snapshot.get("clerks", [])]
    frozen = Figures.from_dict(snapshot.get("office", {}))
    late = None
    if totals != frozen:
        late = Figures(
            requests=totals.requests - frozen.requests,
            amounts={
                k: totals.amounts.get(k, 0) - frozen.amounts.get(k, 0)
                for k in set(totals.amounts) | set(frozen.amounts)
            },
        )
    return DayLedger(office, day, frozen_lines, frozen, close, late)


def check_close(
    office: Office, day: date, counted_cash: int | None, note: str | None
) -> tuple[list[ClerkLine], Figures, str]:
    """Whether the day can be closed with this count and note, as close_day() would find; nothing is written.

    The page asks once more before closing (closing is final) and shows the problems before it asks."""
    if day > tehran_today():
        raise LedgerError(_("روزی را که هنوز نرسیده است نمی‌توان بست."))
    if counted_cash is None or counted_cash < 0:
        raise LedgerError(_("مبلغ نقد شمرده‌شده را وارد کنید."), field="counted_cash")
    if closed_day(office, day) is not None:
        raise LedgerError(_("این روز قبلاً بسته شده است و تغییر نمی‌کند."))
    lines, totals = _live(office, day)
    note = (note or "").strip()
    if counted_cash != totals.amount(method="cash") and not note:
        raise LedgerError(_("نقد شمرده‌شده با دفتر فرق دارد؛ علت اختلاف را در یادداشت بنویسید."), field="note")
    return lines, totals, note


def close_day(office: Office, day: date, counted_cash: int | None, note: str | None, manager: User) -> DayClose:
    """Close the office's day with the counted cash; a difference needs a note. Final: raises if already closed."""
    lines, totals, note = check_close(office, day, counted_cash, note)
    assert counted_cash is not None  # check_close refuses a missing count
    expected = totals.amount(method="cash")
    difference = counted_cash - expected
    snapshot = {
        "office": totals.to_dict(),
        "clerks": [{"id": line.clerk_id, "name": line.name, **line.figures.to_dict()} for line in lines],
    }
    close = DayClose(
        office_id=office.id,
        day=day,
        expected_cash_rial=expected,
        counted_cash_rial=counted_cash,
        difference_rial=difference,
        note=note,
        totals=snapshot,
        closed_by_id=manager.id,
    )
    db.session.add(close)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()  # another manager closed the same day a moment ago
        raise LedgerError(_("این روز قبلاً بسته شده است و تغییر نمی‌کند.")) from None
    return close


@event.listens_for(DayClose, "before_update")
@event.listens_for(DayClose, "before_delete")
def _closed_is_final(_mapper, _connection, target):
    raise LedgerError(_("روز بسته‌شده تغییر نمی‌کند."))


@event.listens_for(Session, "before_flush")
def _no_filing_on_a_closed_day(session, _context, _instances):
    """Every channel's counter filing passes here: one closed (office, day) refuses it, whoever calls."""
    for obj in list(session.new) + list(session.dirty):
        if not isinstance(obj, Request) or obj.channel != "counter" or obj.submitted_at is None:
            continue
        # A request flushed early (as a draft) is checked when its submission time is set.
        if obj not in session.new and not inspect(obj).attrs.submitted_at.history.has_changes():
            continue
        office_id = obj.office_id if obj.office_id is not None else getattr(obj.office, "id", None)
        if office_id is None:
            continue
        with session.no_autoflush:
            closed = session.execute(
                select(DayClose.id).filter_by(office_id=office_id, day=day_of(obj.submitted_at))
            ).first()
        if closed is not None:
            raise DayClosed(str(CLOSED_MESSAGE))


# --- the office's requests -------------------------------------------------------------------------------


def counter_requests(
    user: User, day: date | None = None, tracking_code: str | None = None, page: int = 1, size: int = 50
) -> tuple[list[Request], bool]:
    """One page of the counter requests the user may see, newest first, on one Tehran day and with one tracking
    code when given (None: any; "" matches nothing); and whether there are more."""
    query = (
        requests_visible_to(user)
        .where(Request.channel == "counter")
        .options(
            joinedload(Request.service),
            joinedload(Request.applicant),
            joinedload(Request.filed_by),
            selectinload(Request.payments),
        )
    )
    if day is not None:
        start, end = day_bounds(day)
        query = query.where(Request.submitted_at >= start, Request.submitted_at < end)
    if tracking_code is not None:
        query = query.where(Request.tracking_code == tracking_code)
    rows = (
        db.session.execute(
            query.order_by(Request.submitted_at.desc(), Request.id.desc()).limit(size + 1).offset((page - 1) * size)
        )
        .unique()
        .scalars()
        .all()
    )
    return list(rows[:size]), len(rows) > size


# --- month and CSV -------------------------------------------------------------------------------------


@dataclass
class MonthDay:
    day: date
    figures: Figures
    close: DayClose | None


def month_ledger(office: Office, first: date, last: date) -> list[MonthDay]:
    """One line per day from first to last (not beyond today), with each day's close if it has one."""
    last = min(last, tehran_today())
    start, end = day_bounds(first)[0], day_bounds(last)[1]
    by_day: dict[date, Figures] = {}
    seen = set()
    for request_id, submitted, _clerk, kind, method, amount in _rows(office, start, end):
        figures = by_day.setdefault(day_of(submitted), Figures())
        if request_id not in seen:
            seen.add(request_id)
            figures.requests += 1
        if kind is not None:
            figures.add(kind, method, amount)
    closes = {
        c.day: c
        for c in db.session.execute(
            select(DayClose).where(DayClose.office_id == office.id, DayClose.day >= first, DayClose.day <= last)
        ).scalars()
    }
    days, day = [], first
    while day <= last:
        days.append(MonthDay(day, by_day.get(day, Figures()), closes.get(day)))
        day += timedelta(days=1)
    return days


def _cell(value):
    """Text that a spreadsheet would run as a formula is quoted; numbers stay numbers."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _csv(header, rows):
    out = io.StringIO()
    out.write("\ufeff")  # Excel reads UTF-8 (Persian) only with the byte-order mark
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return out.getvalue()


def _xlsx(title: str, header: list, rows: list) -> bytes:
    """The same table as the CSV, as a workbook whose text is text: a spreadsheet reads a 12-digit tracking code
    from a CSV as a number (3.64E+11); a text cell stays the code. Nothing is ever stored as a formula."""
    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    sheet.sheet_view.rightToLeft = True
    for values in [header, *rows]:
        sheet.append([str(v) if not isinstance(v, (int, float)) else v for v in values])
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # openpyxl would take "=…" as a formula
                cell.number_format = "@"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def day_csv(office: Office, day: date) -> str:
    """Every counter request of the day with its fees, and a total line."""
    return _csv(*day_table(office, day))


def day_xlsx(office: Office, day: date) -> bytes:
    """The day's CSV as a workbook: the tracking and service codes are text cells."""
    return _xlsx(day_param(day), *day_table(office, day))


def day_table(office: Office, day: date) -> tuple[list, list]:
    """The day ledger's header and rows: every counter request of the day with its fees, and a total line."""
    start, end = day_bounds(day)
    requests = (
        db.session.execute(
            select(Request)
            .options(joinedload(Request.service), joinedload(Request.filed_by), selectinload(Request.payments))
            .where(
                Request.office_id == office.id,
                Request.channel == "counter",
                Request.submitted_at >= start,
                Request.submitted_at < end,
            )
            .order_by(Request.submitted_at, Request.id)
        )
        .scalars()
        .all()
    )
    header = [
        _("زمان"),
        _("کد رهگیری"),
        _("کد خدمت"),
        _("خدمت"),
        _("متصدی"),
        _("تعرفهٔ دولتی (ریال)"),
        _("کارمزد پیشخوان (ریال)"),
        _("شیوهٔ پرداخت"),
        _("شمارهٔ مرجع"),
        _("جمع (ریال)"),
    ]
    rows, government, counter = [], 0, 0
    for found in requests:
        fees = {p.kind: p for p in found.payments}
        gov = fees["government_fee"].amount_rial if "government_fee" in fees else 0
        ctr = fees["counter_fee"].amount_rial if "counter_fee" in fees else 0
        first = next(iter(fees.values()), None)
        government, counter = government + gov, counter + ctr
        rows.append(
            [
                jalali_datetime(found.submitted_at, persian=False) if found.submitted_at else "",
                found.tracking_code,
                found.service.code,
                found.service.title,
                found.filed_by.full_name if found.filed_by else "",
                gov,
                ctr,
                method_label(first.method) if first else "",
                first.reference if first else "",
                gov + ctr,
            ]
        )
    rows.append(
        [_("جمع"), "", "", _("%(n)s درخواست", n=len(requests)), "", government, counter, "", "", government + counter]
    )
    return header, rows


def month_csv(office: Office, first: date, last: date) -> str:
    header = [
        _("تاریخ"),
        _("درخواست‌ها"),
        _("تعرفهٔ دولتی نقد"),
        _("تعرفهٔ دولتی کارت"),
        _("کارمزد نقد"),
        _("کارمزد کارت"),
        _("جمع نقد"),
        _("جمع کارت"),
        _("جمع کل"),
        _("بسته شده"),
        _("نقد مورد انتظار"),
        _("نقد شمرده‌شده"),
        _("اختلاف"),
        _("یادداشت"),
    ]
    rows = []
    for line in month_ledger(office, first, last):
        f, close = line.figures, line.close
        rows.append(
            [
                jalali_date(line.day, persian=False),
                f.requests,
                f.amount("government_fee", "cash"),
                f.amount("government_fee", "card"),
                f.amount("counter_fee", "cash"),
                f.amount("counter_fee", "card"),
                f.amount(method="cash"),
                f.amount(method="card"),
                f.total,
                _("بله") if close else _("خیر"),
                close.expected_cash_rial if close else "",
                close.counted_cash_rial if close else "",
                close.difference_rial if close else "",
                close.note if close else "",
            ]
        )
    return _csv(header, rows)


def method_label(method: str) -> str:
    """How a Payment.METHODS value reads on receipts and in the ledger."""
    return {"cash": _("نقد"), "card": _("کارت (پایانهٔ فروش)"), "online": _("پرداخت اینترنتی (درگاه بانکی)")}.get(
        method, method
    )


def kind_label(kind: str) -> str:
    return {"government_fee": _("تعرفهٔ دولتی"), "counter_fee": _("کارمزد پیشخوان")}.get(kind, kind)
