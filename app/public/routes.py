"""Public pages."""
from urllib.parse import urlsplit

from flask import abort, current_app, make_response, redirect, render_template, request, url_for

from .. import catalogue
from ..search import clean_query, search_services
from ..i18n import COOKIE
from . import bp


@bp.get("/")
def home():
    return render_template("public/home.html", clusters=catalogue.clusters(),
                           popular=catalogue.high_volume_services(limit=8))


@bp.get("/search")
def search():
    query = clean_query(request.args.get("q", ""))
    page = max(request.args.get("page", 1, type=int), 1)
    return render_template("public/search.html", query=query, results=search_services(query, page=page))


@bp.get("/services/<code>")
def service(code):
    found = catalogue.service_by_code(code)
    if found is None:
        abort(404)
    return render_template("public/service.html", service=found, card=found.current_revision)


@bp.get("/language/<code>")
def language(code):
    target = request.args.get("next", "")
    # Only a local path is followed, so the switch cannot be used to send people elsewhere.
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        target = url_for("public.home")
    response = make_response(redirect(target))
    if code in current_app.config["LANGUAGES"]:
        response.set_cookie(COOKIE, code, max_age=365 * 24 * 3600, samesite="Lax", httponly=True,
                            secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response
