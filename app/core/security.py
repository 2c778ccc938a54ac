"""Security headers on every response, and the one check of a `next` address a page may redirect to."""

import unicodedata
from urllib.parse import unquote, urlsplit

from flask import Flask

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


def init_app(app: Flask) -> None:
    @app.after_request
    def _headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CSP)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(self)")
        if app.config["SESSION_COOKIE_SECURE"]:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response
