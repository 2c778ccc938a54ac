"""A throw-away redis-server for the test suite: its own free port and directory, no file written, stopped at the end.

Debian's package `redis-server` (bin/test installs it when missing). The server runs in the foreground as a child
of the suite and is told by the kernel to stop when the suite dies (PR_SET_PDEATHSIG), so none is left behind even
when the suite is killed.
"""

import ctypes
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def die_with_parent() -> None:
    """In the child before exec: SIGTERM when the process that started it ends (Linux; elsewhere nothing)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class TemporaryRedis:
    def __init__(self) -> None:
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        if not Path(binary).exists():
            raise RuntimeError("redis-server was not found; install Debian's redis-server package")
        self.binary = binary
        self.root = Path(tempfile.mkdtemp(prefix="panjereh-redis-"))
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def start(self) -> str:
        """Start the server and wait until it answers; the URL of its database 0."""
        log = open(self.root / "log", "w")  # noqa: SIM115  (the child holds it; closed with the directory)
        # Nothing persisted (no RDB snapshot, no append-only file): a test store is thrown away.
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.root),
             "--save", "", "--appendonly", "no", "--daemonize", "no", "--protected-mode", "yes"],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, preexec_fn=die_with_parent,
        )  # fmt: skip
        log.close()
        deadline = time.monotonic() + 15
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                output = (self.root / "log").read_text(errors="replace")
                self.stop()
                raise RuntimeError(f"redis-server did not start:\n{output}")
            time.sleep(0.05)
        return f"redis://127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        try:
            if self.process is not None and self.process.poll() is None:
                self.process.terminate()
                try:
                    self.process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
