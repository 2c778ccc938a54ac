"""A counter receipt: the counter request it is for (in the user's scope), the public tracking address and its QR
code, and the masked national code it prints."""

import segno
from flask import current_app, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy.orm import joinedload, selectinload

from app.core.errors import RuleError
from app.core.identifiers import mask_digits
from app.extensions import db
from app.models import Request, User
from app.permissions import requests_visible_to


def receipt_for(user: User, code: str) -> Request | None:
    """The counter request with this tracking code if the user may see it, with everything its receipt prints
    loaded in two queries; None (a 404) otherwise."""
    return (
        db.session.execute(
            requests_visible_to(user)
            .options(
                joinedload(Request.service),
                joinedload(Request.agency),
                joinedload(Request.office),
                joinedload(Request.applicant),
                joinedload(Request.filed_by),
                selectinload(Request.payments),
            )
            .where(Request.tracking_code == code, Request.channel == "counter")
        )
        .unique()
        .scalar_one_or_none()
    )


class NoPublicAddress(RuleError):
    """Neither PUBLIC_BASE_URL nor TRUSTED_HOSTS is set and the request came by a host name not of this machine."""

    status = 503


# The demo's own machine: a Host header naming it cannot send a receipt's reader anywhere else.
LOCAL_HOSTS = {"localhost", "127.0.0.1", "[::1]"}


def tracking_url(code: str) -> str:
    """The absolute public tracking address a receipt prints and its QR code holds: PUBLIC_BASE_URL when set;
    else this request's host, but only when Flask has checked it against TRUSTED_HOSTS or it is this machine
    (the demo). Any other Host header is whatever the sender wrote, so no receipt is built from it."""
    base = current_app.config.get("PUBLIC_BASE_URL")
    if not base:
        host = request.host if request.host.endswith("]") else request.host.rsplit(":", 1)[0]
        if not current_app.config.get("TRUSTED_HOSTS") and host not in LOCAL_HOSTS and not host.endswith(".localhost"):
            raise NoPublicAddress(
                _(
                    "رسید چاپ نمی‌شود: نشانی عمومی سامانه تنظیم نشده است. مدیر سامانه باید PUBLIC_BASE_URL یا "
                    "TRUSTED_HOSTS را تنظیم کند."
                )
            )
        base = request.host_url
    return base.rstrip("/") + url_for("public.track", code=code)


def qr_svg(url: str) -> Markup:
    """An inline SVG QR code (no image request, no script); sized by CSS, so one code serves A5 and 80 mm."""
    qr = segno.make(url, error="m", micro=False)
    return Markup(qr.svg_inline(scale=1, border=4, omitsize=True, svgclass="qr", title=_("کد QR نشانی پیگیری")))


def mask_national_code(code: str | None) -> str:
    """A receipt may be left on a counter: show enough of the national code to recognise it, not to use it."""
    return mask_digits(code, 3, 3) if code else ""
