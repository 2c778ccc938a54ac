"""The scale stack: PostgreSQL + Redis + two waitress processes (+ the worker) over real HTTP, for tests/scale.

Each process is a subprocess of the suite with its own environment (the suite's throw-away database, the throw-away
Redis for rate limits and the queue, one SECRET_KEY shared by all), on a free port, logging to the session's
temporary folder; the kernel stops them if the suite dies (PR_SET_PDEATHSIG) and teardown kills them anyway.
The group runs on `--db postgresql` only (bin/test runs that): SQLite is the one-process embedded mode.
"""

import http.client
import os
import re
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest

from tests.redis import die_with_parent, free_port

WORKER_THREADS = 2
HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
# Settings of the developer's shell that would change what the processes do; the stack sets its own.
SCRUBBED = (
    "DATABASE_URL",
    "REDIS_URL",
    "RATELIMIT_STORAGE_URI",
    "SECRET_KEY",
    "SMS_BACKEND",
    "SMS_HTTP_URL",
    "TRUSTED_PROXIES",
    "PREFER_HTTPS",
    "UPLOAD_FOLDER",
)


def pytest_collection_modifyitems(config, items):
    """Every test in this folder is a scale test (`-m "not scale"` leaves them out). The scale stack runs on
    PostgreSQL (bin/test's second run), so on SQLite they are deselected, not skipped: a skip would read as a test
    that did not pass."""
    sqlite = config.getoption("--db") == "sqlite"
    kept, dropped = [], []
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.scale)
            if sqlite:
                dropped.append(item)
                continue
        kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


class Process:
    def __init__(self, name, command, env, log_path, port=None):
        self.name, self.port, self.log_path = name, port, log_path
        with open(log_path, "a") as log:
            self.popen = subprocess.Popen(
                command,
                env=env,
                cwd=str(ROOT),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                preexec_fn=die_with_parent,
            )

    def alive(self):
        return self.popen.poll() is None

    def kill9(self):
        self.popen.send_signal(signal.SIGKILL)
        self.popen.wait()

    def stop(self):
        if self.alive():
            self.popen.terminate()
            try:
                self.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()

    def log_tail(self, lines=30):
        return "\n".join(Path(self.log_path).read_text(errors="replace").splitlines()[-lines:])


class Stack:
    """The processes of one session; web processes by name ("a", "b"), started on demand and restarted when dead."""

    def __init__(self, database_url, redis_url, workdir):
        self.workdir = workdir
        self.redis_url = redis_url
        self.env = {key: value for key, value in os.environ.items() if key not in SCRUBBED}
        self.env.update(
            DATABASE_URL=database_url,
            REDIS_URL=redis_url,
            RATELIMIT_STORAGE_URI=redis_url,
            SECRET_KEY=secrets.token_hex(32),
            SMS_BACKEND="local",
            UPLOAD_FOLDER=str(workdir / "uploads"),
            LOG_LEVEL="WARNING",
            PYTHONPATH=str(ROOT),
            PYTHONDONTWRITEBYTECODE="1",
        )
        self.web = {}
        self.workers = {}

    def start_web(self, name, waitress_options=(), **env):
        """A waitress process serving wsgi:app on a free port, waited for until /healthz answers."""
        port = free_port()
        command = [
            sys.executable,
            "-m",
            "waitress",
            "--host=127.0.0.1",
            f"--port={port}",
            "--threads=2",  # as the README runs each web process
            "--channel-timeout=60",
            "--connection-limit=400",
            *waitress_options,
            "wsgi:app",
        ]
        process = Process(name, command, {**self.env, **env}, self.workdir / f"web-{name}.log", port)
        self.web[name] = process
        deadline = time.monotonic() + 60
        while True:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                connection.request("GET", "/healthz")
                if connection.getresponse().status == 200:
                    return process
            except OSError:
                pass
            if not process.alive() or time.monotonic() > deadline:
                process.stop()
                raise RuntimeError(f"web process {name} did not start:\n{process.log_tail()}")
            time.sleep(0.1)

    def port(self, name):
        """The port of web process `name`, started first when it is not running."""
        process = self.web.get(name)
        if process is None or not process.alive():
            process = self.start_web(name)
        return process.port

    def start_worker(self, name="w1", **env):
        """A worker process (`flask --app wsgi worker`) with WORKER_THREADS threads."""
        command = [sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--workers", str(WORKER_THREADS)]
        process = Process(name, command, {**self.env, **env}, self.workdir / f"worker-{name}.log")
        self.workers[name] = process
        return process

    def stop(self):
        for process in [*self.web.values(), *self.workers.values()]:
            process.stop()


@pytest.fixture(scope="session")
def stack(database_url, session_app, redis_url, tmp_path_factory):
    """The session's scale stack (the schema migrated first, by session_app); every process stopped at the end."""
    running = Stack(database_url, redis_url, tmp_path_factory.mktemp("scale"))
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def scale(stack, app):
    """The stack for one test: Redis emptied first (rate-limit counters, queue), workers stopped afterwards; the
    database is emptied by the app fixture."""
    import redis

    redis.Redis.from_url(stack.redis_url).flushdb()
    yield stack
    for process in stack.workers.values():
        process.stop()
    stack.workers.clear()


class Visitor:
    """One person's browser, reduced to what the tests need: cookies, forms with their CSRF token, any port."""

    def __init__(self, headers=None):
        self.cookies = {}
        self.headers = headers or {}

    def request(self, port, method, path, form=None, timeout=30):
        headers = {**self.headers, "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
        finally:
            connection.close()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        return response.status, text

    def csrf(self, port, path):
        status, page = self.request(port, "GET", path)
        assert status == 200, (path, status)
        return re.search(r'name="csrf_token"[^>]*value="([^"]*)"', page).group(1)
