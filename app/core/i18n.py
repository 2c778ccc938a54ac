"""Locale choice (Persian by default, English second) and the language switch."""

from babel import Locale
from babel.support import NullTranslations
from flask import Flask, current_app, g, has_request_context, request
from flask_babel import get_locale, get_translations

from app.extensions import babel

COOKIE = "lang"


def select_locale() -> str:
    # Commands and SMS texts written outside a request speak Persian.
    chosen = request.cookies.get(COOKIE) if has_request_context() else None
    if chosen is not None and chosen in current_app.config["LANGUAGES"]:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def _babel_state() -> dict | None:
    # The context's own attributes, read once: Flask-Babel's get_locale() and get_translations() go through several
    # context-local lookups each, and a page asks for them hundreds of times.
    try:
        return g._get_current_object().__dict__
    except RuntimeError:  # no application context
        return None


def fast_locale() -> Locale | None:
    """get_locale(), from the locale Flask-Babel already chose for this request (the same value, cheaper)."""
    state = _babel_state()
    chosen = getattr(state.get("_flask_babel"), "babel_locale", None) if state is not None else None
    return chosen if chosen is not None else get_locale()


def fast_translations() -> NullTranslations:
    """get_translations() for the locale in force, kept for the rest of the request (again if the locale changes,
    as under force_locale)."""
    state = _babel_state()
    if state is None:
        return get_translations()
    locale = fast_locale()
    kept = state.get("_i18n_translations")
    if kept is not None and kept[0] is locale:
        return kept[1]
    translations = get_translations()
    state["_i18n_translations"] = (locale, translations)
    return translations


def text_direction() -> str:
    locale = fast_locale()
    return "rtl" if locale is None or locale.language == "fa" else "ltr"


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale)
    # Flask-Babel's own template callables, with the translations looked up once per request instead of per string.
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]  # jinja2.ext.i18n adds it
        gettext=lambda s: fast_translations().ugettext(s),
        ngettext=lambda s, p, n: fast_translations().ungettext(s, p, n),
        pgettext=lambda c, s: fast_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: fast_translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
    app.jinja_env.globals.update(text_direction=text_direction, current_locale=lambda: str(get_locale() or "fa"))
