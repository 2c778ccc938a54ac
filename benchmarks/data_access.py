"""The citizen's data-access log with 10,000 entries for one citizen among 1,000,000 rows (issue 13, "who looked
at my data").

    .venv/bin/python benchmarks/data_access.py                       # SQLite, then PostgreSQL when initdb is available
    .venv/bin/python benchmarks/data_access.py --size 200000 --mine 2000 --db sqlite

The database (a temporary SQLite file; a throw-away PostgreSQL cluster from tests/postgres.py) is migrated and filled
in bulk: --size entries over 50,000 citizens, 20 agencies and 20 counter offices, --mine of them for one citizen.
Then, signed in through the real pages, each view below is fetched --lookups times: the first page, a deep page
(the position of the citizen's 5,000th newest entry), an organisation filter and a period filter.

Printed per database and view: p50 and p95 of the whole page (test client, in process). Goal: p95 <= 50 ms. Not a
unit test: run it by hand. The rows are not hash-chained (the chain is verify()'s business, not the page's).
"""

import argparse
import random
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade
from sqlalchemy import insert, select

from app import create_app
from app.core.persian import jalali_date
from app.extensions import db
from app.models import utcnow
from app.models.data_access import DataAccess
from app.people import data_access
from benchmarks.databases import measure_page, on_each
from tests import factories
from tests.web.helpers import sign_in_citizen

BATCH = 20_000
CITIZENS = 50_000
MOBILE = "09121239876"


def fill(size, mine, rng):
    """`size` entries, `mine` of them for the returned citizen; (national code, an agency code)."""
    agencies = [factories.agency(name=f"دستگاه {i}") for i in range(20)]
    offices = [factories.office(name=f"دفتر پیشخوان {i}") for i in range(20)]
    me = factories.citizen(999_001, mobile=MOBILE)
    db.session.commit()
    others = [factories.national_code(100_000 + i) for i in range(CITIZENS)]
    now = utcnow()
    mine_at = set(rng.sample(range(size), mine))
    made = 0
    while made < size:
        rows = []
        for n in range(made, min(made + BATCH, size)):
            at_office = rng.random() < 0.3
            rows.append(
                {
                    "created_at": now - timedelta(minutes=(size - n) * 2),
                    "national_code": me.national_code if n in mine_at else rng.choice(others),
                    "agency_id": None if at_office else rng.choice(agencies).id,
                    "office_id": rng.choice(offices).id if at_office else None,
                    "official_id": None,
                    "request_id": None,
                    "tracking_code": "" if at_office else f"{n:012d}",
                    "purpose": data_access.COUNTER_IDENTIFY if at_office else data_access.VIEW_REQUEST,
                    "legal_basis": "",
                    "data_kind": "identity" if at_office else "request",
                    "prev_hash": "",
                    "hash": f"{n:064d}",
                    "hidden_until": None,
                    "hidden_reason": "",
                }
            )
        db.session.execute(insert(DataAccess), rows)
        db.session.commit()
        made += len(rows)
        print(f"  stored {made:,} entries", file=sys.stderr, end="\r")
    print(file=sys.stderr)
    return me.national_code, agencies[0].code


def run(label, url, size, mine, lookups):
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
        national_code, agency_code = fill(size, mine, rng)
        # Fresh statistics and, on PostgreSQL, the visibility map autovacuum keeps for a table written all day: the
        # organisation filter's choices are read by index-only scans, which a freshly bulk-loaded table defeats.
        command = "VACUUM ANALYZE" if db.engine.dialect.name == "postgresql" else "ANALYZE"
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql(command)
        print(f"{label}: filled in {time.perf_counter() - started:.0f} s")
        deep = db.session.execute(
            select(DataAccess.hash)
            .where(DataAccess.national_code == national_code)
            .order_by(DataAccess.id.desc())
            .offset(min(5_000, mine - 1))
            .limit(1)
        ).scalar_one()
        week_ago = jalali_date((utcnow() - timedelta(days=7)).date(), persian=False)
    client = app.test_client()
    sign_in_citizen(client, app, national_code, MOBILE)
    views = {
        "first page": "/account/data-access",
        "deep page": f"/account/data-access?before={deep}",
        "one agency": f"/account/data-access?organisation=a:{agency_code}",
        "last week": f"/account/data-access?date_from={week_ago}",
    }
    worst = 0.0
    for name, path in views.items():
        p50, p95 = measure_page(client, path, lookups)
        worst = max(worst, p95)
        print(f"{label:10} page  {name:12} p50 {p50:6.2f} ms  p95 {p95:6.2f} ms")
    verdict = "met" if worst <= 50 else "NOT met"
    print(f"{label:10} worst page p95 {worst:.2f} ms: goal p95 <= 50 ms {verdict}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--mine", type=int, default=10_000)
    parser.add_argument("--lookups", type=int, default=100)
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    args = parser.parse_args()
    on_each(args.db, lambda label, url: run(label, url, args.size, args.mine, args.lookups))


if __name__ == "__main__":
    main()
