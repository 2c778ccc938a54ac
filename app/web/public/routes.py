"""Public pages: home, search, service cards and their history, agencies, clusters, life events, the visitor's
place and the language switch. Anyone may use them without signing in."""

from flask import abort, current_app, g, make_response, redirect, render_template, request, url_for

from app import inquiries
from app.catalogue import places
from app.catalogue import queries as catalogue
from app.catalogue.search.query import clean_query, search_services
from app.core.fragments import is_htmx, render_page
from app.core.i18n import COOKIE, localized, page_language, text_language
from app.core.page_cache import cached_page, do_not_store
from app.core.persian import fold_digits, parse_whole_number
from app.core.security import safe_next
from app.evaluation import links, processing_times, scores
from app.feedback import ratings
from app.web.public import bp
from app.web.public.forms import PlaceForm

PLACE_COOKIE = "place"
YEAR = 365 * 24 * 3600


def _page_number():
    return max(parse_whole_number(request.args.get("page", "")[:12], max_digits=6) or 1, 1)


def visitor_place():
    if "place" not in g:
        g.place = places.place_from_cookie(request.cookies.get(PLACE_COOKIE))
    return g.place


@bp.get("/")
@cached_page
def home():
    place = visitor_place()
    return render_template(
        "public/home.html",
        clusters=catalogue.clusters(),
        life_events=catalogue.life_events(),
        popular=catalogue.high_volume_services(limit=8),
        place=place,
        local=catalogue.local_services(place.province, limit=8),
    )


@bp.get("/search")
@cached_page
def search():
    query = clean_query(request.args.get("q", ""))
    # As-you-type requests are not logged as misses: every half-typed word would be one.
    results = search_services(query, page=_page_number(), record_miss=not is_htmx())
    if query and not results.total:
        do_not_store()  # every visit to a search that finds nothing is counted as a miss
    return render_page("public/search.html", "results", query=query, results=results)


@bp.get("/services/<code>")
@cached_page
def service(code):
    found = catalogue.service_by_code(fold_digits(code))
    if found is None:
        abort(404)
    place = visitor_place()
    counter = catalogue.counter_offer(found, place.province)
    nearby = []
    if counter and place.province:
        # The offices finder's own ranking: nearest to the seat of the visitor's county, if one was chosen.
        seat = place.county
        nearby = [
            row.office
            for row in places.find(
                place.province, None, seat.latitude if seat else None, seat.longitude if seat else None, size=3
            ).items
        ]
    return render_template(
        "public/service.html",
        service=found,
        card=found.current_revision,
        place=place,
        counter=counter,
        offices=nearby,
        can_apply=catalogue.can_apply_here(found),
        offered_here=catalogue.offered_in(found, place.province),
        related=catalogue.related_services(found),
        topics=catalogue.card_topics(found),
        labels=catalogue,
        # Link checks: the card's deep link as last checked (None before its first check).
        link=links.link_for_url(found.current_revision.online_url) if found.current_revision else None,
        # The measured time next to the declared one (None below the minimum sample). The page is cached per path
        # (app/core/page_cache: the key holds /services/<code>), so a card only ever shows its own service's figure;
        # decisions do not change the cache version, so the figure may be up to PAGE_CACHE_SECONDS old.
        measured=processing_times.measured_time(found.id),
        # Citizens' ratings: the average and the count only (None below RATINGS_MIN_SAMPLE), never a comment; like
        # the measured time, up to PAGE_CACHE_SECONDS old.
        stars=ratings.service_stars(found.id),
        # Once only: the card's documents an inquiry to another agency replaces (index -> the agency asked).
        replaced=inquiries.replaced_on_card(found.id, found.current_revision.documents or [])
        if found.current_revision
        else {},
    )


@bp.get("/services/<code>/history")
@cached_page
def service_history(code):
    found = catalogue.service_by_code(fold_digits(code))
    if found is None:
        abort(404)
    # Rows, not names: the page shows each in its language (English pages: the English name where there is one).
    return render_template(
        "public/history.html",
        service=found,
        history=catalogue.history(found),
        provinces={p.code: p for p in places.provinces()},
        labels=catalogue,
        cluster_names={c.slug: c for c in catalogue.clusters()},
        event_names={e.slug: e for e in catalogue.life_events()},
    )


@bp.get("/agencies")
@cached_page
def agencies():
    summaries = catalogue.agencies_with_counts()
    if page_language() != "fa":
        # Alphabetical in the language shown: English names A to Z, agencies with only a Persian name after them.
        summaries = tuple(
            sorted(summaries, key=lambda s: (text_language(s.agency) != "en", localized(s.agency).casefold()))
        )
    connected = sum(1 for s in summaries if s.agency.connection_status == "connected")
    return render_template("public/agencies.html", summaries=summaries, connected=connected, labels=catalogue)


@bp.get("/agencies/<code>")
@cached_page
def agency(code):
    found = catalogue.agency_by_code(code)
    if found is None:
        abort(404)
    services, electronic = catalogue.agency_counts(found)
    return render_template(
        "public/agency.html",
        agency=found,
        children=catalogue.child_agencies(found),
        page=catalogue.agency_services(found, _page_number()),
        services=services,
        electronic=electronic,
        labels=catalogue,
        # Its score from the latest stored snapshot (app/evaluation/scores.py); storing one bumps the cache version.
        score_card=scores.agency_card(found.id),
        stars=ratings.agency_stars(found.id),
        score_title=scores.title_of,
    )


@bp.get("/clusters/<slug>")
@cached_page
def cluster(slug):
    found = catalogue.cluster_by_slug(slug)
    if found is None:
        abort(404)
    return render_template(
        "public/topic.html", topic=found, kind="cluster", page=catalogue.cluster_services(found, _page_number())
    )


@bp.get("/life-events/<slug>")
@cached_page
def life_event(slug):
    found = catalogue.life_event_by_slug(slug)
    if found is None:
        abort(404)
    return render_template(
        "public/topic.html", topic=found, kind="life_event", page=catalogue.life_event_services(found, _page_number())
    )


@bp.route("/location", methods=["GET", "POST"])
def location():
    """Step one picks a province (a GET form); step two a county of it and saves both in a cookie."""
    place = visitor_place()
    form = PlaceForm()
    form.province.choices = [("", "")] + [(p.code, localized(p)) for p in places.provinces()]
    latitude = places.parse_coordinate(request.args.get("lat"), 90)
    longitude = places.parse_coordinate(request.args.get("lon"), 180)
    nearest = places.nearest_county(latitude, longitude) if latitude is not None and longitude is not None else None
    chosen = places.province_by_code(request.values.get("province", "")[:8])
    if nearest is not None and request.method == "GET":
        chosen = nearest.province
    chosen = chosen or place.province
    form.county.choices = [("", "—")] + [(c.code, localized(c)) for c in places.counties_of(chosen)]
    if request.method == "GET":
        form.province.data = chosen.code if chosen else ""
        form.county.data = (
            nearest.code
            if nearest
            else place.county.code
            if place.county and chosen and place.county.province_id == chosen.id
            else ""
        )
        form.next.data = safe_next(request.args.get("next"), "")
    elif form.validate_on_submit():
        target = safe_next(form.next.data, url_for(".home"))
        response = make_response(redirect(target))
        value = form.province.data + (":" + form.county.data if form.county.data else "")
        response.set_cookie(
            PLACE_COOKIE,
            value,
            max_age=YEAR,
            samesite="Lax",
            httponly=True,
            secure=current_app.config["SESSION_COOKIE_SECURE"],
        )
        return response
    status = 400 if form.errors else 200
    return render_page(
        "public/location.html", "county_step", form=form, chosen=chosen, place=place, nearest=nearest
    ), status


@bp.post("/location/forget")
def forget_location():
    response = make_response(redirect(url_for(".location")))
    response.delete_cookie(
        PLACE_COOKIE, samesite="Lax", httponly=True, secure=current_app.config["SESSION_COOKIE_SECURE"]
    )
    return response


@bp.get("/language/<code>")
def language(code):
    target = safe_next(request.args.get("next", ""), url_for("public.home"))
    response = make_response(redirect(target))
    if code in current_app.config["LANGUAGES"]:
        response.set_cookie(
            COOKIE,
            code,
            max_age=YEAR,
            samesite="Lax",
            httponly=True,
            secure=current_app.config["SESSION_COOKIE_SECURE"],
        )
    return response
