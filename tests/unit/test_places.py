"""Places: the one distance function and the visitor's place."""

import pytest

from app.catalogue import places


def test_one_degree_along_a_meridian_is_about_111_km():
    assert places.distance_km(35.0, 51.0, 36.0, 51.0) == pytest.approx(111.19, abs=0.01)


def test_the_far_side_of_the_earth_is_half_its_circumference():
    assert places.distance_km(0.0, 0.0, 0.0, 180.0) == pytest.approx(20015.09, abs=0.01)
    assert places.distance_km(35.7, 51.4, 35.7, 51.4) == 0


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("35.71", 90, 35.71),
        ("-35.71", 90, -35.71),
        ("51", 180, 51.0),
        ("۳۸.۰۹", 90, 38.09),  # Persian digits
        ("٣٨.٠٩", 90, 38.09),  # Arabic-Indic digits
        ("90", 90, 90.0),
        ("-180", 180, -180.0),
    ],
)
def test_a_coordinate_the_page_scripts_send_is_read_in_any_digit_script(text, limit, expected):
    assert places.parse_coordinate(text, limit) == expected


@pytest.mark.parametrize(
    "text",
    ["", None, " 35.7", "35.7 ", "35 .7", "+35.7", "3.5e1", "3_5", "nan", "inf", "-inf", "35.", ".5", "35,7", "abc"],
)
def test_anything_but_a_plain_decimal_number_is_no_coordinate(text):
    assert places.parse_coordinate(text, 90) is None


def test_a_coordinate_beyond_its_limit_is_no_coordinate():
    assert places.parse_coordinate("90.01", 90) is None
    assert places.parse_coordinate("-181", 180) is None
    assert places.parse_coordinate("999", 180) is None
    assert places.parse_coordinate("120", 180) == 120.0


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
