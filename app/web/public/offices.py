"""The public "find a counter office" page: by province and county, nearest first when the browser shares where
it is (static/js/offices.js fills two hidden fields; without JavaScript the filters alone work)."""

from flask import render_template, request

from app.catalogue import places
from app.core.persian import fold_digits
from app.web.public import bp


def _coordinate(name, low, high):
    """A coordinate from the query string, or None when absent or not a plausible number (never an error: the
    hidden fields are filled by a script, not typed by the visitor)."""
    try:
        value = float(fold_digits(request.args.get(name, "")).strip()[:20])
    except ValueError:
        return None
    return value if low <= value <= high else None


@bp.get("/offices")
def offices_page():
    province = places.province_by_code(request.args.get("province", ""))
    county = places.county_by_code(request.args.get("county", ""))
    if county is not None and (province is None or county.province_id != province.id):
        county = None  # a county left over from another province
    latitude = _coordinate("lat", -90, 90)
    longitude = _coordinate("lng", -180, 180)
    if latitude is None or longitude is None:
        latitude = longitude = None
    found = places.find(province, county, latitude, longitude, page=request.args.get("page", 1, type=int))
    args = {
        k: v
        for k, v in (
            ("province", province and province.code),
            ("county", county and county.code),
            ("lat", latitude),
            ("lng", longitude),
        )
        if v is not None
    }
    return render_template(
        "public/offices.html",
        found=found,
        province=province,
        county=county,
        provinces=places.provinces(),
        counties=places.counties_of(province),
        located=latitude is not None,
        args=args,
    )
