"""Agency scores at national scale (issue 14, "Scale"): 170 agencies, 6,000 services and 1,000,000 requests.

    .venv/bin/python benchmarks/evaluation.py                          # SQLite, then PostgreSQL when initdb is there
    .venv/bin/python benchmarks/evaluation.py --requests 100000 --db sqlite

The database (a temporary SQLite file; a throw-away PostgreSQL cluster from tests/postgres.py) is migrated and filled
in bulk: 170 agencies across the provinces, 6,000 published cards (about a third fully electronic, fields filled
unevenly), a link per card and per agency portal (one in twelve broken), inquiry types with cards declaring them,
and --requests requests over the last 120 days (most decided, some late against their declared time), with one in
ten carrying an inquiry (most answered by their due time).

Timed: one full score computation stored as a snapshot (app/evaluation/scores.py store; goal <= 60 s), then the p95 of
/ranking, /ranking?province=<code> and an agency page served from that snapshot, and of /dashboard when that route
exists, each fetched --lookups times with the page cache off (so every fetch runs the view and its queries; goal
p95 <= 30 ms). Not a unit test: run it by hand.
"""

import argparse
import random
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade
from sqlalchemy import insert, select, update

from app import create_app
from app.evaluation import scores
from app.extensions import db
from app.models import (
    Agency,
    Inquiry,
    InquiryType,
    Link,
    LinkReference,
    Province,
    Request,
    Service,
    ServiceInquiry,
    ServiceRevision,
    User,
    utcnow,
)
from benchmarks.databases import measure_page, on_each
from tests import factories

AGENCIES = 170
SERVICES = 6_000
CITIZENS = 2_000
BATCH = 20_000
STATUSES = ("submitted", "in_review", "needs_info", "resubmitted")


def _chunks(rows, size=BATCH):
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def fill(requests, rng):
    now = utcnow()
    provinces = [row[0] for row in db.session.execute(select(Province.id).order_by(Province.code)).all()]
    statuses = ("connected", "redirect", "not_connected")
    db.session.execute(
        insert(Agency),
        [
            {
                "code": f"B{n:04d}",
                "name": f"دستگاه سنجش {n}",
                "level": "national" if n < 60 else "provincial",
                "province_id": None if n < 60 else provinces[n % len(provinces)],
                "connection_status": statuses[n % 3],
                "website_url": f"https://agency{n}.example.ir/",
            }
            for n in range(AGENCIES)
        ],
    )
    agencies = [row[0] for row in db.session.execute(select(Agency.id).order_by(Agency.id)).all()]
    db.session.execute(
        insert(Service),
        [{"code": f"8{n:06d}", "agency_id": agencies[n % AGENCIES], "title": f"خدمت {n}"} for n in range(SERVICES)],
    )
    services = db.session.execute(select(Service.id, Service.agency_id).order_by(Service.id)).all()
    revisions = []
    for n, (service_id, _agency) in enumerate(services):
        electronic = rng.random() < 0.35
        mode = "electronic" if electronic else "in_person"
        revisions.append(
            {
                "service_id": service_id,
                "number": 1,
                "status": "approved",
                "title": f"خدمت {n}",
                "summary": "شرح" if rng.random() < 0.9 else "",
                "audience": "همه" if rng.random() < 0.7 else "",
                "documents": ["شناسنامه"] if rng.random() < 0.8 else [],
                "procedure": ["ثبت"] if rng.random() < 0.6 else [],
                "channels": ["برخط"] if rng.random() < 0.75 else [],
                "duration_days": rng.choice((1, 3, 5, 7, 10, 15)),
                "stage_information": "electronic",
                "stage_request": "electronic" if electronic or rng.random() < 0.5 else "in_person",
                "stage_production": mode,
                "stage_delivery": mode,
            }
        )
    for chunk in _chunks(revisions):
        db.session.execute(insert(ServiceRevision), chunk)
    pairs = db.session.execute(select(ServiceRevision.service_id, ServiceRevision.id, ServiceRevision.duration_days))
    declared = {}
    for service_id, revision_id, days in pairs.all():
        declared[service_id] = (revision_id, days)
    db.session.execute(
        update(Service),
        [{"id": service_id, "current_revision_id": revision_id} for service_id, (revision_id, _d) in declared.items()],
    )
    # Links: one per card and one per agency portal, one in twelve broken.
    links = [{"url": f"https://s{n}.example.ir/", "host": f"s{n % 300}.example.ir"} for n in range(SERVICES)]
    links += [{"url": f"https://agency{n}.example.ir/", "host": f"agency{n}.example.ir"} for n in range(AGENCIES)]
    for row in links:
        row["state"] = "broken" if rng.random() < 1 / 12 else "ok"
    db.session.execute(insert(Link), links)
    link_ids = [row[0] for row in db.session.execute(select(Link.id).order_by(Link.id)).all()]
    references = [
        {"link_id": link_ids[n], "agency_id": agency, "service_id": service_id}
        for n, (service_id, agency) in enumerate(services)
    ]
    references += [
        {"link_id": link_ids[SERVICES + n], "agency_id": agency, "service_id": None}
        for n, agency in enumerate(agencies)
    ]
    db.session.execute(insert(LinkReference), references)
    # Inquiry types (one per tenth agency) and cards declaring them, a third replacing a document.
    db.session.execute(
        insert(InquiryType),
        [{"code": f"bench-{n}", "agency_id": agencies[n * 10], "title": f"استعلام {n}"} for n in range(17)],
    )
    types = [row[0] for row in db.session.execute(select(InquiryType.id).order_by(InquiryType.id)).all()]
    db.session.execute(
        insert(ServiceInquiry),
        [
            {"service_id": service_id, "inquiry_type_id": rng.choice(types), "replaces": [0] if n % 3 == 0 else []}
            for n, (service_id, _agency) in enumerate(services)
            if n % 4 == 0
        ],
    )
    db.session.execute(
        insert(User),
        [
            {"public_id": f"benche{i}", "role": "citizen", "national_code": factories.national_code(70_000 + i)}
            for i in range(CITIZENS)
        ],
    )
    db.session.commit()
    citizens = [row[0] for row in db.session.execute(select(User.id).where(User.role == "citizen")).all()]
    made = 0
    while made < requests:
        rows, inquiries = [], []
        for i in range(min(BATCH, requests - made)):
            n = made + i
            service_id, agency = services[n % SERVICES]
            revision_id, days = declared[service_id]
            submitted = now - timedelta(days=rng.uniform(0, 120))
            taken = timedelta(days=days * (rng.uniform(0.1, 1.0) if rng.random() < 0.8 else rng.uniform(1.0, 3.0)))
            decided = submitted + taken if submitted + taken < now and rng.random() < 0.9 else None
            status = ("approved" if rng.random() < 0.85 else "rejected") if decided else rng.choice(STATUSES)
            rows.append(
                {
                    "tracking_code": f"{n:012d}",
                    "public_id": f"eval{n}",
                    "service_id": service_id,
                    "revision_id": revision_id,
                    "agency_id": agency,
                    "applicant_id": citizens[n % CITIZENS],
                    "status": status,
                    "answers": {},
                    "created_at": submitted,
                    "updated_at": decided or submitted,
                    "submitted_at": submitted,
                    "due_at": submitted + timedelta(days=days),
                    "decided_at": decided,
                }
            )
        db.session.execute(insert(Request), rows)
        first = db.session.execute(select(Request.id).filter_by(public_id=f"eval{made}")).scalar_one()
        for i, row in enumerate(rows):
            if i % 10 == 0:
                due = row["submitted_at"] + timedelta(hours=1)
                answered = due - timedelta(minutes=20) if rng.random() < 0.85 else due + timedelta(hours=3)
                inquiries.append(
                    {
                        "request_id": first + i,
                        "inquiry_type_id": types[i % len(types)],
                        "state": "answered",
                        "answer": {},
                        "created_at": row["submitted_at"],
                        "due_at": due,
                        "answered_at": answered if answered < now else None,
                    }
                )
        db.session.execute(insert(Inquiry), inquiries)
        db.session.commit()
        made += len(rows)
        print(f"  stored {made:,} requests", file=sys.stderr, end="\r")
    print(file=sys.stderr)


def run(label, url, requests, lookups):
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "SECRET_KEY": "bench",
            "LOG_LEVEL": "WARNING",
            "PAGE_CACHE": "null",
        }
    )
    rng = random.Random(14)
    with app.app_context():
        upgrade()
        started = time.perf_counter()
        fill(requests, rng)
        with db.engine.begin() as connection:  # fresh statistics, as autovacuum / a nightly ANALYZE would give
            connection.exec_driver_sql("ANALYZE")
        print(f"{label}: filled in {time.perf_counter() - started:.0f} s")
        started = time.perf_counter()
        snapshot = scores.store("nightly")
        db.session.commit()
        seconds = time.perf_counter() - started
        print(
            f"{label:10} score computation: {snapshot.agencies} agencies in {seconds:.1f} s (indicators and insert "
            f"{snapshot.seconds:.1f} s): goal <= 60 s {'met' if seconds <= 60 else 'NOT met'}"
        )
        per_indicator = {}
        for key in scores.WEIGHTS:
            if key in scores.INDICATORS:
                began = time.perf_counter()
                scores.INDICATORS[key].compute(db.session(), utcnow())
                per_indicator[key] = time.perf_counter() - began
        db.session.rollback()
        print(f"{label:10} per indicator: " + ", ".join(f"{k} {v:.2f} s" for k, v in per_indicator.items()))
        province = db.session.execute(
            select(Province.code).join(Agency, Agency.province_id == Province.id).limit(1)
        ).scalar_one()
        agency = db.session.execute(select(Agency.code).order_by(Agency.code).limit(1)).scalar_one()
        db.session.rollback()
        client = app.test_client()
        views = {
            "/ranking": "/ranking",
            "/ranking?province": f"/ranking?province={province}",
            "agency page": f"/agencies/{agency}",
        }
        if "transparency.dashboard" in app.view_functions:
            views["/dashboard"] = "/dashboard"
        worst = 0.0
        for name, path in views.items():
            p50, p95 = measure_page(client, path, lookups)
            if name != "agency page":
                worst = max(worst, p95)
            print(f"{label:10} page {name:18} p50 {p50:6.2f} ms  p95 {p95:6.2f} ms")
        verdict = "met" if worst <= 30 else "NOT met"
        print(f"{label:10} worst of /ranking and /dashboard p95 {worst:.2f} ms: goal p95 <= 30 ms {verdict}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--lookups", type=int, default=200)
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    args = parser.parse_args()
    on_each(args.db, lambda label, url: run(label, url, args.requests, args.lookups))


if __name__ == "__main__":
    main()
