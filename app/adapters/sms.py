"""Sending SMS. The request only writes the message and its outbox job (app/jobs/outbox.py) in its own
transaction; the worker sends it after the commit, retrying a gateway that fails, and never sends a message twice.

SMS_BACKEND=local (default): a simulator — the worker marks the message sent into the simulator's outbox, which
/_dev/sms lists (and the log shows).
SMS_BACKEND=http: a gateway reached by HTTP POST (SMS_HTTP_URL, SMS_HTTP_TOKEN), JSON {"to", "text"}.
"""

import hashlib
import hmac
import json
import logging
import urllib.request

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.extensions import db
from app.jobs import outbox, queue
from app.models import Job, SmsMessage

log = logging.getLogger("panjereh.sms")

# A code someone is waiting for at a screen goes before notices.
PRIORITIES = {"otp": queue.URGENT}


def is_simulator() -> bool:
    return current_app.config["SMS_BACKEND"] == "local"


def send(mobile: str, text: object, purpose: str = "") -> SmsMessage:
    """Queue one SMS in the caller's transaction: the message and the job that sends it, both gone on rollback."""
    backend = current_app.config["SMS_BACKEND"]
    job = outbox.schedule("sms", priority=PRIORITIES.get(purpose, queue.NORMAL))
    message = SmsMessage(mobile=mobile, body=str(text), purpose=purpose, backend=backend, status="stored", job=job)
    db.session.add(message)
    return message


@outbox.handler("sms", label=_l("پیامک"))
def deliver(job: Job) -> None:
    """The worker's side: send the job's message unless it was sent already (a retry after a lost commit, or a
    message removed by retention: nothing to do). A gateway error raises, and the outbox retries."""
    message = db.session.execute(select(SmsMessage).where(SmsMessage.job_id == job.id)).scalar_one_or_none()
    if message is None or message.status == "sent":
        return
    if message.backend == "local":
        log.info("SMS (simulator) to %s: %s", message.mobile, message.body)
    else:
        _post(message)
    message.status = "sent"  # committed by the outbox with the job's "done", in one transaction


def idempotency_key(message: SmsMessage) -> str:
    """A stable key per message for the gateway's deduplication; keyed with SECRET_KEY so no row id leaves us."""
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, f"sms:{message.id}".encode(), hashlib.sha256).hexdigest()[:32]


def _post(message: SmsMessage) -> None:
    config = current_app.config
    key = idempotency_key(message)
    request = urllib.request.Request(
        config.get("SMS_HTTP_URL", ""),
        data=json.dumps({"id": key, "to": message.mobile, "text": message.body}).encode(),
        method="POST",
        # The same message resent after a worker died between the gateway's answer and our commit carries the same
        # key, so a gateway that deduplicates on it delivers it once (at-least-once here, exactly-once there).
        headers={
            "Content-Type": "application/json",
            "Authorization": f"Bearer {config.get('SMS_HTTP_TOKEN', '')}",
            "Idempotency-Key": key,
        },
    )
    with urllib.request.urlopen(request, timeout=5):
        pass
