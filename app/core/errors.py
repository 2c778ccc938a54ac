"""Error pages in Persian, inside the layout; the one RuleError base and the view helper that shows one."""

import logging

from flask import Flask, current_app, flash, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from werkzeug.exceptions import HTTPException, InternalServerError

from app.core import kept_forms
from app.core.persian import local_number
from app.extensions import db

log = logging.getLogger("panjereh")


class RuleError(Exception):
    """An action a rule does not allow; `field` names the form field the message belongs next to."""

    # A refusal no view catches is a bug and answers 500, except one that sets `status`: it is the page's whole
    # answer (a stored form that cannot be shown) and is rendered as an error page with its message.
    status: int | None = None

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def attach(form: FlaskForm | None, error: RuleError, default_field: str | None = None) -> None:
    """Undo what the refused action wrote and show its message: next to `error.field` when the form has it, else
    next to `default_field`, else next to the form's first field; with no form, as a flashed error."""
    db.session.rollback()
    fields = []
    if form is not None:
        fields = [form[name] for name in (error.field, default_field) if name and name in form]
        fields += [f for f in form if f.type not in ("CSRFTokenField", "HiddenField")]
    if not fields:
        flash(error.message, "error")
        return
    target = fields[0]
    target.errors = list(target.errors) + [error.message]


def refuse(form: FlaskForm, message: str, field: str, on_form: bool) -> None:
    """Undo what the refused action wrote and say why: as the one error of `field` while the page still shows the
    form that carries it (`on_form`), else flashed on top (a page whose form is gone, e.g. a request decided
    meanwhile, has nowhere else to show it)."""
    db.session.rollback()
    if on_form and field in form:
        form[field].errors = [message]
    else:
        flash(message, "error")


MESSAGES = {
    400: (
        _l("درخواست نامعتبر"),
        _l("اطلاعاتی که فرستادید قابل پردازش نبود. صفحه را دوباره باز کنید و دوباره بفرستید."),
    ),
    403: (_l("دسترسی ممکن نیست"), _l("شما اجازهٔ دیدن این صفحه را ندارید.")),
    404: (_l("صفحه پیدا نشد"), _l("نشانی را بررسی کنید یا خدمت مورد نظر را جستجو کنید.")),
    405: (_l("این کار مجاز نیست"), _l("این صفحه این نوع درخواست را نمی‌پذیرد.")),
    413: (
        _l("پرونده بیش از حد بزرگ است"),
        _l("حجم آنچه فرستادید از حد مجاز بیشتر است. پرونده‌ای کوچک‌تر انتخاب کنید و دوباره بفرستید."),
    ),
    429: (
        _l("درخواست‌ها بیش از حد مجاز"),
        _l("در مدت کوتاهی درخواست‌های زیادی فرستادید. چند دقیقه بعد دوباره تلاش کنید."),
    ),
    500: (_l("خطای سامانه"), _l("مشکلی در سامانه پیش آمد و ثبت شد. چند لحظه بعد دوباره تلاش کنید.")),
    503: (_l("فعلاً در دسترس نیست"), _l("این صفحه فعلاً در دسترس نیست. کمی بعد دوباره تلاش کنید.")),
}
CSRF_MESSAGE = _l(
    "مهلت این فرم تمام شده یا فرم از صفحهٔ دیگری فرستاده شده است. صفحه را دوباره باز کنید و دوباره بفرستید."
)


# The last resort when even the layout cannot be rendered (no URL adapter for an untrusted Host, a broken
# template): still Persian, still the status it was.
PLAIN_ERROR = (
    '<!doctype html><html lang="fa" dir="rtl"><meta charset="utf-8"><title>{title}</title>'
    "<h1>{title}</h1><p>{message}</p></html>"
)


def _user_on_error_page():
    """Who the layout greets on an error page, found without the database: the user this request has loaded
    already, if their row is still loaded (a 500's rollback expires it), else nobody. The layout asks
    `current_user`, whose first look loads the user: on a failed transaction that is a second failure."""
    from flask import g
    from sqlalchemy import inspect

    from app.extensions import login_manager

    user = g.get("_login_user")
    if user is not None and user.is_authenticated:
        state = inspect(user, raiseerr=False)
        if state is not None and not state.expired_attributes and "full_name" not in state.unloaded:
            return user
    # Flask-Login's context processor asks for the user too: it finds this one and loads none.
    g._login_user = login_manager.anonymous_user()
    return g._login_user


def render_error(
    code: int, detail: str | None = None, back: str | None = None, note: str | None = None
) -> tuple[str, int]:
    """The error page in the layout; `back` is a link to the page the person came from (the form they were
    filling), `note` a second paragraph under the message."""
    title, message = MESSAGES.get(code, MESSAGES[500])
    if code >= 500:
        db.session.rollback()  # a failed transaction first: nothing after it may run in it
    try:
        page = render_template(
            "error.html",
            code=code,
            title=title,
            message=detail or message,
            back=back,
            note=note,
            current_user=_user_on_error_page(),
        )
    except Exception:  # an error page must answer; what went wrong is logged
        log.exception("error page %s could not be rendered", code)
        db.session.rollback()
        page = PLAIN_ERROR.format(title=escape(title), message=escape(detail or message))
    return page, code


def _too_large() -> tuple[str, int]:
    """A body past MAX_CONTENT_LENGTH was refused unread, so nothing in it can be kept: the page says the cap and
    leads back to the form (its own address; the browser's back button usually keeps what was typed there)."""
    cap = current_app.config.get("MAX_CONTENT_LENGTH") or 0
    megabytes = cap / 1024 / 1024
    message = _(
        "آنچه فرستادید بیش از %(n)s مگابایت بود و فرستاده نشد. پرونده‌ای کوچک‌تر انتخاب کنید؛ حد هر پرونده کنار "
        "همان فیلد نوشته شده است.",
        n=local_number(int(megabytes) if megabytes == int(megabytes) else round(megabytes, 1)),
    )
    back = None
    if request.method == "POST" and request.path.startswith("/") and not request.path.startswith("//"):
        back = request.full_path.rstrip("?")
    note = _("با دکمهٔ «بازگشت» مرورگر به فرم برمی‌گردید و آنچه نوشته بودید معمولاً سر جایش است.") if back else None
    return render_error(413, message, back=back, note=note)


def init_app(app: Flask) -> None:
    kept_forms.init_app(app)  # what the CSRF handler keeps, and the session-renew endpoint of its warning

    @app.errorhandler(CSRFError)
    def _csrf(error):
        # A form page's answers survive a stale token or an ended session: kept, and the form shown again.
        kept = kept_forms.recover()
        if kept is not None:
            return kept
        return render_error(400, CSRF_MESSAGE)

    @app.errorhandler(HTTPException)
    def _http(error):
        if error.code == 413:
            return _too_large()
        if error.code in MESSAGES:
            # Our own aborts carry a Persian description; Werkzeug's default ones are English.
            custom = error.description if error.description != type(error).description else None
            return render_error(error.code, custom)
        return error

    @app.errorhandler(InternalServerError)
    def _internal(error):
        log.exception("unhandled error", exc_info=getattr(error, "original_exception", None) or error)
        return render_error(500)

    @app.errorhandler(RuleError)
    def _refused(error):
        if error.status is None:
            return _internal(InternalServerError(original_exception=error))
        return render_error(error.status, error.message)
