"""The day ledger: Tehran days, the figures per clerk and office, closing, month and CSV (fees: test_fees.py)."""

from datetime import date, datetime, timedelta

import pytest

from app.counter import fees, ledger
from app.extensions import db
from app.models import DayClose, Payment, Request, Role
from app.permissions import service_fileable_at, services_fileable_at
from app.requests.filing import Filing, file_request
from tests import factories as f

FORM = [{"name": "plate", "type": "text", "label": "پلاک", "required": True}]


@pytest.fixture
def desk(ctx):
    service = f.service(form=FORM, fee_rial=250_000)
    f.outsourcing(service, fee=60_000)
    office = f.office()
    clerk = f.staff(Role.CLERK, office=office)
    clerk.full_name = "الف"
    other = f.staff(Role.CLERK, office=office)
    other.full_name = "ب"
    manager = f.staff(Role.OFFICE_MANAGER, office=office)
    db.session.commit()
    return {"service": service, "office": office, "clerk": clerk, "other": other, "manager": manager}


def counter_file(desk, clerk=None, method="cash", reference="", applicant=None):
    clerk = clerk or desk["clerk"]
    taken = fees.fees_for(desk["service"], desk["office"])
    return file_request(
        Filing(
            service=desk["service"],
            applicant=applicant or f.citizen(),
            answers={"plate": "x"},
            channel="counter",
            actor=clerk,
            office=desk["office"],
            consent_method="paper",
            consent_reference="1",
            payments=fees.payments_for(taken, method, reference, desk["office"], clerk),
        )
    )


# --- what an office may file ---------------------------------------------------------------------------------


def test_the_listing_query_agrees_with_the_single_service_rule(ctx):
    tehran, tabriz = f.office("23"), f.office("03")
    cases = {
        "approved": f.service(),
        "pending": f.service(),
        "rejected": f.service(),
        "revoked": f.service(),
        "tehran_only": f.service(),
        "tabriz_only": f.service(),
        "none": f.service(),
    }
    for status in ("approved", "pending", "rejected", "revoked"):
        f.outsourcing(cases[status], status=status)
    f.outsourcing(cases["tehran_only"], provinces=("23",))
    f.outsourcing(cases["tabriz_only"], provinces=("03",))
    for office in (tehran, tabriz):
        listed = set(db.session.execute(services_fileable_at(office)).scalars())
        assert listed == {s for s in cases.values() if service_fileable_at(s, office)}
    assert {s.id for s in db.session.execute(services_fileable_at(tehran)).scalars()} == {
        cases["approved"].id,
        cases["tehran_only"].id,
    }
    tehran.status = "suspended"
    assert db.session.execute(services_fileable_at(tehran)).scalars().all() == []


# --- Tehran days ---------------------------------------------------------------------------------------------


def test_a_counter_day_is_a_tehran_calendar_day():
    start, end = ledger.day_bounds(date(2026, 3, 21))  # 1 Farvardin 1405
    assert start == datetime(2026, 3, 20, 20, 30) and end == datetime(2026, 3, 21, 20, 30)
    assert ledger.day_of(datetime(2026, 3, 20, 20, 29)) == date(2026, 3, 20)
    assert ledger.day_of(datetime(2026, 3, 20, 20, 30)) == date(2026, 3, 21)
    assert ledger.day_param(date(2026, 3, 21)) == "1405-01-01"
    assert ledger.parse_day("۱۴۰۵/۰۱/۰۱") == date(2026, 3, 21)


def test_jalali_months_have_their_own_lengths():
    first, last = ledger.parse_month("1405-01")
    assert (first, last) == (date(2026, 3, 21), date(2026, 4, 20))
    first, last = ledger.parse_month("1403-12")  # 1403 is a leap year: Esfand has 30 days
    assert (last - first).days + 1 == 30
    for bad in ("1405-13", "1405", "x-y"):
        with pytest.raises(ValueError):
            ledger.parse_month(bad)


def test_a_month_typed_with_a_superscript_digit_gets_the_persian_message(ctx):
    # "²" passes str.isdigit() but not int(): the page once showed Python's English "invalid literal" text.
    with pytest.raises(ValueError, match="ماه را به شکل"):
        ledger.parse_month("1405-0²")
    assert ledger.parse_month("۱۴۰۵/۰۱") == (date(2026, 3, 21), date(2026, 4, 20))


# --- the day ledger ----------------------------------------------------------------------------------------


def test_day_ledger_per_clerk_and_office_by_kind_and_method(desk):
    counter_file(desk)
    counter_file(desk, method="card", reference="123456")
    counter_file(desk, clerk=desk["other"])
    book = ledger.day_ledger(desk["office"], ledger.tehran_today())
    lines = {line.name: line.figures for line in book.clerks}
    assert lines["الف"].requests == 2 and lines["ب"].requests == 1
    assert lines["الف"].amount("government_fee", "cash") == 250_000
    assert lines["الف"].amount("government_fee", "card") == 250_000
    assert lines["الف"].amount("counter_fee") == 120_000
    assert book.totals.requests == 3 and book.totals.total == 930_000
    assert book.expected_cash == 620_000 and not book.is_closed
    yesterday = ledger.day_ledger(desk["office"], ledger.tehran_today() - timedelta(days=1))
    assert yesterday.totals.requests == 0 and yesterday.clerks == []


def test_online_requests_and_other_offices_are_not_in_the_ledger(desk):
    counter_file(desk)
    f.filed(desk["service"], f.citizen(), {"plate": "x"})
    elsewhere = dict(desk, office=f.office())
    elsewhere["clerk"] = f.staff(Role.CLERK, office=elsewhere["office"])
    counter_file(elsewhere)
    assert ledger.day_ledger(desk["office"], ledger.tehran_today()).totals.requests == 1


# --- closing -----------------------------------------------------------------------------------------------


def test_closing_records_the_count_and_a_difference_needs_a_note(desk):
    counter_file(desk)
    today = ledger.tehran_today()
    with pytest.raises(ledger.LedgerError) as error:
        ledger.close_day(desk["office"], today, 300_000, "", desk["manager"])
    assert error.value.field == "note"
    close = ledger.close_day(desk["office"], today, 300_000, "ده هزار ریال کم است", desk["manager"])
    assert (close.expected_cash_rial, close.counted_cash_rial, close.difference_rial) == (310_000, 300_000, -10_000)
    assert ledger.day_ledger(desk["office"], today).is_closed


def test_a_balanced_day_closes_without_a_note(desk):
    counter_file(desk, method="card", reference="123456")
    assert ledger.close_day(desk["office"], ledger.tehran_today(), 0, "", desk["manager"]).difference_rial == 0


def test_a_closed_day_cannot_change(desk):
    counter_file(desk)
    today = ledger.tehran_today()
    close = ledger.close_day(desk["office"], today, 310_000, "", desk["manager"])
    with pytest.raises(ledger.LedgerError):
        ledger.close_day(desk["office"], today, 999, "again", desk["manager"])
    close.counted_cash_rial = 1
    with pytest.raises(ledger.LedgerError):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(DayClose, close.id))
    with pytest.raises(ledger.LedgerError):
        db.session.flush()
    db.session.rollback()
    assert db.session.execute(db.select(DayClose.counted_cash_rial)).scalar_one() == 310_000


def test_no_counter_filing_lands_on_a_closed_day(desk):
    counter_file(desk)
    ledger.close_day(desk["office"], ledger.tehran_today(), 310_000, "", desk["manager"])
    with pytest.raises(ledger.DayClosed):
        counter_file(desk)
    db.session.rollback()
    assert db.session.query(Request).count() == 1 and db.session.query(Payment).count() == 2
    # the online channel and other offices go on as usual
    f.filed(desk["service"], f.citizen(), {"plate": "x"})
    other = dict(desk, office=f.office())
    other["clerk"] = f.staff(Role.CLERK, office=other["office"])
    counter_file(other)
    assert db.session.query(Request).count() == 3


def test_the_closed_figures_stay_even_if_the_live_ones_move(desk):
    counter_file(desk)
    today = ledger.tehran_today()
    ledger.close_day(desk["office"], today, 310_000, "", desk["manager"])
    # A filing that raced the close (simulated by changing a payment behind the ORM's back).
    db.session.execute(db.update(Payment).where(Payment.kind == "counter_fee").values(amount_rial=99_000))
    db.session.commit()
    book = ledger.day_ledger(desk["office"], today)
    assert book.totals.total == 310_000 and book.expected_cash == 310_000
    assert book.late is not None and book.late.amount("counter_fee") == 39_000


def test_a_future_day_cannot_be_closed(desk):
    with pytest.raises(ledger.LedgerError):
        ledger.close_day(desk["office"], ledger.tehran_today() + timedelta(days=1), 0, "", desk["manager"])


# --- month and CSV -----------------------------------------------------------------------------------------


def test_month_ledger_has_one_line_per_day_up_to_today(desk):
    counter_file(desk)
    today = ledger.tehran_today()
    first, last = ledger.parse_month(ledger.month_param(today))
    days = ledger.month_ledger(desk["office"], first, last)
    assert days[0].day == first and days[-1].day == today and len(days) == (today - first).days + 1
    assert days[-1].figures.total == 310_000
    text = ledger.month_csv(desk["office"], first, last)
    assert text.startswith("\ufeff") and text.count("\n") == len(days) + 1


def test_day_csv_lists_each_request_and_a_total(desk):
    filed = counter_file(desk, method="card", reference="654321")
    text = ledger.day_csv(desk["office"], ledger.tehran_today())
    lines = text.strip().splitlines()
    assert filed.tracking_code in lines[1] and "654321" in lines[1] and lines[1].endswith(",310000")
    assert lines[-1].endswith(",250000,60000,,,310000")


def test_csv_cells_that_look_like_formulas_are_quoted(ctx):
    assert ledger._cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert ledger._cell("-1") == "'-1" and ledger._cell(-10_000) == -10_000 and ledger._cell("عادی") == "عادی"
