"""Locale choice (Persian by default, English second), the language switch, and content in two languages: a
row's English (its `<attribute>_en`) on English pages where it has one, the Persian otherwise, marked as Persian
(lang="fa" dir="rtl") so that it renders right inside an English page."""

from babel import Locale
from babel.support import NullTranslations
from flask import Flask, current_app, g, has_request_context, request
from flask_babel import get_locale, get_translations
from jinja2 import pass_eval_context
from jinja2.nodes import EvalContext
from markupsafe import Markup, escape

from app.extensions import babel

COOKIE = "lang"
DIRECTIONS = {"fa": "rtl", "en": "ltr"}


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
    locale = getattr(state.get("_flask_babel"), "babel_locale", None) or get_locale()  # fast_locale(), state in hand
    kept = state.get("_i18n_translations")
    if kept is not None and kept[0] is locale:
        return kept[1]
    translations = get_translations()
    state["_i18n_translations"] = (locale, translations)
    return translations


def text_direction() -> str:
    locale = fast_locale()
    return "rtl" if locale is None or locale.language == "fa" else "ltr"


def page_language() -> str:
    locale = fast_locale()
    return "fa" if locale is None else locale.language


def text_language(row: object, attribute: str = "name") -> str:
    """The language localized() answers in for this row: "en" when the page is English and the row has its
    English, else "fa" (Persian is always there)."""
    if page_language() != "fa" and getattr(row, attribute + "_en", None):
        return "en"
    return "fa"


def localized(row: object, attribute: str = "name") -> str:
    """row.<attribute> in the page's language: the English (row.<attribute>_en) on English pages when it is not
    empty, the Persian otherwise. Plain text, for <title>, attributes and sorting; templates mostly want local."""
    if row is None:
        return ""
    if text_language(row, attribute) == "en":
        return str(getattr(row, attribute + "_en"))
    return str(getattr(row, attribute, "") or "")


def lang_attrs(language: str) -> Markup:
    """' lang="fa" dir="rtl"' for an element whose text is in another language than the page's, else nothing."""
    if language == page_language():
        return Markup("")
    return Markup(' lang="%s" dir="%s"') % (language, DIRECTIONS.get(language, "auto"))


def written_in(text: object, language: str = "fa") -> Markup:
    """Text known to be in this language, escaped; inside a <span lang dir> when the page speaks another one."""
    if text is None or text == "":
        return Markup("")
    attributes = lang_attrs(language)
    if not attributes:
        return escape(text)
    return Markup("<span%s>%s</span>") % (attributes, text)


def local(row: object, attribute: str = "name") -> Markup:
    """Template filter: localized(row, attribute) escaped, marked as Persian when an English page falls back."""
    return written_in(localized(row, attribute), text_language(row, attribute))


def comma() -> str:
    """Between the items of an inline list: the Persian comma on Persian pages."""
    return "، " if page_language() == "fa" else ", "


@pass_eval_context
def template_gettext(eval_ctx: EvalContext, string: str, **variables: object) -> str:
    """A template's `_("…")`, as Jinja's newstyle gettext answers it: the translation, Markup under autoescape, then
    `%` with the variables (escaped), so that "%%" means "%" in every string, with variables or without."""
    translated = fast_translations().ugettext(string)
    rv = Markup(translated) if eval_ctx.autoescape else translated
    return rv % variables if variables or "%" in rv else rv


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
    # `_` and `gettext` themselves, in one call: Jinja's newstyle pair is three (`_` resolves `gettext`, which calls
    # the function above through the template context), about half of a page's translation cost (a card has some
    # eighty strings).
    app.jinja_env.globals.update(_=template_gettext, gettext=template_gettext)
    app.jinja_env.globals.update(
        text_direction=text_direction,
        current_locale=lambda: str(fast_locale() or "fa"),
        localized=localized,
        text_language=text_language,
        lang_attrs=lang_attrs,
        comma=comma,
    )
    app.add_template_filter(local, "local")
    app.add_template_filter(written_in, "written_in")
