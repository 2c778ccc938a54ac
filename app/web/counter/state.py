"""The filing in progress, carried from step to step in one signed hidden field instead of a server-side draft.

Signed, so the page cannot change what an earlier step checked (the verified consent, the service, the
idempotency key); timed, so an abandoned page cannot be finished the next morning. Nothing is kept in process
memory, so any process can serve any step. What the state holds is the counter flow's (app.counter.flow.begin).
"""

from flask import current_app
from itsdangerous import BadData, URLSafeTimedSerializer

from app.counter.flow import STEP_LIFETIME

MAX_AGE_SECONDS = int(STEP_LIFETIME.total_seconds())


def _serializer():
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="panjereh.counter.filing")


def dump(state):
    return _serializer().dumps(state)


def load(token, service, office, clerk):
    """The state if it is genuine, fresh and belongs to this service, office and clerk; otherwise None."""
    try:
        state = _serializer().loads(token or "", max_age=MAX_AGE_SECONDS)
    except BadData:
        return None
    if not isinstance(state, dict) or state.get("v") != 1:
        return None
    if (state.get("service"), state.get("office"), state.get("clerk")) != (service.code, office.code, clerk.public_id):
        return None
    return state
