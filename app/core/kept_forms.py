"""What a person typed into a form survives a stale CSRF token or an ended session: kept server-side, shown again.

A form page opts in with @restores on its view and calls restore(request.path) when it renders the form. When a POST
to it fails its CSRF check (the token outlived its session, or the session ended while the form was open), the
error handler calls recover(): the posted fields (never the files) are written to KEPT_FORMS_FOLDER under a random
token the session holds, and the browser is sent back to the page's own address. Signed out, that address leads
through sign-in first (the token survives auth.sign_in's fresh session). The page then finds the answers, once,
within KEPT_FORMS_MINUTES. The idle-expiry warning's renew endpoint (js/session.js) lives here too.
"""

import json
import os
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlencode, urlsplit

from flask import Blueprint, Flask, current_app, flash, jsonify, redirect, request, session
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

SESSION_KEY = "kept_form"
MARK = "restores_kept_form"
# Never kept: the token that failed, and nothing that is not a typed answer.
SKIPPED = frozenset({"csrf_token"})
# A form's typed answers fit easily (a long text field is 10,000 characters); a bigger body is not kept, and the
# folder stops taking new forms past this many, so a script posting stale forms cannot fill the disk.
MAX_KEPT_BYTES = 256 * 1024
MAX_KEPT_FILES = 10_000
_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,64}")

View = TypeVar("View", bound=Callable[..., Any])

bp = Blueprint("kept_forms", __name__)


def restores(view: View | None = None, *, query: tuple[str, ...] = ()) -> Any:
    """Marks a form page whose view calls restore(): a stale POST to it keeps the answers instead of failing. `query`
    names posted fields the page's GET needs in its address (a draft's id), carried into the address it goes back to.
    Use as @restores or @restores(query=("draft",))."""

    def mark(function: View) -> View:
        setattr(function, MARK, tuple(query) or True)
        return function

    return mark(view) if view is not None else mark


@dataclass(frozen=True)
class Kept:
    """A kept form: the posted fields as form data again, and whether files had been chosen (they are not kept)."""

    formdata: MultiDict
    had_files: bool


def _folder() -> Path:
    path = Path(current_app.config["KEPT_FORMS_FOLDER"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def _lifetime_seconds() -> int:
    return int(current_app.config["KEPT_FORMS_MINUTES"]) * 60


def _same_origin() -> bool:
    """Whether the POST came from a page of this site: a cross-site form must not plant answers (or a new session
    cookie) in someone's browser. Sec-Fetch-Site where the browser sends it, else Origin, else Referer."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site == "same-origin"
    here = urlsplit(request.host_url)
    for header in ("Origin", "Referer"):
        value = request.headers.get(header)
        if value:
            there = urlsplit(value)
            return (there.scheme, there.netloc) == (here.scheme, here.netloc)
    return False


def _sweep(folder: Path) -> int:
    """Remove kept forms past their time; the number still kept."""
    oldest, left = time.time() - _lifetime_seconds(), 0
    with os.scandir(folder) as entries:
        for entry in entries:
            try:
                if entry.stat().st_mtime < oldest:
                    os.unlink(entry.path)
                else:
                    left += 1
            except FileNotFoundError:
                pass
    return left


def _drop(token: object) -> None:
    if isinstance(token, str) and _TOKEN.fullmatch(token):
        try:
            (_folder() / f"{token}.json").unlink()
        except FileNotFoundError:
            pass


def keep(path: str, pairs: list[tuple[str, str]], had_files: bool) -> bool:
    """Keep these posted fields for the page at `path`, for this browser's session; False when they cannot be kept
    (too big, or the folder full)."""
    record = {
        "path": path,
        "pairs": pairs,
        "files": had_files,
        "user": session.get("_user_id"),
        "at": time.time(),
    }
    body = json.dumps(record, ensure_ascii=False).encode()
    folder = _folder()
    if len(body) > MAX_KEPT_BYTES or _sweep(folder) >= MAX_KEPT_FILES:
        return False
    _drop(session.get(SESSION_KEY))  # one kept form per session: the newest
    token = secrets.token_urlsafe(24)
    partial = folder / f".{token}.tmp"
    partial.write_bytes(body)
    os.replace(partial, folder / f"{token}.json")  # a reader never sees half a file
    session[SESSION_KEY] = token
    return True


def keep_posted() -> bool:
    """Keep this POST's fields when it was sent to a page marked @restores from a page of this site."""
    if request.method != "POST" or request.url_rule is None:
        return False
    view = current_app.view_functions.get(request.url_rule.endpoint)
    if not getattr(view, MARK, False) or not _same_origin():
        return False
    pairs = [(name, value) for name, value in request.form.items(multi=True) if name not in SKIPPED]
    had_files = any(upload.filename for upload in request.files.values())
    return keep(request.path, pairs, had_files)


def recover() -> ResponseReturnValue | None:
    """For the CSRF error handler: keep the posted form and send the browser back to its page (through sign-in when
    the session has ended), or None when this POST is not one to keep."""
    if not keep_posted():
        return None
    if "_user_id" not in session:
        flash(
            _(
                "نشست شما به پایان رسیده بود. دوباره وارد شوید؛ آنچه در فرم نوشته بودید نگه داشته شده و پس از ورود "
                "سر جایش است."
            )
        )
    return redirect(_back_to(), 303)


def _back_to() -> str:
    """The page's own address, with the posted fields its GET needs (restores(query=…)) that it does not carry."""
    view = current_app.view_functions.get(request.url_rule.endpoint) if request.url_rule else None
    names = getattr(view, MARK, True)
    extra = {
        name: request.form[name]
        for name in (names if isinstance(names, tuple) else ())
        if name not in request.args and request.form.get(name)
    }
    if not extra:
        return request.full_path.rstrip("?")
    separator = "&" if request.query_string else "?"
    return request.full_path.rstrip("?") + separator + urlencode(extra)


def restore(path: str) -> Kept | None:
    """The form kept for the page at `path` in this session, once: read, then forgotten. A form kept while someone
    was signed in comes back only to them. Says so on the page (a flashed note), files included."""
    token = session.get(SESSION_KEY)
    if not isinstance(token, str) or not _TOKEN.fullmatch(token):
        return None
    try:
        record = json.loads((_folder() / f"{token}.json").read_text())
    except (FileNotFoundError, ValueError):
        session.pop(SESSION_KEY, None)
        return None
    if record.get("path") != path:
        return None  # kept for another page: it waits there
    session.pop(SESSION_KEY, None)
    _drop(token)
    if time.time() - float(record.get("at") or 0) > _lifetime_seconds():
        return None
    if record.get("user") and record["user"] != session.get("_user_id"):
        return None
    kept = Kept(MultiDict([(str(k), str(v)) for k, v in record.get("pairs") or []]), bool(record.get("files")))
    message = _("آنچه نوشته بودید نگه داشته شد و اینجاست؛ آن را بازبینی کنید و دوباره بفرستید.")
    if kept.had_files:
        message += " " + _("پرونده‌هایی را که انتخاب کرده بودید دوباره انتخاب کنید؛ پرونده‌ها نگه داشته نمی‌شوند.")
    flash(message)
    return kept


@bp.get("/session/renew")
def renew() -> ResponseReturnValue:
    """The expiry warning's «ادامه می‌دهم»: any request renews an idle session (its cookie is sent again with a new
    expiry); this one is the cheapest, and says whether a session is still signed in."""
    response = jsonify(active="_user_id" in session)
    response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    # A global (the form macros are imported without the page's context): for a signed-in session, the idle lifetime
    # and how long before its end js/session.js warns; None when nobody is signed in.
    app.jinja_env.globals["session_expiry"] = session_expiry


def session_expiry() -> tuple[int, int] | None:
    """(idle lifetime, warn this long before its end) in seconds, while someone is signed in."""
    if "_user_id" not in session:
        return None
    return int(current_app.permanent_session_lifetime.total_seconds()), int(
        current_app.config["SESSION_WARNING_SECONDS"]
    )
