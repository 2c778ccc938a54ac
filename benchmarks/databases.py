"""The benchmarks' shared runner: one measurement on SQLite (a temporary file) and/or on a throw-away PostgreSQL
cluster (tests/postgres.py), as a benchmark's --db option asks; and the page timing they share."""

import shutil
import statistics
import tempfile
import time
from collections.abc import Callable


def on_each(which: str, run: Callable[[str, str], object]) -> None:
    """run(label, database_url) for "sqlite", "postgresql" or "both"; PostgreSQL is skipped, saying why, when its
    server cannot be started here."""
    if which in ("sqlite", "both"):
        folder = tempfile.mkdtemp(prefix="panjereh-bench-")
        try:
            run("sqlite", f"sqlite:///{folder}/bench.sqlite3")
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    if which in ("postgresql", "both"):
        from tests.postgres import TemporaryPostgres

        try:
            server = TemporaryPostgres()
        except RuntimeError as error:
            print(f"postgresql skipped: {error}")
            return
        try:
            run("postgresql", server.start())
        finally:
            server.stop()


def percentiles(timings: list[float]) -> tuple[float, float]:
    """(p50, p95) of a list of timings."""
    timings.sort()
    return statistics.median(timings), timings[max(int(len(timings) * 0.95) - 1, 0)]


def measure_page(client, url: str, lookups: int) -> tuple[float, float]:
    """(p50, p95) in ms of one page fetched `lookups` times through a test client, after one warm-up fetch."""
    client.get(url)
    timings = []
    for _ in range(lookups):
        started = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return percentiles(timings)
