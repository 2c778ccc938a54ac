"""Public pages against a bare Flask "hello": req/s, server CPU ms per request and the ratio to hello, side by side.

    .venv/bin/python benchmarks/pages.py                          # 352 (the demo) and 10,000 services, SQLite
    .venv/bin/python benchmarks/pages.py --sizes 352 --rounds 2 --seconds 2
    .venv/bin/python benchmarks/pages.py --db postgresql --sizes 10000
    .venv/bin/python benchmarks/pages.py --profile /services/10030001   # cProfile of one page in-process

Three servers run at once, each under waitress with the same settings (one process, bin/serve's 2 threads,
loopback): a bare Flask app answering "hello", the app with its page cache (as `bin/serve` runs it) and the app with
the page cache off (PAGE_CACHE=null). Each size gets a fresh database (migrated, the demo loaded through seed-demo's own code, then
for 10,000 copies of the demo cards with new codes, clusters and life events kept, imported as `catalogue import`
does). wrk (Debian's package; installed with apt-get when missing and we are root) sends each target in turn for
--seconds with Chromium's Accept-Encoding, --rounds times interleaved (hello, then every page cached and uncached),
and the server's CPU time (user + system, /proc/<pid>/stat) over each slice is divided by the requests it answered.
The machine may be shared: only ratios measured in one interleaved run mean anything, and each is the median of the
rounds. The goal (issue 15): anonymous public pages <= 5x hello's CPU per request from cache, <= 15x uncached.
"""

import argparse
import copy
import http.client
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ACCEPT_ENCODING = "gzip, deflate, br, zstd"  # what Chromium sends
CARD = "10030001"
PAGES = [
    ("home", "/"),
    ("card", f"/services/{CARD}"),
    ("search", "/search?q=%DA%AF%D8%B0%D8%B1%D9%86%D8%A7%D9%85%D9%87"),  # «گذرنامه»
    ("agencies", "/agencies"),
    ("cluster", "/clusters/business"),
    ("life event", "/life-events/birth"),
    ("offices", "/offices"),
    ("/track", "/track"),
]
CACHEABLE = {"home", "card", "search", "agencies", "cluster", "life event", "offices"}
GOAL_CACHED, GOAL_UNCACHED = 5, 15
TICKS = os.sysconf("SC_CLK_TCK")


# --- the servers -------------------------------------------------------------------------------------------


def hello_app():
    from flask import Flask

    app = Flask("hello")

    @app.get("/")
    def hello():
        return "hello"

    return app


def serve(port, kind, threads):
    """In a child process: waitress on loopback, the settings bin/serve gives waitress-serve."""
    from waitress import serve as waitress_serve

    if kind == "hello":
        application = hello_app()
    else:
        from app import create_app

        application = create_app()
    waitress_serve(
        application,
        host="127.0.0.1",
        port=port,
        threads=threads,
        ident=None,
        clear_untrusted_proxy_headers=False,
        connection_limit=200,
    )


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(kind, database_url, workdir, threads, extra_env):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "RATELIMIT_STORAGE_URI", "PAGE_CACHE")}
    env.update(
        DATABASE_URL=database_url,
        SECRET_KEY="benchmark-pages",
        JOBS_SQLITE_PATH=str(workdir / "jobs.sqlite3"),
        UPLOAD_FOLDER=str(workdir / "uploads"),
        PYTHONPATH=str(ROOT),
        **extra_env,
    )
    log = open(workdir / f"{kind}-{port}.log", "w")  # noqa: SIM115  (closed in stop)
    proc = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(port), "--kind", kind, "--threads", str(threads)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=str(ROOT),
    )
    deadline = time.monotonic() + 90
    while True:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/")
            if conn.getresponse().status == 200:
                break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{kind} server did not start; see {workdir}")
        time.sleep(0.3)
    return {"kind": kind, "proc": proc, "port": port, "log": log}


def stop(servers):
    for server in servers:
        server["proc"].terminate()
    for server in servers:
        try:
            server["proc"].wait(timeout=10)
        except subprocess.TimeoutExpired:
            server["proc"].kill()
        server["log"].close()


def cpu_seconds(pid):
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime (fields 14 and 15 of the whole line)


def rss_mb(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# --- the database ------------------------------------------------------------------------------------------


def prepare(database_url, size):
    """Migrate, load the demo as seed-demo does, then (size > the demo's) copies of its cards with new codes."""
    import logging

    from flask_migrate import upgrade

    from app import create_app
    from app.catalogue.transfer import Source, import_catalogue
    from app.demo import CATALOGUE, load
    from app.extensions import db

    logging.getLogger("alembic").setLevel(logging.WARNING)
    application = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "LOG_LEVEL": "WARNING"})
    with application.app_context():
        upgrade()
        load()
        db.session.commit()
        demo = json.loads(CATALOGUE.read_text(encoding="utf-8"))
        extra = size - len(demo["services"])
        if extra > 0:
            services = []
            for n in range(extra):
                card = copy.deepcopy(demo["services"][n % len(demo["services"])])
                card["code"] = f"{20000000 + n}"
                card["title"] = f"{card['title']} ({n // len(demo['services']) + 2})"
                card.pop("form", None)
                services.append(card)
            import_catalogue(Source.from_data({**demo, "services": services}))
            db.session.commit()
        db.engine.dispose()


# --- the load ----------------------------------------------------------------------------------------------


def wrk_binary():
    found = shutil.which("wrk")
    if found or os.geteuid() != 0:
        return found
    print("wrk not found: installing Debian's package")
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False, stdout=subprocess.DEVNULL)
    return shutil.which("wrk")


def load(wrk, server, path, seconds, connections):
    """One wrk slice; returns (requests answered, server CPU seconds, non-2xx answers)."""
    url = f"http://127.0.0.1:{server['port']}{path}"
    before = cpu_seconds(server["proc"].pid)
    out = subprocess.run(
        [wrk, "-t2", f"-c{connections}", f"-d{seconds}s", "-H", f"Accept-Encoding: {ACCEPT_ENCODING}", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    after = cpu_seconds(server["proc"].pid)
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return requests, after - before, int(bad.group(1)) if bad else 0


def check_page(server, path):
    conn = http.client.HTTPConnection("127.0.0.1", server["port"], timeout=30)
    conn.request("GET", path, headers={"Accept-Encoding": ACCEPT_ENCODING})
    response = conn.getresponse()
    body = response.read()
    if response.status != 200:
        raise RuntimeError(f"{path} answered {response.status} on the {server['kind']} server")
    return len(body), response.getheader("Content-Encoding")


def run_size(args, size, wrk):
    workdir = Path(tempfile.mkdtemp(prefix="panjereh-pages-"))
    pg = None
    servers = []
    try:
        if args.db == "sqlite":
            database_url = "sqlite:///" + str(workdir / "bench.sqlite3")
        else:
            from tests.postgres import TemporaryPostgres

            pg = TemporaryPostgres()
            database_url = pg.start()
        started = time.perf_counter()
        prepare(database_url, size)
        print(f"\n== {size} services ({args.db}), loaded in {time.perf_counter() - started:.0f} s ==")
        hello = start("hello", database_url, workdir, args.threads, {})
        cached = start("app", database_url, workdir, args.threads, {})
        uncached = start("app", database_url, workdir, args.threads, {"PAGE_CACHE": "null"})
        servers = [hello, cached, uncached]
        targets = [("hello", hello, "/")]
        for name, path in PAGES:
            if args.only and name not in args.only:
                continue
            for mode, server in (("cached", cached), ("uncached", uncached)):
                check_page(server, path)
                targets.append((f"{name} {mode}" if name in CACHEABLE else name, server, path))
                if name not in CACHEABLE:
                    break  # never cached: one line, measured on the cached server
        results = {label: [] for label, _s, _p in targets}
        for _round in range(args.rounds):
            for label, server, path in targets:
                requests, cpu, bad = load(wrk, server, path, args.seconds, args.connections)
                if bad:
                    raise RuntimeError(f"{label}: {bad} answers were not 2xx/3xx")
                results[label].append((requests / args.seconds, cpu * 1000 / max(requests, 1)))
        hello_ms = statistics.median(ms for _rps, ms in results["hello"])
        print(f"{'page':<22}{'req/s':>9}{'CPU ms/req':>12}{'x hello':>9}  goal")
        failed = []
        for label, _server, _path in targets:
            rps = statistics.median(r for r, _ms in results[label])
            ms = statistics.median(m for _r, m in results[label])
            ratio = ms / hello_ms
            goal = GOAL_CACHED if label.endswith(" cached") else GOAL_UNCACHED if label.endswith("uncached") else None
            verdict = "" if goal is None else (f"<= {goal}x met" if ratio <= goal else f"<= {goal}x NOT met")
            if goal is not None and ratio > goal:
                failed.append(label)
            print(f"{label:<22}{rps:>9.0f}{ms:>12.2f}{ratio:>8.1f}x  {verdict}")
        print(
            f"RSS after the run: cached server {rss_mb(cached['proc'].pid):.0f} MB, "
            f"uncached {rss_mb(uncached['proc'].pid):.0f} MB, hello {rss_mb(hello['proc'].pid):.0f} MB"
        )
        return failed
    finally:
        stop(servers)
        if pg is not None:
            pg.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def profile(args):
    """cProfile of one page through the test client (no cache), after a warm-up, sorted by own time."""
    import cProfile
    import pstats

    workdir = Path(tempfile.mkdtemp(prefix="panjereh-pages-profile-"))
    try:
        database_url = "sqlite:///" + str(workdir / "bench.sqlite3")
        prepare(database_url, args.sizes[-1])
        from app import create_app

        os.environ["PAGE_CACHE"] = os.environ.get("PAGE_CACHE", "null")
        application = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "LOG_LEVEL": "WARNING"})
        client = application.test_client()
        headers = {"Accept-Encoding": ACCEPT_ENCODING}
        for _ in range(50):
            client.get(args.profile, headers=headers)
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(300):
            client.get(args.profile, headers=headers)
        profiler.disable()
        pstats.Stats(profiler).sort_stats(os.environ.get("PROFILE_SORT", "cumulative")).print_stats(40)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--sizes", type=int, nargs="+", default=[352, 10_000])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=3, help="length of one wrk slice")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2, help="waitress threads per server (bin/serve's)")
    parser.add_argument("--only", nargs="+", metavar="PAGE", help="only these pages (names as printed: home, card …)")
    parser.add_argument("--profile", metavar="PATH", help="profile this page in-process instead of loading it")
    parser.add_argument("--serve", type=int, metavar="PORT", help=argparse.SUPPRESS)
    parser.add_argument("--kind", default="app", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.kind, args.threads)
        return
    if args.profile:
        profile(args)
        return
    wrk = wrk_binary()
    if wrk is None:
        sys.exit("wrk is needed: apt-get install wrk")
    print(
        f"waitress, 1 process x {args.threads} threads; wrk -t2 -c{args.connections}, {args.seconds} s slices, "
        f"{args.rounds} rounds interleaved; {os.cpu_count()} CPUs; CPU from /proc"
    )
    failed = []
    for size in args.sizes:
        failed += [f"{label} at {size}" for label in run_size(args, size, wrk)]
    if failed:
        print("goals NOT met: " + ", ".join(failed))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
