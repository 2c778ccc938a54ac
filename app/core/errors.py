"""Error pages in Persian, inside the layout; the one RuleError base and the view helper that shows one."""

import logging

from flask import Flask, flash, render_template
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

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


MESSAGES = {
    400: (
        _l("درخواست نامعتبر"),
        _l("اطلاعاتی که فرستادید قابل پردازش نبود. صفحه را دوباره باز کنید و دوباره بفرستید."),
    ),
    403: (_l("دسترسی ممکن نیست"), _l("شما اجازهٔ دیدن این صفحه را ندارید.")),
    404: (_l("صفحه پیدا نشد"), _l("نشانی را بررسی کنید یا خدمت مورد نظر را جستجو کنید.")),
    405: (_l("این کار مجاز نیست"), _l("این صفحه این نوع درخواست را نمی‌پذیرد.")),
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


def render_error(code: int, detail: str | None = None) -> tuple[str, int]:
    title, message = MESSAGES.get(code, MESSAGES[500])
    return render_template("error.html", code=code, title=title, message=detail or message), code


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(error):
        return render_error(400, CSRF_MESSAGE)

    @app.errorhandler(HTTPException)
    def _http(error):
        if error.code in MESSAGES:
            return render_error(error.code)
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
