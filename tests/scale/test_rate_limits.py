"""Rate limits across processes: counted once in Redis, so 120 per address is 120 whichever process answers."""

from app.extensions import db
from tests import factories as f
from tests.redis import free_port
from tests.scale.conftest import Visitor


def _tracked_request():
    """A filed request and its applicant's national code, committed for the other processes to read."""
    applicant = f.citizen()
    request = f.filed(f.service(title="صدور پروانهٔ آزمون مقیاس"), applicant)
    db.session.commit()
    return request.tracking_code, applicant.national_code


def _lookup(visitor, port, csrf, code, national_code):
    return visitor.request(port, "POST", "/track", {"csrf_token": csrf, "code": code, "national_code": national_code})


def test_121st_tracking_lookup_from_one_address_is_refused_whichever_process_answers(scale, app):
    with app.app_context():
        code, national_code = _tracked_request()
    a, b = scale.port("a"), scale.port("b")
    visitor = Visitor()
    csrf = visitor.csrf(a, "/track")  # one session cookie, signed with the key both processes share
    for n in range(120):
        status, page = _lookup(visitor, (a, b)[n % 2], csrf, code, national_code)
        assert status == 200, (n, status)
        assert "صدور پروانهٔ آزمون مقیاس" in page
    # Counted per process, each would have seen only 60 and answered on.
    assert _lookup(visitor, a, csrf, code, national_code)[0] == 429
    assert _lookup(visitor, b, csrf, code, national_code)[0] == 429
    # Another address is not held back: the limit is per client address (a reverse proxy's X-Forwarded-For).
    assert Visitor().request(b, "GET", "/track")[0] == 200


def test_limits_still_hold_per_process_while_redis_is_unreachable(scale, app):
    with app.app_context():
        code, national_code = _tracked_request()
    closed = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    process = scale.start_web("no-redis", RATELIMIT_STORAGE_URI=closed, REDIS_URL=closed)
    try:
        visitor = Visitor()
        csrf = visitor.csrf(process.port, "/track")
        statuses = [_lookup(visitor, process.port, csrf, code, national_code)[0] for _ in range(121)]
        assert statuses == [200] * 120 + [429]  # never a 500: the lookups count in the process meanwhile
        assert "falling back to in-memory storage" in process.log_tail(200)
    finally:
        process.stop()


def test_behind_the_proxy_the_limit_is_per_forwarded_client_address(scale, app):
    with app.app_context():
        code, national_code = _tracked_request()
    # README's recipe: the app trusts one proxy hop, and waitress (3 drops X-Forwarded-For by default) keeps it.
    process = scale.start_web("proxied", ["--no-clear-untrusted-proxy-headers"], TRUSTED_PROXIES="1")
    try:
        visitor = Visitor({"X-Forwarded-For": "203.0.113.7"})
        csrf = visitor.csrf(process.port, "/track")
        statuses = [_lookup(visitor, process.port, csrf, code, national_code)[0] for _ in range(121)]
        assert statuses == [200] * 120 + [429]
        # Everyone comes from the proxy's own address; a different person behind it is not held back.
        neighbour = Visitor({"X-Forwarded-For": "203.0.113.8"})
        csrf = neighbour.csrf(process.port, "/track")
        assert _lookup(neighbour, process.port, csrf, code, national_code)[0] == 200
    finally:
        process.stop()
