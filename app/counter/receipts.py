"""What a counter receipt prints besides the request: the public tracking address and its QR code."""

import segno
from flask import current_app, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup


def tracking_url(code):
    """The absolute public tracking address: PUBLIC_BASE_URL when set (behind a proxy), else this host."""
    base = (current_app.config.get("PUBLIC_BASE_URL") or request.host_url).rstrip("/")
    return base + url_for("public.track", code=code)


def qr_svg(url):
    """An inline SVG QR code (no image request, no script); sized by CSS, so one code serves A5 and 80 mm."""
    qr = segno.make(url, error="m", micro=False)
    return Markup(qr.svg_inline(scale=1, border=4, omitsize=True, svgclass="qr", title=_("کد QR نشانی پیگیری")))


def mask_national_code(code):
    """A receipt may be left on a counter: show enough of the national code to recognise it, not to use it."""
    code = code or ""
    return code[:3] + "•" * max(len(code) - 6, 0) + code[-3:] if len(code) >= 6 else code
