"""Counter fees: the government fee of the current card, the one outsourcing in force (also when two approved
ones cover the same office), the counter fee the ledger, the card page and the counter take, the cap, payments."""

import pytest

from app.catalogue.queries import counter_offer, publish_revision
from app.counter import fees
from app.extensions import db
from app.models import Outsourcing, Role, ServiceRevision
from tests import factories as f

TEHRAN, TABRIZ = "23", "03"


@pytest.fixture
def two(ctx):
    """A service with a Tehran office and a Tabriz office; each test adds the outsourcings it needs."""
    service = f.service(fee_rial=250_000)
    tehran, tabriz = f.office(TEHRAN), f.office(TABRIZ)
    db.session.commit()
    return {"service": service, "tehran": tehran, "tabriz": tabriz}


def _counter_fee_everywhere(world, office):
    """The counter fee as each of its readers sees it: fees_for, counter_fees and the card page."""
    service = world["service"]
    offer = counter_offer(service, office.province)
    return (
        fees.fees_for(service, office).counter,
        fees.counter_fees([service.id], office)[service.id],
        offer.counter_fee_rial if offer else 0,
    )


# --- the outsourcing in force ------------------------------------------------------------------------------


def test_fees_are_the_card_fee_and_the_counter_fee_in_force(two):
    f.outsourcing(two["service"], fee=60_000)
    taken = fees.fees_for(two["service"], two["tehran"])
    assert (taken.government, taken.counter, taken.total, taken.token) == (250_000, 60_000, 310_000, "250000:60000")


def test_a_later_province_outsourcing_wins_over_an_earlier_nationwide_one_where_both_cover(two):
    # The overlap check in outsourcing.py refuses this pair; rows that slip past it still get one answer.
    nationwide = f.outsourcing(two["service"], fee=40_000)
    tehran_only = f.outsourcing(two["service"], provinces=(TEHRAN,), fee=70_000)
    assert fees.in_force(two["service"], two["tehran"].province_id) == tehran_only
    assert fees.in_force(two["service"], two["tabriz"].province_id) == nationwide
    assert _counter_fee_everywhere(two, two["tehran"]) == (70_000, 70_000, 70_000)
    assert _counter_fee_everywhere(two, two["tabriz"]) == (40_000, 40_000, 40_000)


def test_a_later_nationwide_outsourcing_wins_over_an_earlier_province_one_where_both_cover(two):
    f.outsourcing(two["service"], provinces=(TEHRAN,), fee=70_000)
    nationwide = f.outsourcing(two["service"], fee=40_000)
    assert fees.in_force(two["service"], two["tehran"].province_id) == nationwide
    assert _counter_fee_everywhere(two, two["tehran"]) == (40_000, 40_000, 40_000)
    assert _counter_fee_everywhere(two, two["tabriz"]) == (40_000, 40_000, 40_000)


def test_changing_the_older_outsourcings_fee_does_not_change_the_winner(two):
    older = f.outsourcing(two["service"], fee=40_000)
    f.outsourcing(two["service"], provinces=(TEHRAN,), fee=70_000)
    older.counter_fee_rial = 45_000
    db.session.commit()
    assert _counter_fee_everywhere(two, two["tehran"]) == (70_000, 70_000, 70_000)
    assert _counter_fee_everywhere(two, two["tabriz"]) == (45_000, 45_000, 45_000)


@pytest.mark.parametrize("status", ["pending", "rejected", "revoked"])
def test_only_an_approved_outsourcing_is_in_force(two, status):
    f.outsourcing(two["service"], fee=40_000)
    f.outsourcing(two["service"], status=status, fee=90_000)
    assert _counter_fee_everywhere(two, two["tehran"]) == (40_000, 40_000, 40_000)


def test_with_no_outsourcing_in_force_the_counter_fee_is_nothing(two):
    f.outsourcing(two["service"], provinces=(TABRIZ,), fee=40_000)
    assert fees.in_force(two["service"], two["tehran"].province_id) is None
    assert _counter_fee_everywhere(two, two["tehran"]) == (0, 0, 0)
    assert fees.fees_for(two["service"], two["tehran"]).total == 250_000


def test_the_card_page_without_a_place_shows_the_outsourcing_in_force_anywhere(two):
    f.outsourcing(two["service"], provinces=(TABRIZ,), fee=40_000)
    f.outsourcing(two["service"], provinces=(TEHRAN,), fee=70_000)
    offer = counter_offer(two["service"], None)
    assert offer is not None and offer.counter_fee_rial == 70_000  # the latest


def test_counter_fees_for_a_list_in_one_go(two):
    other, free = f.service(), f.service()
    f.outsourcing(two["service"], fee=60_000)
    f.outsourcing(other, provinces=(TEHRAN,), fee=10_000)
    ids = [two["service"].id, other.id, free.id]
    assert fees.counter_fees(ids, two["tehran"]) == {two["service"].id: 60_000, other.id: 10_000, free.id: 0}
    assert fees.counter_fees(ids, two["tabriz"]) == {two["service"].id: 60_000, other.id: 0, free.id: 0}
    assert fees.counter_fees([], two["tehran"]) == {}


def test_the_government_fee_is_the_current_cards(two):
    service = two["service"]
    revision = ServiceRevision(
        service=service,
        number=2,
        status="approved",
        title=service.title,
        duration_days=7,
        fee_rial=300_000,
        form_definition=[],
        **f.ALL_ELECTRONIC,
    )
    db.session.add(revision)
    db.session.flush()
    publish_revision(service, revision, [], [], [])
    db.session.commit()
    assert fees.government_fee(service) == 300_000
    assert fees.fees_for(service, two["tehran"]) == fees.Fees(300_000, 0)


# --- payments ----------------------------------------------------------------------------------------------


def test_a_free_service_files_without_payment_rows(ctx):
    office = f.office()
    clerk = f.staff(Role.CLERK, office=office)
    assert fees.payments_for(fees.Fees(0, 0), "cash", "", office, clerk) == []
    only_counter = fees.payments_for(fees.Fees(0, 5), "card", "123456", office, clerk)
    assert [(p.kind, p.amount_rial, p.reference) for p in only_counter] == [("counter_fee", 5, "123456")]
    cash = fees.payments_for(fees.Fees(7, 0), "cash", "123456", office, clerk)
    assert [(p.kind, p.amount_rial, p.method, p.reference) for p in cash] == [("government_fee", 7, "cash", "")]


def test_a_counter_takes_no_online_payment(ctx):
    office = f.office()
    with pytest.raises(fees.FeeError) as error:
        fees.payments_for(fees.Fees(7, 0), "online", "", office, f.staff(Role.CLERK, office=office))
    assert error.value.field == "method"


@pytest.mark.parametrize("value,expected", [("۱۲۳۴۵۶", "123456"), ("1234-5678 9012", "123456789012")])
def test_card_reference_accepts_any_digits(value, expected):
    assert fees.clean_card_reference(value) == expected


@pytest.mark.parametrize("value", ["", "12345", "1" * 21, "12a456"])
def test_card_reference_refuses_what_is_not_a_terminal_reference(value):
    with pytest.raises(fees.FeeError) as error:
        fees.clean_card_reference(value)
    assert error.value.field == "reference"


# --- the cap -----------------------------------------------------------------------------------------------


def test_a_counter_fee_may_equal_the_cap_but_not_exceed_it(ctx):
    assert fees.fee_cap() == 500_000
    assert fees.check_counter_fee(500_000) == 500_000
    with pytest.raises(fees.FeeError) as error:
        fees.check_counter_fee(500_001)
    assert error.value.field == "counter_fee_rial" and "۵۰۰٬۰۰۰" in error.value.message


@pytest.mark.parametrize("amount", [-1, True, "1000", 1.5, 10**12 + 1])
def test_an_amount_is_a_whole_non_negative_number_of_rials(ctx, amount):
    with pytest.raises(fees.FeeError) as error:
        fees.check_amount(amount, "amount")
    assert error.value.field == "amount"


def test_the_cap_the_national_admin_sets_holds_for_new_fees(ctx):
    admin = f.staff(Role.NATIONAL_ADMIN)
    assert fees.set_fee_cap(admin, 80_000) == 80_000
    db.session.commit()
    assert fees.fee_cap() == 80_000
    assert fees.check_counter_fee(80_000) == 80_000
    with pytest.raises(fees.FeeError):
        fees.check_counter_fee(80_001)
    # fees already approved above a lowered cap stay in force until changed
    service, office = f.service(), f.office()
    f.outsourcing(service, fee=90_000)
    assert fees.fees_for(service, office).counter == 90_000
    assert db.session.query(Outsourcing).count() == 1
