"""Static files under content-hashed URLs, precompressed, cached for a year as immutable; the site stylesheet also
inlined in each page's head (with its hash for the Content-Security-Policy)."""

import base64
import gzip
import hashlib
import mimetypes
import posixpath
import re
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, Response, abort, current_app, request
from markupsafe import Markup

try:
    import brotli
except ImportError:  # brotli is optional; gzip is always there
    brotli = None

STATIC = Path(__file__).resolve().parent.parent / "static"
CSS_URL = re.compile(r"url\((['\"]?)([^)'\"]+)\1\)")
COMPRESSIBLE = {".css", ".js", ".svg", ".txt", ".json"}
IMMUTABLE = "public, max-age=31536000, immutable"
# Inlined in base.html's <style>: on a 400 ms link a stylesheet fetched after the HTML costs one more round trip
# before the first paint (LCP about 1.05 s against about 0.6 s inlined; benchmarks/lcp.py).
INLINED = "css/app.css"


@dataclass
class Asset:
    body: bytes
    mimetype: str
    gzip: bytes | None = None
    br: bytes | None = None


def _minify_css(text: str) -> str:
    """Comments and layout whitespace out (about a quarter of the bytes, a KB compressed, in every page that inlines
    the stylesheet). Spaces that can mean something stay: before ':' (a descendant's pseudo-class) and inside values."""
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r"\s+", " ", text)
    text = re.sub(r"\s*([{};,>])\s*", r"\1", text)
    return text.replace(";}", "}").strip()


class Manifest:
    """Maps 'css/app.css' to 'css/app.<hash>.css' and holds the bytes served under that name."""

    def __init__(self, folder):
        self.urls, self.files = {}, {}
        self.texts: dict[str, str] = {}  # CSS as served (url()s hashed), for inlining
        paths = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix != ".txt")
        # CSS last: its url(...) references are rewritten to the hashed names of the files they point at.
        for path in sorted(paths, key=lambda p: p.suffix == ".css"):
            name = path.relative_to(folder).as_posix()
            body = path.read_bytes()
            if path.suffix == ".css":
                self.texts[name] = _minify_css(self._rewrite_css(name, body.decode()))
                body = self.texts[name].encode()
            self._add(name, body, path.suffix)

    def _rewrite_css(self, name, text):
        def hashed(match):
            target = match.group(2)
            if target.startswith(("data:", "/", "#")):
                return match.group(0)
            resolved = posixpath.normpath(posixpath.join(posixpath.dirname(name), target))
            return f"url({self.url(resolved)})"

        return CSS_URL.sub(hashed, text)

    def _add(self, name, body, suffix):
        digest = hashlib.sha256(body).hexdigest()[:10]
        stem, dot, ext = name.rpartition(".")
        hashed = f"{stem}.{digest}.{ext}" if dot else f"{name}.{digest}"
        asset = Asset(body, mimetypes.guess_type(name)[0] or "application/octet-stream")
        if suffix in COMPRESSIBLE:
            asset.gzip = gzip.compress(body, compresslevel=9, mtime=0)
            if brotli is not None:
                asset.br = brotli.compress(body, quality=11)
        self.urls[name] = hashed
        self.files[hashed] = asset

    def url(self, name: str) -> str:
        return "/static/" + self.urls[name]

    def style_hash(self, name: str) -> str:
        """The CSP source that allows this stylesheet's text inlined in a <style> element."""
        digest = hashlib.sha256(self.texts[name].encode()).digest()
        return "'sha256-" + base64.b64encode(digest).decode() + "'"


def asset_url(name: str) -> str:
    return current_app.extensions["assets"].url(name)


def inline_css(name: str = INLINED) -> Markup:
    """The stylesheet's text for base.html's <style>; only INLINED is allowed by the policy."""
    if name != INLINED:
        raise ValueError(f"{name} is not allowed inline by the Content-Security-Policy")
    return Markup(current_app.extensions["assets"].texts[name])


def inline_style_sources(app: Flask) -> str:
    """The CSP style sources of what base.html inlines."""
    return app.extensions["assets"].style_hash(INLINED)


def serve(filename: str) -> Response:
    asset = current_app.extensions["assets"].files.get(filename)
    if asset is None:
        abort(404)
    body, encoding = asset.body, None
    accepted = request.headers.get("Accept-Encoding", "")
    if asset.br is not None and "br" in accepted:
        body, encoding = asset.br, "br"
    elif asset.gzip is not None and "gzip" in accepted:
        body, encoding = asset.gzip, "gzip"
    response = Response(body, mimetype=asset.mimetype)
    response.headers["Cache-Control"] = IMMUTABLE
    if asset.gzip is not None:
        response.headers["Vary"] = "Accept-Encoding"
    if encoding:
        response.headers["Content-Encoding"] = encoding
    return response


_built: dict[Path, Manifest] = {}


def init_app(app: Flask) -> None:
    # Built once per process: compressing the files is the slow part of create_app().
    if app.debug or STATIC not in _built:
        _built[STATIC] = Manifest(STATIC)
    app.extensions["assets"] = _built[STATIC]
    app.add_url_rule("/static/<path:filename>", "static", serve)
    app.jinja_env.globals["asset_url"] = asset_url
    app.jinja_env.globals["inline_css"] = inline_css
