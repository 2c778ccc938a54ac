"""Tracking lookups through the app with 1,000 and then 1,000,000 requests stored.

    .venv/bin/python benchmarks/tracking.py                 # SQLite, then PostgreSQL when initdb is available
    .venv/bin/python benchmarks/tracking.py --sizes 1000,100000 --db sqlite

Prints p50/p95 of POST /track (code + national code → public timeline) per size and database.
Goal (DESIGN.md §5): p95 ≤ 20 ms at 1,000,000 and ≤ 1.5× the 1,000 figure.
"""

import argparse
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade
from sqlalchemy import insert

from app import create_app
from app.core.identifiers import damm_digit
from app.extensions import db
from app.models import Request, RequestEvent, User, utcnow
from benchmarks.databases import on_each
from tests import factories

CITIZENS = 10_000
BATCH = 20_000


def _tracking_codes(rng, count, taken):
    codes = []
    while len(codes) < count:
        body = str(rng.randint(10**10, 10**11 - 1))
        code = body + damm_digit(body)
        if code not in taken:
            taken.add(code)
            codes.append(code)
    return codes


class Store:
    """Fills the database in bulk (Core inserts) with requests shaped like real ones."""

    def __init__(self, rng):
        self.rng, self.count, self.taken, self.samples = rng, 0, set(), []

    def setup(self):
        service = factories.service(title="خدمت سنجش")
        self.service_id, self.revision_id, self.agency_id = service.id, service.current_revision_id, service.agency_id
        db.session.commit()
        rows = [
            {
                "public_id": f"bench{i}",
                "role": "citizen",
                "national_code": factories.national_code(i + 1),
                "mobile": f"0912{i:07d}",
                "full_name": "",
                "is_active_account": True,
                "failed_logins": 0,
                "created_at": utcnow(),
            }
            for i in range(CITIZENS)
        ]
        db.session.execute(insert(User), rows)
        db.session.commit()
        self.citizens = [
            (u.id, u.national_code)
            for u in db.session.execute(db.select(User).where(User.public_id.like("bench%"))).scalars()
        ]

    def grow_to(self, size):
        now = utcnow()
        while self.count < size:
            n = min(BATCH, size - self.count)
            codes = _tracking_codes(self.rng, n, self.taken)
            requests, owners = [], []
            for i, code in enumerate(codes):
                user_id, national_code = self.citizens[(self.count + i) % len(self.citizens)]
                owners.append((code, national_code))
                when = now - timedelta(minutes=self.count + i)
                requests.append(
                    {
                        "tracking_code": code,
                        "public_id": f"r{self.count + i}",
                        "service_id": self.service_id,
                        "revision_id": self.revision_id,
                        "form_version": 1,
                        "agency_id": self.agency_id,
                        "applicant_id": user_id,
                        "channel": "online",
                        "consent_method": "",
                        "consent_reference": "",
                        "status": "submitted",
                        "answers": {},
                        "result_note": "",
                        "created_at": when,
                        "updated_at": when,
                        "submitted_at": when,
                    }
                )
            db.session.execute(insert(Request), requests)
            ids = dict(
                db.session.execute(
                    db.select(Request.tracking_code, Request.id).where(Request.tracking_code.in_(codes))
                ).all()
            )
            db.session.execute(
                insert(RequestEvent),
                [
                    {
                        "request_id": ids[code],
                        "action": "submit",
                        "from_status": "draft",
                        "to_status": "submitted",
                        "actor_kind": "citizen",
                        "message": "",
                        "created_at": now,
                    }
                    for code in codes
                ],
            )
            db.session.commit()
            self.count += n
            # Keep a uniform sample of stored (code, national code) pairs to look up.
            self.samples.extend(self.rng.sample(owners, min(len(owners), 50)))
            print(f"  stored {self.count:,} requests", file=sys.stderr, end="\r")
        print(file=sys.stderr)


def measure(client, samples, lookups, rng):
    timings = []
    for code, national_code in (rng.choice(samples) for _ in range(lookups)):
        started = time.perf_counter()
        response = client.post("/track", data={"code": code, "national_code": national_code})
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
    timings.sort()
    return statistics.median(timings), timings[int(len(timings) * 0.95) - 1]


def run(label, url, sizes, lookups):
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "SECRET_KEY": "bench",
            "LOG_LEVEL": "WARNING",
        }
    )
    rng = random.Random(7)
    results = {}
    with app.app_context():
        upgrade()
        store = Store(rng)
        store.setup()
        client = app.test_client()
        for size in sizes:
            started = time.perf_counter()
            store.grow_to(size)
            filled = time.perf_counter() - started
            measure(client, store.samples, 50, rng)  # warm caches the way a running server has them
            p50, p95 = measure(client, store.samples, lookups, rng)
            results[size] = (p50, p95)
            print(f"{label:10} {size:>10,} requests  p50 {p50:6.2f} ms  p95 {p95:6.2f} ms  (filled in {filled:.0f} s)")
    first, last = results[sizes[0]][1], results[sizes[-1]][1]
    print(f"{label:10} p95 ratio {sizes[-1]:,} / {sizes[0]:,} = {last / first:.2f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,1000000")
    parser.add_argument("--lookups", type=int, default=1000)
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    on_each(args.db, lambda label, url: run(label, url, sizes, args.lookups))


if __name__ == "__main__":
    main()
