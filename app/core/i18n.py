"""Locale choice (Persian by default, English second) and the language switch."""

from flask import Flask, current_app, has_request_context, request
from flask_babel import get_locale

from app.extensions import babel

COOKIE = "lang"


def select_locale() -> str:
    # Commands and SMS texts written outside a request speak Persian.
    chosen = request.cookies.get(COOKIE) if has_request_context() else None
    if chosen is not None and chosen in current_app.config["LANGUAGES"]:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def text_direction() -> str:
    locale = get_locale()
    return "rtl" if locale is None or locale.language == "fa" else "ltr"


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.globals.update(text_direction=text_direction, current_locale=lambda: str(get_locale() or "fa"))
