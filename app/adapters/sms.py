"""Sending SMS. Every message is written to the outbox table; the backend decides whether it also leaves.

SMS_BACKEND=local (default): a simulator — messages stay in the outbox, are logged and listed at /_dev/sms.
SMS_BACKEND=http: a gateway reached by HTTP POST (SMS_HTTP_URL, SMS_HTTP_TOKEN), JSON {"to", "text"}.
"""

import json
import logging
import urllib.request

from flask import current_app
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from app.extensions import db
from app.models import SmsMessage

log = logging.getLogger("panjereh.sms")


def is_simulator() -> bool:
    return current_app.config["SMS_BACKEND"] == "local"


def send(mobile: str, text: object, purpose: str = "") -> SmsMessage:
    """Queue one SMS in the caller's transaction; a gateway backend delivers it after commit."""
    backend = current_app.config["SMS_BACKEND"]
    message = SmsMessage(mobile=mobile, body=str(text), purpose=purpose, backend=backend)
    db.session.add(message)
    if backend == "local":
        log.info("SMS (simulator) to %s: %s", mobile, message.body)
    else:
        _deliver_after_commit(message)
    return message


# Messages waiting for their transaction, kept on the session that wrote them (Session.info).
_PENDING = "sms_pending"


def _deliver_after_commit(message):
    """Post the message when the transaction that wrote its row commits; a rollback drops it with the row.

    Kept on this context's own session: a listener on the scoped session would be shared by every session and
    fire on whichever committed next, also after this one rolled back."""
    config = current_app.config
    url, token = config.get("SMS_HTTP_URL", ""), config.get("SMS_HTTP_TOKEN", "")
    payload = json.dumps({"to": message.mobile, "text": message.body}).encode()
    db.session().info.setdefault(_PENDING, []).append((url, token, payload, message.mobile))


@sa_event.listens_for(Session, "after_commit")
def _post_pending(session):
    for url, token, payload, mobile in session.info.pop(_PENDING, []):
        request = urllib.request.Request(
            url,
            data=payload,
            method="POST",
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=5):
                pass
        except OSError:
            # The outbox row stays; an operator can resend. The person can also ask for a new code.
            log.exception("SMS gateway failed for message to %s", mobile)


@sa_event.listens_for(Session, "after_rollback")
def _drop_pending(session):
    session.info.pop(_PENDING, None)
