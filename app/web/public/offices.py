"""The public "find a counter office" page: by province and county, nearest first when the browser shares where
it is (static/js/offices.js fills two hidden fields; without JavaScript the filters alone work)."""

from flask import render_template, request

from app.catalogue import places
from app.core.page_cache import cached_page
from app.web.public import bp


@bp.get("/offices")
@cached_page
def offices_page():
    province = places.province_by_code(request.args.get("province", ""))
    county = places.county_by_code(request.args.get("county", ""))
    if county is not None and (province is None or county.province_id != province.id):
        county = None  # a county left over from another province
    latitude = places.parse_coordinate(request.args.get("lat"), 90)
    longitude = places.parse_coordinate(request.args.get("lng"), 180)
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
