"""Security headers on every response, no-store on personal pages, the refusal of unreadable input (NUL, invalid
UTF-8) before any view runs, and the one check of a `next` address a page may redirect to."""

import ipaddress
import unicodedata
from urllib.parse import unquote, unquote_to_bytes, urlsplit

from flask import Flask, abort, request, session
from flask_babel import lazy_gettext as _l

from app.core import assets

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; form-action 'self'; base-uri 'self'; object-src 'none'; frame-ancestors 'none'"
)

# Longer than any page address of ours; a giant `next` would only make a giant Location header.
NEXT_MAX_LENGTH = 2000


def safe_next(value: str | None, default: str) -> str:
    """`value` when it is a path on this site, else `default`: a browser must not be able to read it as another
    host. Only "/…" passes: not "//…" (another host), no backslash anywhere (browsers read it as "/"), no control
    character (browsers drop tab, CR and LF, so "/<tab>/evil" becomes "//evil"; CR/LF would split the header), and
    the same again after percent-decoding, so that a value decoded once more on the way cannot turn into one."""
    if not isinstance(value, str) or not value or len(value) > NEXT_MAX_LENGTH:
        return default
    seen = value
    for _round in range(4):  # "%2509" decodes to "%09" decodes to a tab; four rounds cover any honest path
        if not seen.startswith("/") or seen.startswith("//") or "\\" in seen:
            return default
        if any(unicodedata.category(char) == "Cc" for char in seen):
            return default
        decoded = unquote(seen)
        if decoded == seen:
            break
        seen = decoded
    else:
        return default  # still decoding after four rounds: not a path anybody typed
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return default
    return value


# Blueprints whose every page is personal, and the check for the others (the public pages of a signed-in person).
PERSONAL_BLUEPRINTS = {"account", "desk", "counter", "admin"}


def client_is_loopback() -> bool:
    """The request comes from this machine (simulator-only pages answer nobody else). Behind TRUSTED_PROXIES,
    ProxyFix has already put the forwarded client's address in remote_addr."""
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


def _signed_in() -> bool:
    # The session says so: asking current_user would load the user on pages that never needed them.
    return "_user_id" in session


UNREADABLE_MESSAGE = _l(
    "نشانی یا فرمی که فرستادید نویسه‌هایی دارد که خوانده نمی‌شوند (نویسهٔ تهی یا متن خراب). آن را دوباره و بدون این "
    "نویسه‌ها بفرستید."
)


def _unreadable(raw: bytes) -> bool:
    """NUL (PostgreSQL refuses it in text, and no person types it) or bytes that are not UTF-8."""
    if b"\x00" in raw:
        return True
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def _unreadable_text(text: str) -> bool:
    # Werkzeug reads multipart values and filenames with errors="replace": U+FFFD is where bytes were not UTF-8.
    return "\x00" in text or "\ufffd" in text


def unreadable_input() -> bool:
    """Whether the request's path, query string or form (values, names, filenames) holds NUL or invalid UTF-8.
    Raw bytes are checked where Werkzeug keeps them (the path, the query string, a urlencoded body); a multipart
    body is checked after parsing, and one that yields nothing at all could not be read."""
    path = request.environ.get("PATH_INFO", "").encode("latin-1", "replace")
    query = request.environ.get("QUERY_STRING", "").encode("latin-1", "replace")
    if _unreadable(path) or _unreadable(unquote_to_bytes(query.replace(b"+", b" "))):
        return True
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return False
    if request.mimetype == "application/x-www-form-urlencoded":
        return _unreadable(unquote_to_bytes(request.get_data(cache=True).replace(b"+", b" ")))
    if request.mimetype == "multipart/form-data":
        form, files = request.form, request.files
        if not form and not files and (request.content_length or 0) > 0:
            return True  # the parser gave up (a filename that is not UTF-8, a broken part)
        texts = [*form.keys(), *form.values(), *files.keys(), *(upload.filename or "" for upload in files.values())]
        return any(_unreadable_text(text) for text in texts)
    return False


def _refuse_unreadable_input() -> None:
    if unreadable_input():
        abort(400, description=UNREADABLE_MESSAGE)


def init_app(app: Flask) -> None:
    # Before every other hook that reads the request: nothing reaches a view, the session's user or the database.
    app.before_request_funcs.setdefault(None, []).insert(0, _refuse_unreadable_input)

    # The inlined stylesheet by its hash: no other inline style runs ('unsafe-inline' stays out).
    policy = CSP.replace("style-src 'self'", "style-src 'self' " + assets.inline_style_sources(app))

    @app.after_request
    def _headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", policy)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(self)")
        if app.config["SESSION_COOKIE_SECURE"]:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        # A signed-in page is someone's own (their requests, a desk, a ledger): no shared or back-button cache may
        # keep it.
        if request.blueprint in PERSONAL_BLUEPRINTS or _signed_in():
            headers["Cache-Control"] = "no-store"
        return response
