"""The benchmarks' shared runner: one measurement on SQLite (a temporary file) and/or on a throw-away PostgreSQL
cluster (tests/postgres.py), as a benchmark's --db option asks."""

import shutil
import tempfile
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
