"""Places: provinces and counties, the visitor's place (its cookie), the distance between two points, a coordinate
read from a query string and the public "find a counter office" page, nearest first."""

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import func, select, true
from sqlalchemy.orm import joinedload

from app.core.pagination import PAGE_SIZE, Page, paginate
from app.core.persian import fold_digits, persian_sort_key
from app.extensions import db
from app.models import County, Office, Province

EARTH_RADIUS_KM = 6371.0
# About 150 km: offices inside this box around the visitor are ranked first; the box only widens when empty.
NEAR_BOX_DEGREES = 1.5


def distance_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle (haversine) distance between two points in degrees."""
    la1, lo1, la2, lo2 = map(math.radians, (lat1, lng1, lat2, lng2))
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


# A coordinate as the pages' scripts send it (toFixed): an optional minus, at most three whole digits, a decimal
# point and a few decimals. Nothing else: no spaces, exponent, underscore, "nan" or "inf" (all of which float() takes).
_COORDINATE = re.compile(r"-?[0-9]{1,3}(?:\.[0-9]{1,12})?")


def parse_coordinate(text: str | None, limit: float) -> float | None:
    """A latitude (limit 90) or longitude (limit 180) from a query string, in any digit script; None when absent,
    not a plain decimal number or outside ±limit. Never an error: the fields are filled by a script, not typed."""
    folded = fold_digits(text or "")
    if not _COORDINATE.fullmatch(folded):
        return None
    value = float(folded)
    return value if -limit <= value <= limit else None


# --- provinces, counties and the visitor's place ----------------------------------------------------------------------


def provinces() -> list[Province]:
    return sorted(db.session.execute(select(Province)).scalars().all(), key=lambda p: persian_sort_key(p.name))


def province_by_code(code: str | None) -> Province | None:
    return db.session.execute(select(Province).filter_by(code=code)).scalar_one_or_none() if code else None


def counties_of(province: Province | None) -> list[County]:
    if province is None:
        return []
    counties = db.session.execute(select(County).filter_by(province_id=province.id)).scalars().all()
    return sorted(counties, key=lambda c: persian_sort_key(c.name))


def county_by_code(code: str | None) -> County | None:
    return db.session.execute(select(County).filter_by(code=code)).scalar_one_or_none() if code else None


def nearest_county(latitude: float, longitude: float) -> County | None:
    """The county whose seat is closest (great-circle distance) to a point, or None without coordinates."""
    counties = (
        db.session.execute(select(County).where(County.latitude.is_not(None), County.longitude.is_not(None)))
        .scalars()
        .all()
    )
    # The query keeps only counties with both coordinates.
    return min(
        counties,
        key=lambda c: distance_km(latitude, longitude, cast(float, c.latitude), cast(float, c.longitude)),
        default=None,
    )


@dataclass
class Place:
    province: Province | None = None
    county: County | None = None

    @property
    def cookie(self) -> str:
        if self.province is None:
            return ""
        return self.province.code + (":" + self.county.code if self.county is not None else "")


def place_from_cookie(value: str | None) -> Place:
    """'23:2301' (province, county) -> Place; anything else -> an empty Place."""
    province_code, _, county_code = (value or "")[:40].partition(":")
    province = province_by_code(province_code)
    if province is None:
        return Place()
    county = county_by_code(county_code)
    if county is not None and county.province_id != province.id:
        county = None
    return Place(province, county)


# --- the public "find a counter office" page -----------------------------------------------------------


@dataclass
class Found:
    office: Office
    distance_km: float | None = None


def find(
    province: Province | None = None,
    county: County | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
    page: int = 1,
    size: int = PAGE_SIZE,
) -> Page:
    """Active offices in the province or county, nearest first when the visitor's position is known.

    An office without its own coordinates is placed at its county's seat, and one without either comes last.
    """
    query = select(Office).where(Office.status == "active")
    if county is not None:
        query = query.where(Office.county_id == county.id)
    elif province is not None:
        query = query.where(Office.province_id == province.id)
    if latitude is None or longitude is None:
        found = paginate(
            query.options(joinedload(Office.province), joinedload(Office.county)).order_by(Office.code), page, size
        )
        found.items = [Found(office) for office in found.items]
        return found

    lat = func.coalesce(Office.latitude, County.latitude)
    lng = func.coalesce(Office.longitude, County.longitude)
    points = query.with_only_columns(Office.id, lat, lng).outerjoin(County, Office.county_id == County.id)
    located: Sequence[Any] = []
    if province is None and county is None:  # nationwide: rank the offices around the visitor, not all of them
        located = db.session.execute(
            points.where(
                lat.between(latitude - NEAR_BOX_DEGREES, latitude + NEAR_BOX_DEGREES),
                lng.between(longitude - NEAR_BOX_DEGREES, longitude + NEAR_BOX_DEGREES),
            )
        ).all()
    if not located:
        located = db.session.execute(points.where(lat.is_not(None))).all()
    ranked = sorted(((distance_km(latitude, longitude, la, lo), office_id) for office_id, la, lo in located))
    ids = [office_id for _d, office_id in ranked]
    # The rest (outside the box, or with no known place) follow in code order, so nothing filtered is hidden.
    rest = (
        db.session.execute(
            query.with_only_columns(Office.id).where(Office.id.not_in(ids) if ids else true()).order_by(Office.code)
        )
        .scalars()
        .all()
    )
    distances = {office_id: km for km, office_id in ranked}
    ordered = ids + list(rest)
    total = len(ordered)
    pages = max((total + size - 1) // size, 1)
    page = min(max(page, 1), pages)
    window = ordered[(page - 1) * size : page * size]
    rows = (
        {
            o.id: o
            for o in db.session.execute(
                select(Office)
                .where(Office.id.in_(window))
                .options(joinedload(Office.province), joinedload(Office.county))
            ).scalars()
        }
        if window
        else {}
    )
    return Page([Found(rows[i], distances.get(i)) for i in window], total, page, pages)
