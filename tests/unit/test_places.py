"""Places: the one distance function and the visitor's place."""

import pytest

from app.catalogue import places


def test_one_degree_along_a_meridian_is_about_111_km():
    assert places.distance_km(35.0, 51.0, 36.0, 51.0) == pytest.approx(111.19, abs=0.01)


def test_the_far_side_of_the_earth_is_half_its_circumference():
    assert places.distance_km(0.0, 0.0, 0.0, 180.0) == pytest.approx(20015.09, abs=0.01)
    assert places.distance_km(35.7, 51.4, 35.7, 51.4) == 0


def test_nearest_county_of_a_point_is_the_county_whose_seat_is_closest(ctx):
    # The reference counties (migration 0002): central Tehran and the shrine in Mashhad.
    assert places.nearest_county(35.70, 51.40).code == "2301"
    assert places.nearest_county(36.29, 59.61).code == "0916"


def test_provinces_and_counties_are_in_persian_alphabetical_order(ctx):
    assert [p.name for p in places.provinces()][:4] == ["آذربایجان شرقی", "آذربایجان غربی", "اردبیل", "اصفهان"]
    assert [c.name for c in places.counties_of(places.province_by_code("23"))][:3] == ["اسلامشهر", "بهارستان", "پاکدشت"]


def test_the_place_cookie_keeps_only_a_county_of_its_province(ctx):
    assert places.place_from_cookie("23:2301").cookie == "23:2301"
    assert places.place_from_cookie("23:0916").cookie == "23"  # Mashhad is not in Tehran province
    assert places.place_from_cookie("<script>").province is None
