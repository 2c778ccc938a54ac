"""Daily link checks (issue 14): every card's deep link and every agency's portal address, checked by background
work spread over the day, one request at a time per host, with GOV.UK link-checker-api's states.

A check's own outcome is "ok", "caution" (a redirect to another host, a TLS problem, a page that answers 401, 403
or 429 to bots) or "failure" (another 4xx or 5xx, a DNS failure, a refused connection, a timeout, too many
redirects). What pages show is the link's `state`: a failure makes it "caution" the first time and "broken" only
when the check before it failed too, so one bad minute on a server does not mark a card broken.
"""

from __future__ import annotations

import hashlib
import http.client
import socket
import ssl
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import CursorResult, bindparam, delete, select, update

from app.catalogue import version as catalogue_version
from app.extensions import db
from app.jobs import outbox
from app.models import Agency, Job, Link, LinkCheck, LinkHost, LinkReference, Service, ServiceRevision, utcnow

KIND = "link_check"
MAX_REDIRECTS = 5
BOT_BLOCKING = (401, 403, 429)
HEAD_REFUSED = (405, 501)
DAY = timedelta(hours=24)

# Within one process, checks of a host also wait for each other (the LinkHost row covers several processes).
_HOST_LOCKS: defaultdict[str, threading.Lock] = defaultdict(threading.Lock)
_HOST_LOCKS_GUARD = threading.Lock()


class HostBusy(RuntimeError):
    """Another check of the same host is running: the outbox tries this one again after its backoff."""


@dataclass
class Probe:
    """What one check found."""

    result: str  # ok, caution, failure
    status_code: int | None = None
    final_url: str = ""
    error: str = ""


def host_of(url: str) -> str:
    return (urllib.parse.urlsplit(url).hostname or "").lower()


def user_agent() -> str:
    site = current_app.config.get("PUBLIC_BASE_URL") or "panjereh"
    return f"Panjereh link checker (+{site})"


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Redirects come back as answers (HTTPError with a Location), so probe() follows them itself and counts."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def _request(url: str, method: str, timeout: float) -> tuple[int, str]:
    """One request; its status and its Location header (empty when none)."""
    opener = urllib.request.build_opener(_NoRedirects)
    request = urllib.request.Request(url, method=method, headers={"User-Agent": user_agent(), "Accept": "*/*"})
    try:
        with opener.open(request, timeout=timeout) as response:
            if method == "GET":
                response.read(65536)  # enough to know the page answers; never the whole of a large file
            return response.status, response.headers.get("Location", "")
    except urllib.error.HTTPError as answer:
        location = answer.headers.get("Location", "") if answer.headers else ""
        answer.close()
        return answer.code, location


def _reason(error: BaseException) -> BaseException:
    return (
        error.reason if isinstance(error, urllib.error.URLError) and isinstance(error.reason, BaseException) else error
    )


def simulated_probe(url: str) -> Probe:
    """The link-check simulator (LINK_CHECK_BACKEND=simulator): no request leaves the machine. What it refuses, a
    real check would refuse too (an address that is not http(s), a host under .invalid or .test, which never
    resolve); anything else gets an outcome drawn from the address alone, so it is the same every day: about 90 in
    100 answer, 6 redirect to another host (caution) and 4 fail with a 404 (broken from their second check)."""
    parts = urllib.parse.urlsplit(url)
    host = host_of(url)
    if parts.scheme not in ("http", "https") or not host:
        return Probe("failure", error="not an http(s) address")
    if host.endswith((".invalid", ".test")):
        return Probe("failure", None, url, f"DNS failure: {host} does not resolve (simulated)")
    draw = int.from_bytes(hashlib.sha256(url.encode()).digest()[:2], "big") % 100
    if draw < 4:
        return Probe("failure", 404, url, "HTTP 404 (simulated)")
    if draw < 10:
        elsewhere = f"https://portal.{host}/"
        return Probe("caution", 200, elsewhere, f"redirects to another host (portal.{host}) (simulated)")
    return Probe("ok", 200, url)


def probe(url: str, timeout: float | None = None) -> Probe:
    """Check one URL now: HEAD first (GET when HEAD is refused with 405/501), following at most MAX_REDIRECTS
    redirects and recording where it ended. Only one probe of a host runs at a time in this process. With the
    simulator configured, simulated_probe answers instead."""
    if current_app.config.get("LINK_CHECK_BACKEND", "simulator") == "simulator":
        return simulated_probe(url)
    timeout = timeout if timeout is not None else float(current_app.config["LINK_CHECK_TIMEOUT"])
    start_host = host_of(url)
    if urllib.parse.urlsplit(url).scheme not in ("http", "https") or not start_host:
        return Probe("failure", error="not an http(s) address")
    with _HOST_LOCKS_GUARD:
        lock = _HOST_LOCKS[start_host]
    with lock:
        return _probe(url, start_host, timeout)


def _probe(url: str, start_host: str, timeout: float) -> Probe:
    current = url
    try:
        for _ in range(MAX_REDIRECTS + 1):
            status, location = _request(current, "HEAD", timeout)
            if status in HEAD_REFUSED:
                status, location = _request(current, "GET", timeout)
            if 300 <= status < 400 and location:
                current = urllib.parse.urljoin(current, location)
                continue
            if status in BOT_BLOCKING:
                return Probe("caution", status, current, f"the page answers {status} to a checker")
            if status >= 400:
                return Probe("failure", status, current, f"HTTP {status}")
            if host_of(current) != start_host:
                return Probe("caution", status, current, f"redirects to another host ({host_of(current)})")
            return Probe("ok", status, current)
        return Probe("failure", None, current, f"more than {MAX_REDIRECTS} redirects")
    except (ssl.SSLError, ssl.CertificateError) as error:
        return Probe("caution", None, current, f"TLS problem: {error}")
    except urllib.error.URLError as error:
        reason = _reason(error)
        if isinstance(reason, ssl.SSLError | ssl.CertificateError):
            return Probe("caution", None, current, f"TLS problem: {reason}")
        if isinstance(reason, socket.gaierror):
            return Probe("failure", None, current, f"DNS failure: {reason}")
        if isinstance(reason, ConnectionRefusedError):
            return Probe("failure", None, current, "connection refused")
        if isinstance(reason, TimeoutError):
            return Probe("failure", None, current, f"no answer within {timeout:g} s")
        return Probe("failure", None, current, f"{type(reason).__name__}: {reason}")
    except TimeoutError:
        return Probe("failure", None, current, f"no answer within {timeout:g} s")
    except (OSError, http.client.HTTPException, ValueError) as error:
        return Probe("failure", None, current, f"{type(error).__name__}: {error}")


# --- the links and what refers to them ---------------------------------------------------------------------


def _wanted(agency_id: int | None = None) -> dict[str, list[tuple[int, int | None]]]:
    """URL -> [(agency id, service id or None)]: the current cards' deep links and the agencies' portal addresses."""
    wanted: dict[str, list[tuple[int, int | None]]] = defaultdict(list)
    cards = (
        select(Service.id, Service.agency_id, ServiceRevision.online_url)
        .join(ServiceRevision, ServiceRevision.id == Service.current_revision_id)
        .where(Service.is_active.is_(True), ServiceRevision.online_url != "")
    )
    agencies = select(Agency.id, Agency.website_url).where(Agency.website_url != "")
    if agency_id is not None:
        cards = cards.where(Service.agency_id == agency_id)
        agencies = agencies.where(Agency.id == agency_id)
    for service_id, owner, url in db.session.execute(cards):
        wanted[url.strip()].append((owner, service_id))
    for owner, url in db.session.execute(agencies):
        wanted[url.strip()].append((owner, None))
    return wanted


def sync(agency_id: int | None = None) -> list[Link]:
    """Bring the Link rows and their references in line with the cards and agencies (one agency's when given);
    the links no longer referred to by anything are removed with their history. Returns the links in scope."""
    wanted = _wanted(agency_id)
    existing = {link.url: link for link in db.session.scalars(select(Link).where(Link.url.in_(list(wanted))))}
    links = []
    for url, refs in wanted.items():
        link = existing.get(url)
        if link is None:
            link = Link(url=url, host=host_of(url), state="pending", failures=0)
            db.session.add(link)
            db.session.flush()
        clear = delete(LinkReference).where(LinkReference.link_id == link.id)
        if agency_id is not None:
            clear = clear.where(LinkReference.agency_id == agency_id)
        db.session.execute(clear)
        for owner, service_id in dict.fromkeys(refs):
            db.session.add(LinkReference(link_id=link.id, agency_id=owner, service_id=service_id))
        links.append(link)
    # References of this scope to URLs that are gone, then links that nothing refers to any more.
    stale = delete(LinkReference).where(LinkReference.link_id.not_in([link.id for link in links]))
    if agency_id is not None:
        stale = stale.where(LinkReference.agency_id == agency_id)
    db.session.execute(stale)
    db.session.flush()
    orphans = select(Link.id).where(~select(LinkReference.id).where(LinkReference.link_id == Link.id).exists())
    db.session.execute(delete(Link).where(Link.id.in_(orphans)).execution_options(synchronize_session=False))
    db.session.flush()
    return links


# --- checking -----------------------------------------------------------------------------------------------


def record(link: Link, found: Probe, now: datetime | None = None) -> LinkCheck:
    """Store one check and move the link's state: a failure is "broken" only after the check before failed too."""
    now = now or utcnow()
    before = link.state
    if found.result == "failure":
        link.failures = (link.failures or 0) + 1
        link.state = "broken" if link.failures >= 2 else "caution"
    else:
        link.failures = 0
        link.state = found.result
    link.last_checked_at = now
    check = LinkCheck(
        link_id=link.id,
        checked_at=now,
        status_code=found.status_code,
        final_url=found.final_url[:500],
        error=found.error[:2000],
        result=found.result,
        state=link.state,
    )
    db.session.add(check)
    if link.state != before:
        catalogue_version.bump()  # cached card pages say whether their link works
    return check


def _hold_host(host: str, timeout: float) -> bool:
    """Take the host for one check (committed at once, so other processes see it); False when another holds it."""
    now = utcnow()
    if db.session.get(LinkHost, host) is None:
        db.session.add(LinkHost(host=host, busy_until=None))
        try:
            db.session.commit()
        except Exception:  # another process added it first: fine, the UPDATE below decides
            db.session.rollback()
    hold = (
        update(LinkHost)
        .where(LinkHost.host == host, (LinkHost.busy_until.is_(None)) | (LinkHost.busy_until < now))
        .values(busy_until=now + timedelta(seconds=timeout * (MAX_REDIRECTS + 2) + 5))
        .execution_options(synchronize_session=False)
    )
    held = cast(CursorResult[Any], db.session.execute(hold)).rowcount == 1
    db.session.commit()
    return held


def _release_host(host: str) -> None:
    db.session.execute(
        update(LinkHost)
        .where(LinkHost.host == host)
        .values(busy_until=None)
        .execution_options(synchronize_session=False)
    )


def check(link: Link) -> LinkCheck:
    """Check one link now and record it (the caller commits); HostBusy when another check holds its host."""
    timeout = float(current_app.config["LINK_CHECK_TIMEOUT"])
    link_id, url, host = link.id, link.url, link.host
    if not _hold_host(host, timeout):
        raise HostBusy(f"another check of {host} is running")
    try:
        found = probe(url, timeout)
    finally:
        _release_host(host)
    fresh = db.session.get(Link, link_id)
    assert fresh is not None
    return record(fresh, found)


@outbox.handler(KIND, label=_l("بررسی پیوندها"))
def run_check(job: Job) -> None:
    """One link's check; a link removed since it was scheduled is nothing to do."""
    link = db.session.get(Link, int(job.ref)) if job.ref.isdigit() else None
    if link is not None:
        check(link)


def spread(links: list[Link], start: datetime, span: timedelta = DAY) -> list[tuple[Link, datetime]]:
    """Moments for the day's checks, evenly over `span`, taking the hosts in turn (a host's links are as far apart
    as the number of hosts allows; one host with many links gets the whole day between them)."""
    by_host: dict[str, list[Link]] = defaultdict(list)
    for link in sorted(links, key=lambda item: item.id):
        by_host[link.host].append(link)
    ordered: list[Link] = []
    queues = [by_host[host] for host in sorted(by_host)]
    while any(queues):
        for waiting in queues:
            if waiting:
                ordered.append(waiting.pop(0))
    if not ordered:
        return []
    step = span / len(ordered)
    return [(link, start + step * index) for index, link in enumerate(ordered)]


def schedule_day(start: datetime | None = None) -> int:
    """The daily scheduler's work (the caller commits): sync the links, then one outbox job per link at its
    moment of the coming 24 hours. Returns how many were scheduled."""
    start = start or utcnow()
    planned = spread(sync(), start)
    for link, moment in planned:
        outbox.schedule(KIND, link.id, not_before=moment)
    return len(planned)


def check_agency(agency: Agency) -> list[tuple[Link, LinkCheck]]:
    """The command's work: sync and check one agency's links now, one after another (each committed)."""
    links = sync(agency.id)
    db.session.commit()
    done = []
    for link in links:
        done.append((link, check(link)))
        db.session.commit()
    return done


# --- what pages read ----------------------------------------------------------------------------------------


_BY_URL = select(Link).where(Link.url == bindparam("url"))  # built once: every card view runs it


def link_for_url(url: str) -> Link | None:
    return db.session.scalar(_BY_URL, {"url": url.strip()}) if url else None


def history(link: Link, limit: int = 10) -> list[LinkCheck]:
    return list(
        db.session.scalars(
            select(LinkCheck).where(LinkCheck.link_id == link.id).order_by(LinkCheck.checked_at.desc()).limit(limit)
        )
    )


def recent_checks(link_ids: list[int], days: int = 7) -> dict[int, list[LinkCheck]]:
    """Each link's checks of the last `days` days, newest first (the history the desk and admin pages show)."""
    found: dict[int, list[LinkCheck]] = defaultdict(list)
    if not link_ids:
        return found
    rows = db.session.scalars(
        select(LinkCheck)
        .where(LinkCheck.link_id.in_(link_ids), LinkCheck.checked_at >= utcnow() - timedelta(days=days))
        .order_by(LinkCheck.checked_at.desc(), LinkCheck.id.desc())
    )
    for row in rows:
        found[row.link_id].append(row)
    return found


@dataclass
class LinkRow:
    """A link as the desk and admin pages list it: what refers to it and its recent checks, newest first."""

    link: Link
    references: list[LinkReference]
    checks: list[LinkCheck]

    @property
    def last(self) -> LinkCheck | None:
        return self.checks[0] if self.checks else None


STATE_ORDER = {"broken": 0, "caution": 1, "pending": 2, "ok": 3}
STATE_LABELS = {
    "ok": _l("سالم"),
    "caution": _l("نیازمند بررسی"),
    "broken": _l("خراب"),
    "pending": _l("هنوز بررسی نشده"),
}


def rows(references: Any, states: tuple[str, ...] = ("broken", "caution")) -> list[LinkRow]:
    """The links behind a scoped LinkReference query (permissions.link_references_visible_to), in the given
    states, worst first."""
    found = db.session.scalars(references.where(Link.state.in_(states)).order_by(LinkReference.id)).all()
    grouped: dict[int, list[LinkReference]] = defaultdict(list)
    for reference in found:
        grouped[reference.link_id].append(reference)
    links = {link.id: link for link in db.session.scalars(select(Link).where(Link.id.in_(list(grouped))))}
    recent = recent_checks(list(grouped))
    listed = [LinkRow(links[link_id], refs, recent.get(link_id, [])) for link_id, refs in grouped.items()]
    return sorted(listed, key=lambda row: (STATE_ORDER[row.link.state], row.link.url))
