"""A counter receipt: the counter request it is for (in the user's scope), the public tracking address and its QR
code, and the masked national code it prints."""

import segno
from flask import current_app, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy.orm import joinedload, selectinload

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


def tracking_url(code: str) -> str:
    """The absolute public tracking address: PUBLIC_BASE_URL when set (behind a proxy), else this host."""
    base = (current_app.config.get("PUBLIC_BASE_URL") or request.host_url).rstrip("/")
    return base + url_for("public.track", code=code)


def qr_svg(url: str) -> Markup:
    """An inline SVG QR code (no image request, no script); sized by CSS, so one code serves A5 and 80 mm."""
    qr = segno.make(url, error="m", micro=False)
    return Markup(qr.svg_inline(scale=1, border=4, omitsize=True, svgclass="qr", title=_("کد QR نشانی پیگیری")))


def mask_national_code(code: str | None) -> str:
    """A receipt may be left on a counter: show enough of the national code to recognise it, not to use it."""
    code = code or ""
    return code[:3] + "•" * max(len(code) - 6, 0) + code[-3:] if len(code) >= 6 else code
