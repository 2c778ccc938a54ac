"""The agency desk's inbox with one agency holding 100,000 open requests (issue 13, "Inbox at scale").

    .venv/bin/python benchmarks/desk_inbox.py                     # SQLite, then PostgreSQL when initdb is available
    .venv/bin/python benchmarks/desk_inbox.py --size 20000 --db sqlite

The database (a temporary SQLite file; a throw-away PostgreSQL cluster from tests/postgres.py) is migrated and filled
in bulk: one agency with --size open requests (a mix of submitted, in review, waiting for the citizen and resubmitted;
a third assigned to one of 20 officers; a tenth overdue), and another agency with as many again so the scope matters.
Then, signed in through the real page, each view below is fetched --lookups times: the first page and a later page
(through the "next" cursor) of every tab, the overdue view, and the status, service and overdue filters.

Printed per database and view: p50 and p95 of the whole page (test client, in process) and of the inbox query alone
(the keyset page the view runs). Goal: p95 <= 30 ms. Not a unit test: run it by hand.
"""

import argparse
import random
import re
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade
from sqlalchemy import insert
from sqlalchemy.orm import joinedload

from app import create_app
from app.core.pagination import keyset_page
from app.extensions import db
from app.models import Request, Role, User, utcnow
from app.permissions import desk_tab
from app.requests import sla
from benchmarks.databases import measure_page, on_each, percentiles
from tests import factories

BATCH = 20_000
OFFICERS = 20
CITIZENS = 2_000
NEXT = re.compile(r'href="([^"]+)" rel="next"')


def fill(size, rng):
    """Two agencies with `size` open requests each; returns (manager, officer) usernames of the first."""
    target = factories.service(title="خدمت سنجش کارتابل")
    second = factories.service(factories.service(title="خدمت دوم").agency, title="خدمت دیگر دستگاه دوم")
    sibling = factories.service(target.agency, title="خدمت دوم همان دستگاه")
    manager = factories.staff(Role.AGENCY_MANAGER, username="bench-manager", agency_id=target.agency_id)
    officers = [factories.staff(Role.AGENCY_OFFICER, agency_id=target.agency_id) for _ in range(OFFICERS)]
    db.session.commit()
    db.session.execute(
        insert(User),
        [
            {"public_id": f"benchc{i}", "role": "citizen", "national_code": factories.national_code(50_000 + i)}
            for i in range(CITIZENS)
        ],
    )
    db.session.commit()
    citizens = [row[0] for row in db.session.execute(db.select(User.id).where(User.role == "citizen")).all()]
    now = utcnow()
    statuses = ("submitted", "in_review", "needs_info", "resubmitted")
    count = 0
    for service, total in ((target, size), (sibling, size // 10), (second, size)):
        made = 0
        while made < total:
            rows = []
            for i in range(min(BATCH, total - made)):
                n = count + i
                status = rng.choice(statuses)
                when = now - timedelta(minutes=n)
                late = rng.random() < 0.1
                rows.append(
                    {
                        "tracking_code": f"{n:012d}",
                        "public_id": f"desk{n}",
                        "service_id": service.id,
                        "revision_id": service.current_revision_id,
                        "form_version": 1,
                        "agency_id": service.agency_id,
                        "applicant_id": rng.choice(citizens),
                        "channel": "online",
                        "consent_method": "",
                        "consent_reference": "",
                        "status": status,
                        "answers": {},
                        "result_note": "",
                        "created_at": when,
                        "updated_at": when,
                        "submitted_at": when,
                        "due_at": now - timedelta(days=rng.randint(1, 30)) if late else now + timedelta(days=7),
                        "clock_paused_at": when if status == "needs_info" else None,
                        "assignee_id": rng.choice(officers).id
                        if service.agency_id == target.agency_id and rng.random() < 0.33
                        else None,
                    }
                )
            db.session.execute(insert(Request), rows)
            db.session.commit()
            made += len(rows)
            count += len(rows)
            print(f"  stored {count:,} requests", file=sys.stderr, end="\r")
    print(file=sys.stderr)
    return manager.username, officers[0].username, sibling.code


def measure_query(user, tab, lookups, extra=None):
    timings = []
    for _ in range(lookups + 1):
        started = time.perf_counter()
        query = desk_tab(user, tab).options(joinedload(Request.service), joinedload(Request.assignee))
        query = query.where(Request.awaiting_desk())
        if tab == "late" or extra == "overdue":
            query = query.where(sla.overdue(utcnow()))
        by_due = tab == "late" or extra == "overdue"
        keys = (Request.due_at, Request.id) if by_due else (Request.submitted_at, Request.id)
        keyset_page(query, keys, size=50)
        timings.append((time.perf_counter() - started) * 1000)
        db.session.rollback()
    return percentiles(timings[1:])


def run(label, url, size, lookups):
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "SECRET_KEY": "bench",
            "LOG_LEVEL": "WARNING",
        }
    )
    rng = random.Random(13)
    with app.app_context():
        upgrade()
        started = time.perf_counter()
        manager_name, _officer_name, sibling_code = fill(size, rng)
        with db.engine.begin() as connection:  # fresh statistics, as autovacuum / a nightly ANALYZE would give
            connection.exec_driver_sql("ANALYZE")
        print(f"{label}: filled in {time.perf_counter() - started:.0f} s")
        client = app.test_client()
        response = client.post("/staff/sign-in", data={"username": manager_name, "password": factories.PASSWORD})
        assert response.status_code == 302
        later = NEXT.search(client.get("/desk/?tab=all").get_data(as_text=True))
        views = {
            "all, first page": "/desk/?tab=all",
            "all, next page": later.group(1).replace("&amp;", "&") if later else "/desk/?tab=all",
            "unassigned": "/desk/?tab=unassigned",
            "mine": "/desk/?tab=mine",
            "late (manager)": "/desk/?tab=late",
            "overdue filter": "/desk/?tab=all&overdue=1",
            "status in_review": "/desk/?tab=all&status=in_review",
            "service filter": f"/desk/?tab=all&service={sibling_code}",
        }
        worst = 0.0
        for name, path in views.items():
            p50, p95 = measure_page(client, path, lookups)
            worst = max(worst, p95)
            print(f"{label:10} page  {name:18} p50 {p50:6.2f} ms  p95 {p95:6.2f} ms")
        manager = db.session.execute(db.select(User).filter_by(username=manager_name)).scalar_one()
        for tab, extra in (("all", None), ("unassigned", None), ("late", None), ("all", "overdue")):
            p50, p95 = measure_query(manager, tab, lookups, extra)
            print(f"{label:10} query {tab + (' +' + extra if extra else ''):18} p50 {p50:6.2f} ms  p95 {p95:6.2f} ms")
        verdict = "met" if worst <= 30 else "NOT met"
        print(f"{label:10} worst page p95 {worst:.2f} ms: goal p95 <= 30 ms {verdict}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--lookups", type=int, default=200)
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    args = parser.parse_args()
    on_each(args.db, lambda label, url: run(label, url, args.size, args.lookups))


if __name__ == "__main__":
    main()
