"""Link checks against a local HTTP server (pytest-httpserver), never the internet: each answer gives GOV.UK's
state, a failure is "broken" only on the second check in a row, HEAD refused falls back to GET, one host is never
checked twice at once, and the day's schedule spreads the links over 24 hours."""

import ssl
import subprocess
import threading
import time
from datetime import timedelta

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from app.evaluation import links
from app.extensions import db
from app.jobs import outbox
from app.models import Job, Link, LinkCheck, LinkHost, LinkReference, utcnow
from tests import factories as f

CLOSED_PORT_URL = "http://127.0.0.1:9/card"  # discard port: nothing listens, the connection is refused


@pytest.fixture(autouse=True)
def real_checks(app, monkeypatch):
    """These tests check for real, against local servers (the suite's default is the simulator)."""
    monkeypatch.setitem(app.config, "LINK_CHECK_BACKEND", "http")


def _link_for(url):
    """A card whose deep link is `url`, synced into its Link row."""
    f.service(online_url=url)
    links.sync()
    db.session.commit()
    link = links.link_for_url(url)
    assert link is not None
    return link


def _run_check(link):
    """One check through the outbox, as the worker runs it (the test queue runs it at once, on commit)."""
    job = outbox.schedule(links.KIND, link.id)
    db.session.commit()
    db.session.expire_all()
    job = db.session.get(Job, job.id)
    assert job.state == "done", job.last_error
    return db.session.get(Link, link.id)


def test_a_page_that_answers_200_is_ok_and_the_check_is_recorded(ctx, httpserver):
    httpserver.expect_request("/card", method="HEAD").respond_with_data("", status=200)
    link = _run_check(_link_for(httpserver.url_for("/card")))
    assert link.state == "ok"
    check = db.session.scalars(db.select(LinkCheck).where(LinkCheck.link_id == link.id)).one()
    assert (check.status_code, check.result, check.final_url) == (200, "ok", httpserver.url_for("/card"))
    assert link.last_checked_at is not None


def test_the_checker_says_who_it_is(ctx, app, httpserver, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://panjereh.example.ir")
    httpserver.expect_request(
        "/card", headers={"User-Agent": "Panjereh link checker (+https://panjereh.example.ir)"}
    ).respond_with_data("")
    assert _run_check(_link_for(httpserver.url_for("/card"))).state == "ok"


def test_a_redirect_to_another_host_is_caution_with_the_final_address(ctx, httpserver):
    other = httpserver.url_for("/moved").replace("localhost", "127.0.0.1")
    httpserver.expect_request("/card").respond_with_data("", status=301, headers={"Location": other})
    httpserver.expect_request("/moved").respond_with_data("")
    link = _run_check(_link_for(httpserver.url_for("/card")))
    assert link.state == "caution"
    assert links.history(link)[0].final_url == other


def test_a_redirect_on_the_same_host_is_followed_and_ok(ctx, httpserver):
    httpserver.expect_request("/card").respond_with_data("", status=302, headers={"Location": "/new"})
    httpserver.expect_request("/new").respond_with_data("")
    link = _run_check(_link_for(httpserver.url_for("/card")))
    assert link.state == "ok"
    assert links.history(link)[0].final_url == httpserver.url_for("/new")


def test_more_than_five_redirects_is_a_failure(ctx, httpserver):
    httpserver.expect_request("/loop").respond_with_data("", status=302, headers={"Location": "/loop"})
    found = links.probe(httpserver.url_for("/loop"))
    assert found.result == "failure" and "redirects" in found.error


def test_a_404_is_not_broken_at_once_but_broken_on_the_second_check(ctx, httpserver):
    httpserver.expect_request("/gone").respond_with_data("", status=404)
    link = _link_for(httpserver.url_for("/gone"))
    assert _run_check(link).state == "caution"
    assert _run_check(link).state == "broken"
    assert [check.state for check in links.history(link)] == ["broken", "caution"]


def test_a_good_check_between_two_failures_starts_the_count_again(ctx, httpserver):
    link = _link_for(httpserver.url_for("/flaky"))
    httpserver.expect_ordered_request("/flaky").respond_with_data("", status=500)
    httpserver.expect_ordered_request("/flaky").respond_with_data("")
    httpserver.expect_ordered_request("/flaky").respond_with_data("", status=500)
    assert [_run_check(link).state for _ in range(3)] == ["caution", "ok", "caution"]


def test_a_500_is_broken_after_two(ctx, httpserver):
    httpserver.expect_request("/card").respond_with_data("", status=500)
    link = _link_for(httpserver.url_for("/card"))
    _run_check(link)
    assert _run_check(link).state == "broken"
    assert links.history(link)[0].status_code == 500


def test_a_timeout_is_broken_after_two(ctx, app, monkeypatch):
    monkeypatch.setitem(app.config, "LINK_CHECK_TIMEOUT", 0.3)
    server = HTTPServer(threaded=True)  # its own server: the slow answers must not hold up the next test's

    def slow(_request):
        time.sleep(0.8)
        return Response("")

    server.start()
    try:
        server.expect_request("/slow").respond_with_handler(slow)
        link = _link_for(server.url_for("/slow"))
        assert _run_check(link).state == "caution"
        assert _run_check(link).state == "broken"
        assert "no answer within" in links.history(link)[0].error
    finally:
        server.clear()
        server.stop()


def test_a_refused_connection_is_broken_after_two(ctx):
    link = _link_for(CLOSED_PORT_URL)
    assert _run_check(link).state == "caution"
    assert _run_check(link).state == "broken"
    assert links.history(link)[0].error == "connection refused"


def test_a_certificate_nobody_vouches_for_is_caution_not_broken(ctx, tmp_path):
    """A TLS problem (here a self-signed certificate) is a warning, as in GOV.UK's checker: the page may work."""
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1"]
        + ["-subj", "/CN=localhost"],
        check=True,
        capture_output=True,
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = HTTPServer(ssl_context=context)
    server.start()
    try:
        server.expect_request("/card").respond_with_data("")
        link = _link_for(server.url_for("/card"))
        assert link.url.startswith("https://")
        _run_check(link)
        assert _run_check(link).state == "caution"
        assert "TLS problem" in links.history(link)[0].error
    finally:
        server.clear()
        server.stop()


def test_a_name_that_does_not_resolve_is_a_failure(ctx):
    found = links.probe("http://no-such-host.invalid/card", timeout=2)
    assert found.result == "failure" and "DNS" in found.error


@pytest.mark.parametrize("status", [401, 403, 429])
def test_pages_that_block_checkers_are_caution_and_never_broken(ctx, httpserver, status):
    httpserver.expect_request("/card").respond_with_data("", status=status)
    link = _link_for(httpserver.url_for("/card"))
    _run_check(link)
    assert _run_check(link).state == "caution"


def test_head_refused_then_get_200_is_ok(ctx, httpserver):
    httpserver.expect_request("/card", method="HEAD").respond_with_data("", status=405)
    httpserver.expect_request("/card", method="GET").respond_with_data("page")
    assert _run_check(_link_for(httpserver.url_for("/card"))).state == "ok"


def test_one_hosts_links_are_never_checked_at_once(app):
    """Three probes of one host from three threads against a threaded server: it never sees two at a time."""
    server = HTTPServer(threaded=True)
    server.start()
    busy = {"now": 0, "most": 0}
    guard = threading.Lock()

    def slow(_request):
        with guard:
            busy["now"] += 1
            busy["most"] = max(busy["most"], busy["now"])
        time.sleep(0.2)
        with guard:
            busy["now"] -= 1
        return Response("")

    results = []

    def probe(path):
        with app.app_context():
            results.append(links.probe(server.url_for(path), timeout=5).result)

    try:
        for path in ("/a", "/b", "/c"):
            server.expect_request(path).respond_with_handler(slow)
        threads = [threading.Thread(target=probe, args=(path,)) for path in ("/a", "/b", "/c")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        server.clear()
        server.stop()
    assert results == ["ok", "ok", "ok"]
    assert busy["most"] == 1


def test_a_check_refuses_to_run_while_another_holds_its_host_and_the_outbox_retries_it(ctx, httpserver):
    httpserver.expect_request("/card").respond_with_data("")
    link = _link_for(httpserver.url_for("/card"))
    db.session.add(LinkHost(host=link.host, busy_until=utcnow() + timedelta(minutes=1)))
    job = outbox.schedule(links.KIND, link.id)
    db.session.commit()  # the test queue runs it at once: refused, left for a retry
    db.session.expire_all()
    job = db.session.get(Job, job.id)
    assert job.state == "pending" and "HostBusy" in job.last_error
    assert db.session.get(Link, link.id).last_checked_at is None  # nothing was requested
    assert httpserver.log == []
    db.session.get(LinkHost, link.host).busy_until = None
    db.session.commit()
    assert _run_check(link).state == "ok"


def test_sync_keeps_one_link_per_url_with_what_refers_to_it(ctx):
    owner = f.agency()
    owner.website_url = "https://agency.example.ir/"
    first = f.service(owner, online_url="https://agency.example.ir/")
    second = f.service(owner, online_url="https://e.example.ir/apply")
    links.sync()
    db.session.commit()
    portal = links.link_for_url("https://agency.example.ir/")
    refs = db.session.scalars(db.select(LinkReference).where(LinkReference.link_id == portal.id)).all()
    assert sorted((ref.service_id or 0) for ref in refs) == [0, first.id]
    assert db.session.scalar(db.select(db.func.count()).select_from(Link)) == 2
    # A card that no longer links anywhere takes its link away with it.
    second.current_revision.online_url = ""
    links.sync()
    db.session.commit()
    assert links.link_for_url("https://e.example.ir/apply") is None


def test_the_daily_schedule_spreads_the_checks_over_24_hours_and_keeps_a_hosts_links_apart(ctx):
    owner = f.agency()
    for n in range(6):
        f.service(owner, online_url=f"https://one.example.ir/{n}")
    for n in range(2):
        f.service(owner, online_url=f"https://two.example.ir/{n}")
    start = utcnow().replace(microsecond=0)
    assert links.schedule_day(start) == 8
    db.session.commit()
    jobs = db.session.scalars(db.select(Job).where(Job.kind == links.KIND).order_by(Job.next_try_at)).all()
    moments = [job.next_try_at for job in jobs]
    assert moments[0] == start
    assert moments[-1] - start == timedelta(hours=21)  # 8 checks, 3 hours apart, all within the day
    assert all(later - earlier == timedelta(hours=3) for earlier, later in zip(moments, moments[1:], strict=False))
    hosts = [db.session.get(Link, int(job.ref)).host for job in jobs]
    # The two hosts take turns while both have links left: never the same host twice in a row until then.
    assert hosts[:4] == ["one.example.ir", "two.example.ir"] * 2
    # Not due yet: the outbox leaves them alone until their moment.
    assert outbox.run(jobs[-1].id) == "skipped"


def test_the_daily_task_schedules_once_a_day(app, monkeypatch):
    from app.jobs import tasks

    with app.app_context():
        f.service(online_url="https://one.example.ir/x")
        db.session.commit()
    assert tasks.daily_link_checks.call_local() == 1
    assert tasks.daily_link_checks.call_local() is None
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Job).where(Job.kind == links.KIND)) == 1


def test_the_simulator_asks_nobody_and_refuses_what_a_real_check_would(ctx, app, monkeypatch):
    monkeypatch.setitem(app.config, "LINK_CHECK_BACKEND", "simulator")
    # A server that must not be asked: the simulator never opens a connection (the discard port would refuse it).
    assert links.probe(CLOSED_PORT_URL).result in ("ok", "caution", "failure")
    assert links.probe("ftp://files.example.ir/form.pdf") == links.Probe("failure", error="not an http(s) address")
    nowhere = links.probe("https://portal.example.invalid/apply")
    assert nowhere.result == "failure" and "DNS failure" in nowhere.error
    # The same address gets the same outcome every day, and most addresses answer.
    urls = [f"https://agency{n}.example.ir/service/{n}" for n in range(400)]
    outcomes = [links.probe(url).result for url in urls]
    assert outcomes == [links.probe(url).result for url in urls]
    assert outcomes.count("ok") > 320 and outcomes.count("failure") > 0 and outcomes.count("caution") > 0


def test_a_link_failing_in_the_simulator_is_broken_on_its_second_check(ctx, app, monkeypatch):
    monkeypatch.setitem(app.config, "LINK_CHECK_BACKEND", "simulator")
    failing = next(
        url
        for url in (f"https://agency.example.ir/s/{n}" for n in range(500))
        if links.simulated_probe(url).status_code == 404
    )
    link = _link_for(failing)
    assert _run_check(link).state == "caution"
    assert _run_check(link).state == "broken"


def test_the_site_says_link_checks_are_simulated(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "LINK_CHECK_BACKEND", "simulator")
    assert "بررسی پیوندها شبیه‌سازی می‌شود" in client.get("/").get_data(as_text=True)
    monkeypatch.setitem(app.config, "LINK_CHECK_BACKEND", "http")
    assert "بررسی پیوندها شبیه‌سازی می‌شود" not in client.get("/").get_data(as_text=True)
