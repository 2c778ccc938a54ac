"""Staff sign-in timing: a wrong password for a real account against an unknown account must take similar time, so the
answer's timing does not tell which usernames exist (issue 10, item 8: 91 ms against 6.5 ms before).

    .venv/bin/python benchmarks/staff_sign_in_timing.py              # 40 tries of each, interleaved
    .venv/bin/python benchmarks/staff_sign_in_timing.py --tries 200

A throw-away SQLite database in a temporary directory, migrated, with one staff account whose password is hashed by
the app's own scrypt (the test suite's cheap hash would prove nothing). Each try goes through the real page
(POST /staff/sign-in) with the test client, from its own client address so that the throttle never answers first,
and with rate limiting off. Printed: the median and p95 of each kind and the ratio of the medians; the goal is a
ratio between 0.8 and 1.25.
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tries", type=int, default=40)
    args = parser.parse_args()

    from flask_migrate import upgrade
    from werkzeug.security import generate_password_hash

    from app import create_app
    from app.extensions import db
    from app.models import Role, User, new_public_id

    with tempfile.TemporaryDirectory() as directory:
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": "sqlite:///" + str(Path(directory) / "timing.sqlite3"),
                "WTF_CSRF_ENABLED": False,
                "RATELIMIT_ENABLED": False,
                "SECRET_KEY": "benchmark",
                "LOG_LEVEL": "WARNING",
            }
        )
        with app.app_context():
            upgrade()
            db.session.add(
                User(
                    public_id=new_public_id(),
                    role=Role.NATIONAL_ADMIN,
                    username="real-admin",
                    password_hash=generate_password_hash("the right one"),
                )
            )
            db.session.commit()
        client = app.test_client()
        timings: dict[str, list[float]] = {"real": [], "unknown": []}
        for n in range(args.tries):
            for kind, username in (("real", "real-admin"), ("unknown", f"nobody-{n}")):
                address = f"10.{n // 250}.{n % 250}.{1 if kind == 'real' else 2}"
                started = time.perf_counter()
                response = client.post(
                    "/staff/sign-in",
                    data={"username": username, "password": "wrong"},
                    environ_base={"REMOTE_ADDR": address},
                )
                timings[kind].append((time.perf_counter() - started) * 1000)
                assert response.status_code == 400, response.status_code
        for kind, values in timings.items():
            values.sort()
            p95 = values[min(len(values) - 1, round(0.95 * len(values)))]
            print(f"{kind:8} median {statistics.median(values):7.1f} ms   p95 {p95:7.1f} ms")
        ratio = statistics.median(timings["unknown"]) / statistics.median(timings["real"])
        print(f"unknown/real median ratio {ratio:.2f} (goal 0.8 to 1.25)")


if __name__ == "__main__":
    main()
