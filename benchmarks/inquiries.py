"""Inquiries between agencies through the real worker (issue 13, "Benchmarks"): requests filed → all their
inquiries answered by the service-bus simulator, with one and then two worker processes; then the citizen's
data-access page with 10,000 entries for that citizen among 1,000,000 rows (benchmarks/data_access.py).

    .venv/bin/python benchmarks/inquiries.py                                 # SQLite: 1,000 requests, 1 and 2 workers
    .venv/bin/python benchmarks/inquiries.py --db postgresql                 # the same on a throw-away PostgreSQL
    .venv/bin/python benchmarks/inquiries.py --requests 200 --workers 1 --size 50000 --mine 2000 --lookups 30
    .venv/bin/python benchmarks/inquiries.py --skip-page                     # the inquiries only

Each worker count gets a fresh application database (a SQLite file, or a PostgreSQL cluster from tests/postgres.py
with --db postgresql) and a fresh queue (huey's SQLite storage, JOBS_SQLITE_PATH); the workers are the real
`flask --app wsgi worker` processes (--threads threads each; the first runs the scheduler, the others
--no-periodic), as in benchmarks/jobs.py. The card is a licence that asks two agencies in order, as the demo's
does: identity (ثبت احوال), then criminal record (قوه قضاییه) once identity is answered, with the demo's types
(app/inquiries/demo.json). The simulator waits --latency-ms per answer (a provider's round trip) and finds everyone
(no "not found", no failures), so every request ends with two answers and two data-access entries.

This process files --requests requests one after another, each committed on its own through the one filing path
(as request threads do), while the workers answer. Printed per worker count: the filing rate; throughput (requests
fully answered per second, and answers per second, from the first filing's commit to the last answer); and the time
from each request's filing commit to its last answer, p50/p95/max. Then benchmarks/data_access.py runs with --size
rows and --mine of them for one citizen and prints the page's p50/p95 (goal p95 <= 50 ms). Not a unit test: run by
hand.
"""

import argparse
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ANSWERS_PER_REQUEST = 2


def percentile(values, p):
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]  # nearest rank


def wait_for(predicate, seconds, step=0.05):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


def licence():
    """A licence whose card asks identity, then criminal record after it (the demo's types and agencies)."""
    from sqlalchemy import select

    from app.extensions import db
    from app.inquiries import demo
    from app.models import InquiryType, ServiceInquiry
    from tests import factories

    demo.load()
    types = {t.code: t for t in db.session.execute(select(InquiryType)).scalars()}
    service = factories.service(
        factories.agency(name="فرماندهی انتظامی"),
        title="صدور پروانهٔ حمل سلاح شکاری",
        documents=["کارت ملی", "گواهی عدم سوءپیشینه"],  # both replaced: the form asks for nothing to upload
    )
    first = ServiceInquiry(
        service=service, inquiry_type=types["identity"], position=0, on_not_found="continue", replaces=[]
    )
    db.session.add(first)
    db.session.flush()
    db.session.add(
        ServiceInquiry(
            service=service,
            inquiry_type=types["criminal_record"],
            position=1,
            after=first,
            on_not_found="stop",
            replaces=[],
        )
    )
    return service


def run(workers, args):
    from tests.postgres import TemporaryPostgres
    from tests.redis import die_with_parent

    workdir = Path(tempfile.mkdtemp(prefix=f"panjereh-inquiries-{workers}-"))
    postgres = None
    processes = []
    try:
        if args.db == "postgresql":
            postgres = TemporaryPostgres()
            database_url = postgres.start()
        else:
            database_url = "sqlite:///" + str(workdir / "app.sqlite3")
        env = {
            "DATABASE_URL": database_url,
            "SECRET_KEY": "benchmark",
            "JOBS_SQLITE_PATH": str(workdir / "jobs.sqlite3"),
            "UPLOAD_FOLDER": str(workdir / "uploads"),
            "LOG_LEVEL": "WARNING",
            "BUS_ADAPTER": "simulator",
            "BUS_SIMULATOR_LATENCY_MS": str(args.latency_ms),
            "BUS_SIMULATOR_FAILURE_RATE": "0",
            "BUS_SIMULATOR_NOT_FOUND_DIGIT": "",
            "BUS_SIMULATOR_FAIL_DIGIT": "",
        }
        for key in ("REDIS_URL", "RATELIMIT_STORAGE_URI", "JOBS_IMMEDIATE"):
            os.environ.pop(key, None)
        os.environ.update(env)

        from flask_migrate import upgrade
        from sqlalchemy import func, select

        from app import create_app
        from app.extensions import db
        from app.models import DataAccess, Inquiry, Request, WorkerHeartbeat, utcnow
        from tests import factories

        application = create_app()  # this process files (and wakes the queue) as a web process does
        with application.app_context():
            upgrade()
            service = licence()
            citizens = [factories.citizen(500_000 + n) for n in range(args.requests)]
            db.session.commit()
            service_id, citizen_ids = service.id, [c.id for c in citizens]
            db.session.remove()

        child_env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1"}
        for n in range(workers):
            command = [sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--workers", str(args.threads)]
            if n:
                command.append("--no-periodic")  # one scheduler
            log = open(workdir / f"worker-{n}.log", "w")  # noqa: SIM115  (the child holds it)
            processes.append(
                subprocess.Popen(command, env=child_env, cwd=str(ROOT), stdout=log, stderr=subprocess.STDOUT,
                                 preexec_fn=die_with_parent)
            )  # fmt: skip
            log.close()

        def beating():
            with application.app_context():
                count = db.session.execute(select(func.count()).select_from(WorkerHeartbeat)).scalar_one()
                db.session.remove()
            return count >= workers

        if not wait_for(beating, 60, step=0.2):
            raise RuntimeError(f"the workers did not start; see {workdir}")

        # Filing: one request per transaction, as fast as this process goes, while the workers answer.
        filed_at = {}
        with application.app_context():
            from app.models import Service, User

            service = db.session.get(Service, service_id)
            started = time.perf_counter()
            for citizen_id in citizen_ids:
                citizen = db.session.get(User, citizen_id)
                request = factories.filed(service, citizen, {"description": "درخواست پروانه"})
                filed_at[request.id] = utcnow()  # after file_request's commit
                db.session.expunge_all()  # a web request's session holds nothing from the one before
                service = db.session.get(Service, service_id)
            filing_seconds = time.perf_counter() - started
            db.session.remove()
        expected = ANSWERS_PER_REQUEST * args.requests

        def finished():
            with application.app_context():
                count = db.session.execute(select(func.count()).where(Inquiry.state.in_(Inquiry.FINISHED))).scalar_one()
                db.session.remove()
            return count >= expected

        if not wait_for(finished, args.timeout, step=0.2):
            raise RuntimeError(f"not all inquiries finished within {args.timeout} s; see {workdir}")

        with application.app_context():
            rows = db.session.execute(
                select(
                    Inquiry.request_id,
                    func.max(Inquiry.answered_at),
                    func.count(),
                    func.sum(Inquiry.attempts),
                ).group_by(Inquiry.request_id)
            ).all()
            states = dict(
                db.session.execute(select(Inquiry.state, func.count()).group_by(Inquiry.state)).tuples().all()
            )
            entries = db.session.execute(
                select(func.count()).select_from(DataAccess).where(DataAccess.data_kind == "inquiry")
            ).scalar_one()
            requests = db.session.execute(select(func.count()).select_from(Request)).scalar_one()
            db.session.remove()
        latencies = [(last - filed_at[request_id]).total_seconds() for request_id, last, _n, _tries in rows]
        asked_again = sum(tries - count for _id, _last, count, tries in rows)
        first_filed, last_answer = min(filed_at.values()), max(last for _id, last, _n, _t in rows)
        elapsed = (last_answer - first_filed).total_seconds()

        print(
            f"{args.db:10} db, sqlite queue, {workers} worker(s) x {args.threads} threads, simulator "
            f"{args.latency_ms} ms: {requests} requests filed at {args.requests / filing_seconds:.0f}/s; "
            f"throughput {args.requests / elapsed:.1f} requests/s ({expected / elapsed:.1f} answers/s, "
            f"{expected} in {elapsed:.1f} s); filing to last answer p50/p95/max "
            f"{statistics.median(latencies):.2f}/{percentile(latencies, 95):.2f}/{max(latencies):.2f} s; "
            f"states {states}; asked twice {asked_again}; data-access entries {entries}",
            flush=True,
        )
        return states.get("answered") == expected and entries == expected
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        if postgres is not None:
            postgres.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite", help="the app's database")
    parser.add_argument("--requests", type=int, default=1000, help="requests filed (two inquiries each)")
    parser.add_argument("--workers", default="1,2", help="worker processes, comma-separated runs")
    parser.add_argument("--threads", type=int, default=2, help="threads per worker process")
    parser.add_argument("--latency-ms", type=int, default=50, help="the simulator's wait per answer")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds to wait for the last answer")
    parser.add_argument("--size", type=int, default=1_000_000, help="data-access rows in all")
    parser.add_argument("--mine", type=int, default=10_000, help="data-access rows of the one citizen")
    parser.add_argument("--lookups", type=int, default=100, help="fetches of each data-access page view")
    parser.add_argument("--skip-page", action="store_true", help="leave out the data-access page")
    parser.add_argument("--run", type=int, metavar="WORKERS", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:  # one worker count in a fresh process: the app, its engine and the queue are per process
        sys.exit(0 if run(args.run, args) else 1)
    ok = True
    for workers in [int(w) for w in args.workers.split(",")]:
        result = subprocess.run([sys.executable, __file__, *sys.argv[1:], "--run", str(workers)], cwd=ROOT)
        ok = ok and result.returncode == 0
    if not args.skip_page:
        page = [str(ROOT / "benchmarks" / "data_access.py"), "--db", args.db]
        page += ["--size", str(args.size), "--mine", str(args.mine), "--lookups", str(args.lookups)]
        ok = subprocess.run([sys.executable, *page], cwd=ROOT).returncode == 0 and ok
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
