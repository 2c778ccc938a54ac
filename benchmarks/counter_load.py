"""Counter filing under load: 50 clerks filing at once against waitress, then a check that nothing was lost or doubled.

    .venv/bin/python benchmarks/counter_load.py                       # SQLite, then PostgreSQL
    .venv/bin/python benchmarks/counter_load.py --db postgresql --processes 3 --duration 30 --threads 4
    .venv/bin/python benchmarks/counter_load.py --think 0             # stress: no pause between a clerk's pages
    .venv/bin/python benchmarks/counter_load.py --db postgresql --redis  # the scale stack (README's recipe)

Each run gets a throw-away database (a temporary SQLite file; a PostgreSQL cluster from tests/postgres.py), migrated
and seeded with one office, one outsourced service and one clerk account per simulated clerk. The app is served by
waitress on loopback only: one process for SQLite, --processes processes for PostgreSQL (each clerk talks to one of
them, as a reverse proxy would spread them). Every clerk signs in, then until the time is up walks the real counter
pages with the real CSRF tokens: service → citizen (paper consent) → form → fees and submit → receipt, with a short
pause between pages (--think, seconds, uniformly drawn; a human clerk takes far longer). One filing in ten is
submitted twice at the same moment (a double click), and both answers must name the same tracking code.

Printed per database: filings per second, p50/p95/max of the filing POST (the step that runs file_request) and of all
pages, errors (any unexpected status, timeout or broken connection), and the check afterwards: every acknowledged
tracking code is in the database exactly once with one set of payments, and no request exists that no clerk saw.
The goal (issue 15): filing p95 <= 100 ms with 50 clerks on both databases, 0 errors, 0 duplicates, with the clients
in their own processes (--client-processes, 5 by default; 0 runs them as threads of this process, as before). Beside
what the clerks saw, the report gives the filing POST's time inside the server (timed around the app in each server
process), so the client's and the loopback's share can be read off, and the filings per second per web process.

Rate limiting is switched off in the benchmark's server (50 clerks share one loopback address, and sign-in is
limited per address); nothing else differs from `bin/serve`. --redis runs the scale stack instead: a throw-away
redis-server holds the rate limits (on) and the queue, one worker sends the tracking-code SMS, and each clerk comes
from its own address in X-Forwarded-For with TRUSTED_PROXIES=1, as behind the reverse proxy. --durable-pg (the default) runs PostgreSQL with
fsync and synchronous commit on, as in production; --fast-pg keeps the test suite's throw-away settings.
"""

import argparse
import http.client
import math
import os
import random
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SERVICE_CODE = "77770001"
OFFICE_CODE = "99001"
PASSWORD = "benchmark-clerk"
TIMEOUT = 30
SECRET = secrets.token_hex(32)  # one for every process of a run, as behind one proxy
WALK_INS = 500  # the citizens who come to the counter, each with a mobile the ownership simulator knows as theirs


# --- the server side ---------------------------------------------------------------------------------------


def serve(port, threads, limits=False):
    """Run in a child process: the real app under waitress, on loopback, rate limits off unless `limits` (the
    scale stack: counted in Redis, per clerk address behind the simulated proxy)."""
    import logging

    from waitress import serve as waitress_serve

    from app import create_app

    application = create_app({} if limits else {"RATELIMIT_ENABLED": False})
    application.wsgi_app = FilingTimer(application.wsgi_app)
    logging.getLogger("panjereh").setLevel(logging.WARNING)
    logging.getLogger("waitress").setLevel(logging.ERROR)
    waitress_serve(
        application,
        host="127.0.0.1",
        port=port,
        threads=threads,
        connection_limit=400,
        channel_timeout=60,
        ident=None,
        # Waitress 3 drops X-Forwarded-For unless told otherwise; the app's ProxyFix (TRUSTED_PROXIES) reads it.
        clear_untrusted_proxy_headers=False,
    )


class FilingTimer:
    """Around the app in the server process: how long each filing POST took inside the server (WSGI call to the
    last byte of the body handed to waitress), one line per filing in the server's log, so the report can tell the
    server's share of the time the clerks saw from the client's and the loopback's."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        if environ["REQUEST_METHOD"] != "POST" or not environ.get("PATH_INFO", "").endswith("/submit"):
            return self.app(environ, start_response)
        began, started = time.time(), time.perf_counter()
        answer = self.app(environ, start_response)
        try:
            body = b"".join(answer)
        finally:
            if hasattr(answer, "close"):
                answer.close()
        sys.stdout.write(f"FILING {began:.6f} {(time.perf_counter() - started) * 1000:.3f}\n")  # one write, one line
        sys.stdout.flush()
        return [body]


def prepare(database_url, clerks):
    """Migrate and seed a fresh database (see seed)."""
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db

    application = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "LOG_LEVEL": "WARNING"})
    with application.app_context():
        upgrade()
        seed(clerks)
    with application.app_context():
        db.engine.dispose()


def seed(clerks, password_method="scrypt"):
    """In an application context, committed: an agency, a service with a short form, its approved outsourcing
    for every province, one Tehran office and `clerks` clerk accounts (clerk0 … with PASSWORD). Also used by
    tests/scale, which passes a cheap password_method."""
    from werkzeug.security import generate_password_hash

    from app.catalogue.queries import publish_revision
    from app.extensions import db
    from app.models import (
        Agency,
        MobileOwnership,
        Office,
        Outsourcing,
        Province,
        Role,
        Service,
        ServiceRevision,
        User,
        new_public_id,
    )

    db.session.add_all(MobileOwnership(national_code=code, mobile=mobile) for code, mobile in walk_ins())
    agency = Agency(code="7777", name="سازمان آزمون بار", connection_status="connected")
    service = Service(code=SERVICE_CODE, agency=agency)
    revision = ServiceRevision(
        service=service,
        number=1,
        status="approved",
        title="صدور گواهی آزمون بار",
        fee_rial=250_000,
        duration_days=5,
        form_definition=[
            {"name": "plate", "type": "text", "label": "پلاک", "required": True, "max_length": 20},
            {
                "name": "reason",
                "type": "choice",
                "label": "دلیل",
                "required": True,
                "choices": [["lost", "گم شدن"], ["worn", "فرسودگی"]],
            },
            {"name": "note", "type": "textarea", "label": "توضیح", "required": False},
        ],
    )
    db.session.add_all([agency, service, revision])
    db.session.flush()
    publish_revision(service, revision, [], [], [])
    db.session.add(
        Outsourcing(
            public_id=new_public_id(),
            service=service,
            status="approved",
            all_provinces=True,
            counter_fee_rial=60_000,
        )
    )
    tehran = db.session.execute(db.select(Province).filter_by(code="23")).scalar_one()
    office = Office(code=OFFICE_CODE, name="دفتر پیشخوان آزمون بار", province=tehran)
    db.session.add(office)
    password = generate_password_hash(PASSWORD, method=password_method)  # one hash: one per account takes minutes
    for n in range(clerks):
        db.session.add(
            User(
                public_id=new_public_id(),
                role=Role.CLERK,
                username=f"clerk{n}",
                full_name=f"متصدی {n}",
                password_hash=password,
                office=office,
            )
        )
    db.session.commit()


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(database_url, workdir, extra=None):
    """The environment of the benchmark's processes: its own database, queue file, uploads and secret."""
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "RATELIMIT_STORAGE_URI", "TRUSTED_PROXIES")}
    return dict(
        env,
        DATABASE_URL=database_url,
        SECRET_KEY=SECRET,
        SMS_BACKEND="local",
        UPLOAD_FOLDER=str(workdir / "uploads"),
        JOBS_SQLITE_PATH=str(workdir / "jobs.sqlite3"),  # never the working copy's instance/ queue
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
        **(extra or {}),
    )


def start_servers(database_url, processes, threads, workdir, extra_env=None, limits=False):
    env = server_env(database_url, workdir, extra_env)
    servers = []
    for _ in range(processes):
        port = free_port()
        log = open(workdir / f"server-{port}.log", "w")  # noqa: SIM115  (closed in stop_servers)
        proc = subprocess.Popen(
            [sys.executable, __file__, "--serve", str(port), "--threads", str(threads)]
            + (["--limits"] if limits else []),
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=str(ROOT),
        )
        servers.append((proc, port, log))
    for proc, port, _log in servers:
        deadline = time.monotonic() + 60
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"server on port {port} did not start; see {workdir}")
            time.sleep(0.2)
    return servers


def start_worker(database_url, workdir, extra_env):
    """One `flask --app wsgi worker` (the scale stack's: it sends the tracking-code SMS)."""
    log = open(workdir / "worker.log", "w")  # noqa: SIM115  (closed in stop_servers)
    proc = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "worker"],
        env=server_env(database_url, workdir, extra_env),
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=str(ROOT),
    )
    return proc, None, log


def stop_servers(servers):
    for proc, _port, _log in servers:
        proc.terminate()
    for proc, _port, log in servers:
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


# --- the client side: one simulated clerk ------------------------------------------------------------------


class Failed(Exception):
    pass


def walk_ins():
    """(national code, mobile) of the WALK_INS citizens, the same in the seeding process and in the clerks."""
    rng = random.Random(1405)
    return [(national_code(rng), f"0912{n:07d}") for n in range(WALK_INS)]


def national_code(rng):
    while True:
        body = f"{rng.randrange(10**9):09d}"
        if len(set(body)) > 1:
            break
    r = sum(int(d) * (10 - i) for i, d in enumerate(body)) % 11
    return body + str(r if r < 2 else 11 - r)


class Clerk:
    def __init__(self, number, port, stats, rng):
        self.number, self.port, self.stats, self.rng = number, port, stats, rng
        self.cookies = {}
        self.walk_ins = walk_ins()
        self.headers = {}  # sent with every request (the scale stack's X-Forwarded-For, as a reverse proxy adds)
        self.conn = None

    def _connection(self):
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT)
        return self.conn

    def request(self, method, path, form=None, kind="page", conn=None):
        """One HTTP exchange, timed; returns (status, headers, body). A broken connection is retried never."""
        own = conn is None
        conn = conn or self._connection()
        headers = {**self.headers, "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException) as error:
            if own:
                self.conn = None
            raise Failed(f"{method} {path}: {type(error).__name__} {error}") from None
        elapsed = time.perf_counter() - started
        self.stats.record(kind, elapsed, time.monotonic() - elapsed)
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data

    def expect(self, result, status, what):
        if result[0] != status:
            raise Failed(f"{what}: HTTP {result[0]} (expected {status})")
        return result

    @staticmethod
    def field(page, name):
        match = re.search(rf'name="{name}"[^>]*value="([^"]*)"', page)
        if match is None:
            raise Failed(f"no {name} on the page")
        return match.group(1)

    def think(self, think):
        if think:
            time.sleep(self.rng.uniform(0, 2 * think))

    def sign_in(self):
        page = self.expect(self.request("GET", "/staff/sign-in"), 200, "sign-in page")[2]
        self.expect(
            self.request(
                "POST",
                "/staff/sign-in",
                {"csrf_token": self.field(page, "csrf_token"), "username": f"clerk{self.number}", "password": PASSWORD},
            ),
            302,
            "sign-in",
        )

    def file_one(self, think, double):
        """The whole counter path for one walk-in citizen; returns the acknowledged tracking code(s)."""
        rng = self.rng
        person, mobile = rng.choice(self.walk_ins)
        page = self.expect(self.request("GET", f"/counter/file/{SERVICE_CODE}"), 200, "start")[2]
        csrf = self.field(page, "csrf_token")
        self.think(think)
        page = self.expect(
            self.request(
                "POST",
                f"/counter/file/{SERVICE_CODE}/citizen",
                {
                    "csrf_token": csrf,
                    "state": self.field(page, "state"),
                    "national_code": person,
                    "full_name": "شهروند آزمون",
                    "mobile": mobile,
                    "consent_method": "paper",
                    "paper_number": str(rng.randrange(10**6)),
                },
            ),
            200,
            "citizen",
        )[2]
        self.think(think)
        page = self.expect(
            self.request(
                "POST",
                f"/counter/file/{SERVICE_CODE}/form",
                {
                    "csrf_token": csrf,
                    "state": self.field(page, "state"),
                    "plate": f"{rng.randrange(100)}ب{rng.randrange(1000)}",
                    "reason": rng.choice(["lost", "worn"]),
                    "note": "ثبت در آزمون بار",
                },
            ),
            200,
            "form",
        )[2]
        self.think(think)
        submit = {
            "csrf_token": csrf,
            "state": self.field(page, "state"),
            "fees_seen": self.field(page, "fees_seen"),
            "method": "cash",
        }
        if rng.random() < 0.5:
            submit.update(method="card", reference=str(rng.randrange(10**11, 10**12)))
        path = f"/counter/file/{SERVICE_CODE}/submit"
        if not double:
            locations = [self.expect(self.request("POST", path, submit, kind="filing"), 303, "submit")[1]["location"]]
        else:  # a double click: the same page sent twice at the same moment, on two connections
            results, errors = [None, None], []

            def second():
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT)
                try:
                    results[1] = self.request("POST", path, submit, kind="filing", conn=conn)
                except Failed as error:
                    errors.append(error)
                finally:
                    conn.close()

            other = threading.Thread(target=second)
            other.start()
            try:
                results[0] = self.request("POST", path, submit, kind="filing")
            finally:
                other.join()
            if errors:
                raise errors[0]
            locations = [self.expect(r, 303, "double submit")[1]["location"] for r in results]
        codes = [re.search(r"/counter/requests/(\d{12})/receipt", loc).group(1) for loc in locations]
        self.expect(self.request("GET", urlsplit(locations[0]).path), 200, "receipt")
        return codes


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.times = {"filing": [], "page": []}
        self.began = {"filing": [], "page": []}  # time.monotonic() when each exchange began (one clock per machine)
        self.errors = []
        self.codes = []  # every acknowledged code (one per filing; double submits give one code twice)
        self.doubles = 0
        self.double_mismatch = 0

    def record(self, kind, seconds, began=None):
        with self.lock:
            self.times[kind].append(seconds)
            self.began[kind].append(time.monotonic() - seconds if began is None else began)


def run_clerk(number, port, stats, start, clock, think, seed, forwarded=False):
    rng = random.Random(seed)
    clerk = Clerk(number, port, stats, rng)
    if forwarded:  # behind the simulated proxy: each clerk's own address, as nginx's X-Forwarded-For would say
        clerk.headers["X-Forwarded-For"] = f"10.77.{number // 250}.{number % 250 + 1}"
    try:
        clerk.sign_in()
    except Failed as error:
        with stats.lock:
            stats.errors.append(f"clerk{number}: {error}")
        start.wait()
        return
    start.wait()  # every clerk starts filing at the same instant
    while time.monotonic() < clock["deadline"]:
        double = rng.random() < 0.1
        try:
            codes = clerk.file_one(think, double)
        except Failed as error:
            with stats.lock:
                stats.errors.append(f"clerk{number}: {error}")
            continue
        with stats.lock:
            stats.codes.append(codes[0])
            if double:
                stats.doubles += 1
                stats.double_mismatch += codes[0] != codes[1]
        clerk.think(think)


def clients_in_threads(args, ports, stats, clock, scale, pids=()):
    """Every clerk a thread of this process (--client-processes 0): the clients then share one interpreter's GIL,
    and on a small machine the server's cores too."""

    def go():  # runs once, when the last clerk has signed in: sign-in traffic is not part of the figures
        stats.times, stats.began = {"filing": [], "page": []}, {"filing": [], "page": []}
        clock["began"] = time.monotonic()
        clock["began_wall"] = time.time()
        clock["deadline"] = clock["began"] + args.duration
        clock["cpu_began"] = cpu_seconds(pids)
        threading.Timer(args.duration, lambda: clock.__setitem__("cpu_ended", cpu_seconds(pids))).start()

    start = threading.Barrier(args.clerks, action=go)
    threads = [
        threading.Thread(
            target=run_clerk,
            daemon=True,
            args=(n, ports[n % len(ports)], stats, start, clock, args.think, args.seed + n, scale),
        )
        for n in range(args.clerks)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=args.duration + 4 * TIMEOUT)
    clock["hung"] = sum(t.is_alive() for t in threads)


def client_process(numbers, ports, args, scale, barrier, shared, results):
    """In a child process: these clerks as threads; their figures go back through `results`."""
    stats, clock = Stats(), {}

    class Start:  # every clerk of every process starts filing at the same instant
        @staticmethod
        def wait():
            barrier.wait()
            clock["deadline"] = shared[0] + args.duration

    threads = [
        threading.Thread(
            target=run_clerk,
            daemon=True,
            args=(n, ports[n % len(ports)], stats, Start, clock, args.think, args.seed + n, scale),
        )
        for n in numbers
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=args.duration + 4 * TIMEOUT)
    hung = sum(t.is_alive() for t in threads)
    results.put((stats.times, stats.began, stats.errors, stats.codes, stats.doubles, stats.double_mismatch, hung))


def clients_in_processes(args, ports, stats, clock, scale, pids=()):
    """The clerks spread over --client-processes processes (threads in each), so that the clients' own Python
    time is not spent in one interpreter; the figures are merged and the sign-in traffic dropped."""
    import multiprocessing

    context = multiprocessing.get_context("fork")
    shared = context.Array("d", 2)  # when filing began: monotonic and wall clock

    def go():
        shared[0], shared[1] = time.monotonic(), time.time()

    barrier = context.Barrier(args.clerks, action=go)
    results = context.Queue()
    groups = [list(range(args.clerks))[i :: args.client_processes] for i in range(args.client_processes)]
    children = [
        context.Process(target=client_process, args=(group, ports, args, scale, barrier, shared, results))
        for group in groups
        if group
    ]
    for child in children:
        child.start()
    while not shared[0] and any(child.is_alive() for child in children):  # the servers' CPU over the filing window
        time.sleep(0.005)
    cpu_began = cpu_seconds(pids)
    time.sleep(max(0.0, shared[0] + args.duration - time.monotonic()))
    clock.update(cpu_began=cpu_began, cpu_ended=cpu_seconds(pids))
    merged = [results.get(timeout=args.duration + 6 * TIMEOUT) for _ in children]
    for child in children:
        child.join(timeout=10)
    clock.update(began=shared[0], began_wall=shared[1], deadline=shared[0] + args.duration)
    stats.times, stats.began = {"filing": [], "page": []}, {"filing": [], "page": []}
    clock["hung"] = 0
    for times, began, errors, codes, doubles, mismatch, hung in merged:
        for kind in times:
            for seconds, at in zip(times[kind], began[kind]):
                if at >= clock["began"]:
                    stats.times[kind].append(seconds)
                    stats.began[kind].append(at)
        stats.errors += errors
        stats.codes += codes
        stats.doubles += doubles
        stats.double_mismatch += mismatch
        clock["hung"] += hung


def cpu_seconds(pids):
    """User + system CPU time of these processes so far (Linux /proc), seconds; None elsewhere."""
    total = 0.0
    try:
        for pid in pids:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return None
    return total


def server_filing_times(workdir, servers, clock):
    """The filing POSTs' time inside the server processes (FilingTimer's lines), from when filing began."""
    found = []
    for _proc, port, log in servers:
        log.flush()
        text = (workdir / f"server-{port}.log").read_text(errors="replace")
        for at, ms in re.findall(r"FILING (\d+\.\d{6}) (\d+\.\d{3})", text):
            if float(at) >= clock.get("began_wall", 0):
                found.append(float(ms) / 1000)
    return found


def check_database(database_url, codes):
    """Every acknowledged code exactly once, each with one set of payments; nothing filed that nobody saw."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT r.tracking_code, COUNT(p.id) FROM request r "
                "LEFT JOIN payment p ON p.request_id = r.id GROUP BY r.id, r.tracking_code"
            )
        ).all()
        sms = dict(conn.execute(text("SELECT status, COUNT(*) FROM sms_message GROUP BY status")).all())
    engine.dispose()
    stored = {}
    for code, payments in rows:
        stored.setdefault(code, []).append(payments)
    acknowledged = set(codes)
    return {
        "stored": len(rows),
        "acknowledged": len(acknowledged),
        "missing": len(acknowledged - stored.keys()),
        "duplicates": sum(1 for code in acknowledged if len(stored.get(code, [])) > 1),
        "wrong_payment_sets": sum(1 for code in acknowledged for n in stored.get(code, []) if n != 2),
        "unacknowledged": len(stored.keys() - acknowledged),
        "sms": sms,
    }


def wait_for_sms(database_url, seconds):
    """Until no SMS is left unsent (or the time is up)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    deadline = time.monotonic() + seconds
    with engine.connect() as conn:
        while time.monotonic() < deadline:
            if not conn.execute(text("SELECT COUNT(*) FROM sms_message WHERE status = 'stored'")).scalar_one():
                break
            conn.rollback()
            time.sleep(0.5)
    engine.dispose()


# --- one run -----------------------------------------------------------------------------------------------


def percentile(values, p):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]  # nearest rank


def run(db, args):
    workdir = Path(tempfile.mkdtemp(prefix=f"panjereh-counter-{db}-"))
    server, servers, redis = None, [], None
    scale = args.redis and db != "sqlite"
    try:
        if db == "sqlite":
            database_url, processes = "sqlite:///" + str(workdir / "bench.sqlite3"), 1
        else:
            from tests.postgres import TemporaryPostgres

            server = TemporaryPostgres()
            database_url, processes = server.start(), args.processes
            if args.durable_pg:
                make_durable(server)
        prepare(database_url, args.clerks)
        extra_env = None
        if scale:
            from tests.redis import TemporaryRedis

            redis = TemporaryRedis()
            redis_url = redis.start()
            extra_env = {"REDIS_URL": redis_url, "RATELIMIT_STORAGE_URI": redis_url, "TRUSTED_PROXIES": "1"}
        servers = start_servers(database_url, processes, args.threads, workdir, extra_env, limits=scale)
        ports = [port for _proc, port, _log in servers]
        if scale:
            servers.append(start_worker(database_url, workdir, extra_env))
        stats, clock = Stats(), {}
        pids = [proc.pid for proc, _port, _log in servers[:processes]]
        if args.client_processes:
            clients_in_processes(args, ports, stats, clock, scale, pids)
        else:
            clients_in_threads(args, ports, stats, clock, scale, pids)
        in_window = [at for at in stats.began["filing"] if at < clock.get("deadline", 0)]
        if clock.get("cpu_began") is not None and clock.get("cpu_ended") is not None and in_window:
            clock["cpu_per_filing"] = (clock["cpu_ended"] - clock["cpu_began"]) / len(stats.codes)
        hung = clock.pop("hung", 0)
        server_filing = server_filing_times(workdir, servers[:processes], clock)
        elapsed = args.duration if "began" in clock else 0.001
        if scale:  # the worker sends each filing's tracking-code SMS; give it a moment to finish the last ones
            wait_for_sms(database_url, 30)
        check = check_database(database_url, stats.codes)
        ok = report(db, args, processes, stats, elapsed, check, hung, scale, server_filing, clock.get("cpu_per_filing"))
        if stats.errors:
            for _proc, port, log in servers[:processes]:
                log.flush()
                tail = (workdir / f"server-{port}.log").read_text(errors="replace").splitlines()[-40:]
                if tail:
                    print(f"--- server on port {port}, last lines of its log ---\n" + "\n".join(tail))
        return ok
    finally:
        stop_servers(servers)
        if redis is not None:
            redis.stop()
        if server is not None:
            server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def make_durable(server):
    """Restart the throw-away cluster with production durability: fsync, synchronous commit, full pages."""
    data = server.root / "data"
    server._run("pg_ctl", "-D", str(data), "-m", "fast", "stop")
    options = (
        f"-p {server.port} -k {server.root} -c listen_addresses=127.0.0.1 -c max_connections=200 "
        "-c fsync=on -c synchronous_commit=on -c full_page_writes=on"
    )
    server._run("pg_ctl", "-D", str(data), "-o", options, "-l", str(server.root / "log"), "-w", "start")


def report(db, args, processes, stats, elapsed, check, hung, scale=False, server_filing=(), cpu_per_filing=None):
    filing, pages = stats.times["filing"], stats.times["filing"] + stats.times["page"]
    ms = lambda s: f"{s * 1000:.1f}"  # noqa: E731
    filings = len(stats.codes)
    label = db if db == "sqlite" else f"postgresql ({'durable' if args.durable_pg else 'fsync off'})"
    if scale:
        label += " + Redis (rate limits on, per clerk address) + 1 worker"
    print(
        f"\n== {label}: {args.clerks} clerks, {processes} waitress process(es) x {args.threads} threads, "
        f"{args.duration:.0f} s, think {args.think} s, {os.cpu_count()} CPUs, clients "
        f"{f'in {args.client_processes} processes' if args.client_processes else 'as threads of this process'}, "
        f"load average {os.getloadavg()[0]:.1f} =="
    )
    print(f"filings acknowledged   {filings} ({filings / elapsed:.1f}/s; {stats.doubles} double-submitted)")
    print(f"pages                  {len(pages)} ({len(pages) / elapsed:.1f}/s)")
    print(
        f"filing POST  p50/p95/max  {ms(statistics.median(filing)) if filing else '-'} / {ms(percentile(filing, 95))}"
        f" / {ms(max(filing)) if filing else '-'} ms"
    )
    if server_filing:
        print(
            f"  of which in the server  p50/p95  {ms(statistics.median(server_filing))} / "
            f"{ms(percentile(server_filing, 95))} ms (the rest: the client, loopback and waiting for a waitress thread)"
        )
    print(f"throughput             {filings / elapsed / processes:.1f} filings/s per web process")
    if cpu_per_filing:
        print(
            f"web CPU per filing     {cpu_per_filing * 1000:.0f} ms (the whole walk: 5 pages; at most "
            f"{1 / cpu_per_filing:.0f} filings/s per busy core)"
        )
    print(
        f"all pages    p50/p95/max  {ms(statistics.median(pages)) if pages else '-'} / {ms(percentile(pages, 95))}"
        f" / {ms(max(pages)) if pages else '-'} ms"
    )
    print(f"errors                 {len(stats.errors)}" + (f" (hung clerks: {hung})" if hung else ""))
    for line in sorted({e.split(": ", 1)[1] for e in stats.errors})[:8]:
        print(f"    {line}")
    print(f"double submits with two different codes: {stats.double_mismatch}")
    print(
        f"database: {check['stored']} requests; acknowledged {check['acknowledged']}, missing {check['missing']}, "
        f"duplicates {check['duplicates']}, wrong payment sets {check['wrong_payment_sets']}, "
        f"filed but never acknowledged {check['unacknowledged']}"
    )
    print(f"SMS by status: {check['sms']}")
    ok = (
        not stats.errors
        and not hung
        and not stats.double_mismatch
        and not any(check[k] for k in ("missing", "duplicates", "wrong_payment_sets"))
    )
    goal = ok and filing and percentile(filing, 95) <= 0.100
    print("goal (p95 <= 100 ms, 0 errors, 0 duplicates): " + ("met" if goal else "NOT met"))
    return ok


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--clerks", type=int, default=50)
    parser.add_argument("--duration", type=float, default=30, help="seconds of filing per database")
    parser.add_argument(
        "--processes",
        type=int,
        default=2,
        help="waitress processes on PostgreSQL (about one per core; the database needs CPU too)",
    )
    parser.add_argument("--threads", type=int, default=2, help="waitress threads per process (bin/serve's)")
    parser.add_argument(
        "--client-processes",
        type=int,
        default=5,
        help="processes the clerks are spread over (0: threads of the benchmark's own process)",
    )
    parser.add_argument(
        "--think", type=float, default=1.0, help="mean pause between a clerk's pages, seconds (0: none)"
    )
    parser.add_argument(
        "--fast-pg",
        dest="durable_pg",
        action="store_false",
        help="keep the test cluster's fsync=off instead of production durability",
    )
    parser.add_argument(
        "--redis",
        action="store_true",
        help="the scale stack on PostgreSQL: a throw-away redis-server for rate limits (on) and the queue, one worker",
    )
    parser.add_argument("--limits", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=1405)
    parser.add_argument("--serve", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.threads, args.limits)
        return
    dbs = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    results = [run(db, args) for db in dbs]
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
