"""Background work through the real worker: commit-to-sent latency and throughput of SMS, per queue storage and
number of worker processes.

    .venv/bin/python benchmarks/jobs.py                                  # sqlite and redis queue, 1 and 2 workers
    .venv/bin/python benchmarks/jobs.py --queue redis --workers 2 --batch 5000 --threads 4
    .venv/bin/python benchmarks/jobs.py --db sqlite                      # the embedded mode's database too

Each run gets a throw-away application database (a PostgreSQL cluster from tests/postgres.py, or a SQLite file with
--db sqlite), a throw-away queue (huey's SQLite file, or a redis-server from tests/redis.py) and a local SMS gateway
in this process (SMS_BACKEND=http), which notes when each message reaches it. Worker processes are the real
`flask --app wsgi worker` (the first one runs the scheduler, the others --no-periodic).

Latency: --messages single SMS, each written and committed on its own (as a request thread does), --gap seconds
apart; the time from the commit to the gateway receiving the message, p50/p95/max. Throughput: --batch messages
committed in one transaction while the workers idle; messages per second from that commit to the last one received.
"""

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


class Gateway:
    """A local SMS gateway: the time each message text was first received, and how many arrived twice."""

    def __init__(self):
        self.first, self.duplicates, self.lock = {}, 0, threading.Lock()
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                text = json.loads(self.rfile.read(int(self.headers["Content-Length"])))["text"]
                now = time.time()
                with gateway.lock:
                    if text in gateway.first:
                        gateway.duplicates += 1
                    else:
                        gateway.first[text] = now
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/send"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def received(self, texts):
        with self.lock:
            return [self.first.get(text) for text in texts]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def percentile(values, p):
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]  # nearest rank


def wait_for(predicate, seconds, step=0.02):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


def run(queue, workers, args):
    from tests.postgres import TemporaryPostgres
    from tests.redis import TemporaryRedis, die_with_parent

    workdir = Path(tempfile.mkdtemp(prefix=f"panjereh-jobs-{queue}-{workers}-"))
    postgres = redis = gateway = None
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
            "SMS_BACKEND": "http",
            "SMS_HTTP_TOKEN": "benchmark",
            "JOBS_SQLITE_PATH": str(workdir / "jobs.sqlite3"),
            "UPLOAD_FOLDER": str(workdir / "uploads"),
            "LOG_LEVEL": "WARNING",
        }
        if queue == "redis":
            redis = TemporaryRedis()
            env["REDIS_URL"] = redis.start()
        gateway = Gateway()
        env["SMS_HTTP_URL"] = gateway.url
        for key in ("REDIS_URL", "RATELIMIT_STORAGE_URI", "JOBS_IMMEDIATE"):
            os.environ.pop(key, None)
        os.environ.update(env)

        from flask_migrate import upgrade
        from sqlalchemy import func, select

        from app import create_app
        from app.adapters import sms
        from app.extensions import db
        from app.models import WorkerHeartbeat

        application = create_app()  # this process writes (and wakes the queue) as a web process does
        with application.app_context():
            upgrade()

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

        # Latency: one message per transaction, as a request writes it.
        committed = {}
        with application.app_context():
            for n in range(args.messages):
                text = f"latency {n}"
                sms.send(f"0912{n:07d}", text, purpose="status")
                db.session.commit()
                committed[text] = time.time()
                time.sleep(args.gap)
        texts = list(committed)
        if not wait_for(lambda: all(gateway.received(texts)), 60):
            raise RuntimeError(f"latency messages not all sent; see {workdir}")
        latencies = [got - committed[text] for text, got in zip(texts, gateway.received(texts))]

        # Throughput: a batch in one transaction while the workers idle.
        batch = [f"batch {n}" for n in range(args.batch)]
        with application.app_context():
            for n, text in enumerate(batch):
                sms.send(f"0913{n:07d}", text, purpose="status")
            db.session.commit()
            began = time.time()
            db.engine.dispose()
        if not wait_for(lambda: all(gateway.received(batch)), 600, step=0.1):
            raise RuntimeError(f"batch not all sent; see {workdir}")
        elapsed = max(gateway.received(batch)) - began

        ms = lambda s: f"{s * 1000:.0f}"  # noqa: E731
        print(
            f"{queue:6} queue, {args.db:10} db, {workers} worker(s) x {args.threads} threads: "
            f"latency p50/p95/max {ms(statistics.median(latencies))}/{ms(percentile(latencies, 95))}/"
            f"{ms(max(latencies))} ms over {len(latencies)}; throughput {args.batch / elapsed:.0f} messages/s "
            f"({args.batch} in {elapsed:.1f} s); duplicates {gateway.duplicates}",
            flush=True,
        )
        return gateway.duplicates == 0
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        if gateway is not None:
            gateway.stop()
        if redis is not None:
            redis.stop()
        if postgres is not None:
            postgres.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--queue", choices=("sqlite", "redis", "both"), default="both")
    parser.add_argument("--workers", default="1,2", help="worker processes, comma-separated runs")
    parser.add_argument("--threads", type=int, default=2, help="threads per worker process")
    parser.add_argument("--db", choices=("postgresql", "sqlite"), default="postgresql", help="the app's database")
    parser.add_argument("--messages", type=int, default=100, help="single messages for the latency figures")
    parser.add_argument("--gap", type=float, default=0.05, help="seconds between single messages")
    parser.add_argument("--batch", type=int, default=2000, help="messages in the throughput batch")
    parser.add_argument("--run", nargs=2, metavar=("QUEUE", "WORKERS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:  # one configuration in a fresh process: the app, its engine and the queue are per process
        sys.exit(0 if run(args.run[0], int(args.run[1]), args) else 1)
    queues = ["sqlite", "redis"] if args.queue == "both" else [args.queue]
    ok = True
    for queue in queues:
        for workers in [int(w) for w in args.workers.split(",")]:
            forwarded = _without_values(sys.argv[1:], ("--queue", "--workers"))
            result = subprocess.run([sys.executable, __file__, *forwarded, "--run", queue, str(workers)], cwd=ROOT)
            ok = ok and result.returncode == 0
    sys.exit(0 if ok else 1)


def _without_values(argv, options):
    """argv without the given options and their values (both `--opt value` and `--opt=value`)."""
    kept, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg in options:
            skip = True
        elif not arg.startswith(tuple(f"{o}=" for o in options)):
            kept.append(arg)
    return kept


if __name__ == "__main__":
    main()
