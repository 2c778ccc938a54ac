"""The page cache for anonymous visitors: a view marked @cached_page is answered from Flask-Caching (a local cache
per process by default, Redis at scale) when an earlier visitor in the same situation already had it rendered, and
its body is kept compressed (brotli and gzip) so that a hit costs neither the view, the template nor compression.

The key: the version of the data the page shows (a callable given to init_app, read once per request), the locale,
the visitor's place cookie, HTMX or not, the host and the path with its query string. Nothing personal is ever kept
or served: a signed-in session, a flash waiting in the session, a page that drew a CSRF token, wrote the session or
set a cookie, any answer other than 200, and a page whose view called do_not_store() all go past the cache.
"""

import gzip
import zlib
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Flask, Response, current_app, g, request, session
from flask_babel import get_locale

from app.extensions import limiter, page_cache

try:
    import brotli
except ImportError:  # brotli is optional; gzip is always there
    brotli = None

F = TypeVar("F", bound=Callable[..., Any])

# Cookies that change what a public page says (the language is read through the locale itself).
PLACE_COOKIE = "place"


def _personal() -> bool:
    # session.get marks the session accessed, so Flask adds "Vary: Cookie": right for pages that vary by cookie.
    return session.get("_user_id") is not None or bool(session.get("_flashes"))


def _key() -> str:
    version = current_app.extensions["page_cache_version"]()
    place = request.cookies.get(PLACE_COOKIE, "")[:40]
    htmx = request.headers.get("HX-Request") == "true" and request.headers.get("HX-History-Restore-Request") != "true"
    return f"page:{version}:{get_locale()}:{place}:{int(htmx)}:{request.host}:{request.full_path}"


def do_not_store() -> None:
    """This answer must not be kept (e.g. a search that found nothing, whose every visit counts as a miss)."""
    g.page_cache_skip = True


def cached_page(view: F) -> F:
    """Answer from the cache when nothing personal is in play; otherwise (and on a miss) run the view. A cached page
    carries no rate limit (limits belong to forms and lookups, which are never cached)."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not current_app.config["PAGE_CACHE_ENABLED"] or request.method not in ("GET", "HEAD") or _personal():
            return view(*args, **kwargs)
        key = _key()
        stored = page_cache.get(key)
        if stored is not None:
            return _from_cache(stored)
        g.page_cache_key = key
        return view(*args, **kwargs)

    wrapper.page_cached = True  # type: ignore[attr-defined]
    return cast(F, wrapper)


def _cached_view() -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    return getattr(view, "page_cached", False)


def _from_cache(stored: tuple[str, bytes | None, bytes, str]) -> Response:
    mimetype, br, gz, vary = stored
    accepted = request.headers.get("Accept-Encoding", "")
    if br is not None and "br" in accepted:
        body, encoding = br, "br"
    elif "gzip" in accepted:
        body, encoding = gz, "gzip"
    else:  # rare: a client that takes no compression gets the page inflated
        body, encoding = zlib.decompress(gz, 16 + zlib.MAX_WBITS), None
    response = Response(body, mimetype=mimetype)
    if encoding:
        response.headers["Content-Encoding"] = encoding
    response.headers["Vary"] = vary
    g.page_cache_hit = True
    return response


def _storable(response: Response) -> bool:
    return (
        response.status_code == 200
        and request.method == "GET"
        and not response.direct_passthrough
        and not response.is_streamed
        and "Content-Encoding" not in response.headers
        and "Set-Cookie" not in response.headers
        and "no-store" not in (response.headers.get("Cache-Control") or "")
        and not session.modified
        and current_app.config["WTF_CSRF_FIELD_NAME"] not in g
        and not g.get("page_cache_skip")
        and not _personal()
    )


def _store(response: Response) -> Response:
    key = g.pop("page_cache_key", None)
    if key is None or not _storable(response):
        return response
    config = current_app.config
    body = response.get_data()
    gz = gzip.compress(body, compresslevel=config.get("COMPRESS_LEVEL", 6), mtime=0)
    br = brotli.compress(body, quality=config.get("COMPRESS_BR_LEVEL", 4)) if brotli is not None else None
    vary = ", ".join(sorted({*response.vary, "Accept-Encoding", "Cookie"}))
    page_cache.set(key, (response.mimetype, br, gz, vary))
    return response


def init_app(app: Flask, version: Callable[[], str]) -> None:
    """`version` names the data the cached pages show; a new value leaves every page kept before it behind."""
    kind = app.config["PAGE_CACHE"]
    app.config["PAGE_CACHE_ENABLED"] = kind != "null"
    settings: dict[str, Any] = {
        "CACHE_KEY_PREFIX": "panjereh:",
        "CACHE_DEFAULT_TIMEOUT": app.config["PAGE_CACHE_SECONDS"],
        "CACHE_THRESHOLD": app.config["PAGE_CACHE_SIZE"],
    }
    if kind == "redis":
        settings.update(CACHE_TYPE="RedisCache", CACHE_REDIS_URL=app.config["REDIS_URL"])
    elif kind == "filesystem":
        settings.update(CACHE_TYPE="FileSystemCache", CACHE_DIR=app.config["PAGE_CACHE_DIR"])
    elif kind == "null":
        settings.update(CACHE_TYPE="NullCache")
    else:
        settings.update(CACHE_TYPE="SimpleCache")
    page_cache.init_app(app, config=settings)
    app.extensions["page_cache_version"] = version
    # A cached page is a catalogue page anyone may read as often as they like: no rate limit applies to it, so the
    # limiter's per-request bookkeeping (a third of a cache hit's time) is skipped for it.
    limiter.request_filter(_cached_view)
    # Registered after the other hooks, so it runs before them (Flask runs after_request hooks last-in first): it
    # keeps the body as the view made it, before compression.
    app.after_request(_store)
