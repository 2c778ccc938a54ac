"""Paying a fee online through a bank gateway (درگاه پرداخت): start a payment, send the citizen to the gateway,
and, when the gateway sends them back, ask it server-side how the payment ended. Nothing the citizen's browser
brings back is believed; only verify()'s answer is.

PAYMENT_BACKEND=simulator (default): a labelled bank-gateway simulator. Its pages (/pay/simulator/<authority>,
loopback clients only) say «درگاه آزمایشی — پولی جابه‌جا نمی‌شود» and offer pay / fail / cancel; its own table
(SimulatedGatewayPayment) is the "bank's" ledger, which the app reads only through verify(), as it would a bank.
It refuses what a gateway refuses: an unknown or expired session, an amount other than the one started (on its
page and at verification), and verifying a payment that was cancelled or failed.

PAYMENT_BACKEND=http: a real gateway (or an operator's bridge to one) over HTTPS, token-authenticated.
    POST PAYMENT_GATEWAY_URL/payments                 Authorization: Bearer PAYMENT_GATEWAY_TOKEN
    {"order_id": "<ours>", "amount_rial": 4000000, "callback_url": "https://…/pay/callback/<ours>"}
      -> 2xx {"authority": "<the gateway's session id>", "redirect_url": "https://gateway/…"}
    the citizen is sent to redirect_url; the gateway sends them back with a GET to callback_url
    POST PAYMENT_GATEWAY_URL/payments/<authority>/verify
    {"amount_rial": 4000000}
      -> 2xx {"status": "paid" | "failed" | "cancelled" | "pending", "reference": "<RRN>", "amount_rial": 4000000}
Verification must be idempotent at the gateway (asking again about a paid payment answers "paid" with the same
reference), as Iranian gateways' verify is. A timeout (PAYMENT_GATEWAY_TIMEOUT seconds), a refused connection, a
redirect, a non-2xx status or any other body raises GatewayUnavailable: the payment stays pending and is asked
about again later; nothing is filed on a guess.
"""

import json
import logging
import secrets
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta
from http.client import HTTPMessage
from typing import IO

from flask import current_app, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.core.errors import RuleError
from app.extensions import db
from app.models import SimulatedGatewayPayment, utcnow

log = logging.getLogger("panjereh.payments")

BACKENDS = ("simulator", "http")
# How a payment ended, as the gateway says it when asked.
PAID, FAILED, CANCELLED, PENDING = "paid", "failed", "cancelled", "pending"


@dataclass(frozen=True)
class Started:
    """A payment session the gateway opened: its handle and where to send the citizen."""

    authority: str
    redirect_url: str


@dataclass(frozen=True)
class Verdict:
    """The gateway's answer to "how did this payment end?"; `reference` only when paid."""

    state: str
    reference: str = ""


class GatewayUnavailable(RuleError):
    """The gateway could not be asked (or answered nonsense): nothing is decided; ask again later."""

    status = 503

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or str(UNAVAILABLE))


UNAVAILABLE = _l("درگاه پرداخت اکنون پاسخ نمی‌دهد. چند دقیقهٔ دیگر دوباره امتحان کنید؛ چیزی از دست نرفته است.")


def backend() -> str:
    return str(current_app.config["PAYMENT_BACKEND"])


def is_simulator() -> bool:
    return backend() == "simulator"


def start(order_id: str, amount_rial: int, callback_url: str) -> Started:
    """Open a payment session at the gateway for this amount; the citizen goes to `redirect_url` next."""
    if backend() == "simulator":
        return _simulator_start(order_id, amount_rial, callback_url)
    if backend() == "http":
        return _http_start(order_id, amount_rial, callback_url)
    raise RuntimeError(f"unknown PAYMENT_BACKEND {backend()!r}")


def verify(authority: str, amount_rial: int) -> Verdict:
    """Ask the gateway, server-side, how the session ended, stating the amount we expect; idempotent: asking
    again about a paid payment gives the same reference and takes no more money."""
    if backend() == "simulator":
        return _simulator_verify(authority, amount_rial)
    if backend() == "http":
        return _http_verify(authority, amount_rial)
    raise RuntimeError(f"unknown PAYMENT_BACKEND {backend()!r}")


# --- the bank-gateway simulator ----------------------------------------------------------------------------


class SimulatorRefused(RuleError):
    """What the simulated bank's own page refuses (an unknown or expired session, a changed amount)."""


def _simulator_start(order_id, amount_rial, callback_url):
    if amount_rial <= 0:
        raise GatewayUnavailable(_("مبلغ پرداخت باید بیشتر از صفر باشد."))
    minutes = current_app.config["PAYMENT_SESSION_MINUTES"]
    row = SimulatedGatewayPayment(
        authority=secrets.token_urlsafe(24),
        order_id=order_id,
        amount_rial=amount_rial,
        callback_url=callback_url,
        state="started",
        expires_at=utcnow() + timedelta(minutes=minutes),
    )
    db.session.add(row)
    return Started(row.authority, url_for("account.simulator_page", authority=row.authority))


def simulated_session(authority: str) -> SimulatedGatewayPayment | None:
    """The simulated bank's session with this handle, None when it never opened one."""
    query = select(SimulatedGatewayPayment).where(SimulatedGatewayPayment.authority == authority)
    return db.session.execute(query).scalar_one_or_none()


def simulator_expired(row: SimulatedGatewayPayment, now: datetime | None = None) -> bool:
    return row.state == "started" and row.expires_at <= (now or utcnow())


def simulator_act(row: SimulatedGatewayPayment, action: str, amount_shown: str) -> str:
    """The citizen's choice on the simulated bank page: pay, fail (as a declined card) or cancel. Returns the
    callback address to send them back to. A session already ended is not changed again (a resent form)."""
    if action not in ("pay", "fail", "cancel"):
        raise SimulatorRefused(_("یکی از دکمه‌های پرداخت، ناموفق یا انصراف را بزنید."))
    if row.state == "started":
        if simulator_expired(row):
            raise SimulatorRefused(_("مهلت این پرداخت در درگاه تمام شده است. از پنجره دوباره پرداخت را شروع کنید."))
        if action == "pay" and amount_shown != str(row.amount_rial):
            # A bank pays the amount the merchant asked for, never one changed in the page.
            raise SimulatorRefused(_("مبلغ با مبلغ درخواست‌شدهٔ پذیرنده یکی نیست؛ پرداخت انجام نشد."))
        row.state = {"pay": "paid", "fail": "failed", "cancel": "cancelled"}[action]
        row.finished_at = utcnow()
        if row.state == "paid":
            row.reference = "".join(secrets.choice("0123456789") for _digit in range(12))  # an RRN-like number
    return callback_address(row)


def callback_address(row: SimulatedGatewayPayment) -> str:
    """The merchant's callback with what a gateway appends (its handle and a status the merchant must not trust)."""
    status = {"paid": "OK", "cancelled": "CANCELLED"}.get(row.state, "NOK")
    query = urllib.parse.urlencode({"authority": row.authority, "status": status})
    return row.callback_url + ("&" if "?" in row.callback_url else "?") + query


def _simulator_verify(authority, amount_rial):
    row = simulated_session(authority)
    if row is None:
        return Verdict(FAILED)  # the bank never opened this session
    if row.amount_rial != amount_rial:
        log.warning(
            "simulated gateway: verify of %s with %s rial, started with %s", authority, amount_rial, row.amount_rial
        )
        return Verdict(FAILED)
    if simulator_expired(row):
        row.state, row.finished_at = "failed", utcnow()
    if row.state == "started":
        return Verdict(PENDING)
    if row.state != "paid":
        return Verdict(CANCELLED if row.state == "cancelled" else FAILED)
    if row.verified_at is None:
        row.verified_at = utcnow()  # the first verification settles it; asking again only repeats the answer
    return Verdict(PAID, row.reference)


# --- a real gateway over HTTPS -----------------------------------------------------------------------------


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect would carry the token elsewhere: it counts as no answer."""

    def redirect_request(
        self, req: urllib.request.Request, fp: IO[bytes], code: int, msg: str, headers: HTTPMessage, newurl: str
    ) -> urllib.request.Request | None:
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def _call(path: str, body: dict) -> dict:
    config = current_app.config
    request = urllib.request.Request(
        config["PAYMENT_GATEWAY_URL"].rstrip("/") + path,
        data=json.dumps(body).encode(),
        method="POST",
        headers={
            "Content-Type": "application/json",
            "Accept": "application/json",
            "Authorization": f"Bearer {config['PAYMENT_GATEWAY_TOKEN']}",
        },
    )
    try:
        with _opener.open(request, timeout=config["PAYMENT_GATEWAY_TIMEOUT"]) as response:
            answer = json.loads(response.read(64 * 1024))
    except (OSError, ValueError) as error:  # URLError, HTTPError, timeouts; bad JSON
        log.warning("payment gateway gave no answer to %s: %r", path.split("/")[1], error)
        raise GatewayUnavailable() from error
    if not isinstance(answer, dict):
        raise GatewayUnavailable()
    return answer


def _http_start(order_id, amount_rial, callback_url):
    answer = _call("/payments", {"order_id": order_id, "amount_rial": amount_rial, "callback_url": callback_url})
    authority, redirect_url = answer.get("authority"), answer.get("redirect_url")
    if not (isinstance(authority, str) and 0 < len(authority) <= 64 and isinstance(redirect_url, str)):
        log.warning("payment gateway opened a session without an authority or redirect_url")
        raise GatewayUnavailable()
    if urllib.parse.urlsplit(redirect_url).scheme not in _allowed_schemes():
        log.warning("payment gateway sent a redirect_url that is not HTTPS")
        raise GatewayUnavailable()
    return Started(authority, redirect_url)


def _allowed_schemes():
    """HTTPS for the citizen's trip to the bank; plain HTTP only when the gateway itself is configured on HTTP
    (a test double on this machine; config.check refuses that under PREFER_HTTPS)."""
    configured = urllib.parse.urlsplit(current_app.config["PAYMENT_GATEWAY_URL"]).scheme
    return ("https",) if configured == "https" else ("https", "http")


def _http_verify(authority, amount_rial):
    answer = _call(f"/payments/{urllib.parse.quote(authority, safe='')}/verify", {"amount_rial": amount_rial})
    state = answer.get("status")
    if state not in (PAID, FAILED, CANCELLED, PENDING):
        raise GatewayUnavailable()
    if state != PAID:
        return Verdict(state)
    reference = answer.get("reference")
    if not (isinstance(reference, str) and 0 < len(reference) <= 64):
        raise GatewayUnavailable()
    if answer.get("amount_rial") != amount_rial:
        # Paid, but not what we asked for: never file on it (the gateway's operator sorts the difference out).
        log.warning(
            "payment gateway verified %s for %r rial, expected %s", authority, answer.get("amount_rial"), amount_rial
        )
        return Verdict(FAILED)
    return Verdict(PAID, reference)
