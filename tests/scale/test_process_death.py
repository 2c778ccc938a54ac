"""A web process killed with SIGKILL in the middle of counter filing: no acknowledged filing lost or doubled."""

import random
import threading
import time

from benchmarks import counter_load
from tests.scale.conftest import Visitor

CLERKS = 8
SECONDS = 6
KILL_AFTER = 2.5


class FailoverClerk(counter_load.Clerk):
    """A clerk behind a reverse proxy: a request that finds its process dead goes once to the other process, as
    nginx's proxy_next_upstream would. Every counter page may be sent twice: submit carries an idempotency key."""

    def __init__(self, number, ports, stats, rng):
        super().__init__(number, ports[number % 2], stats, rng)
        self.other = ports[(number + 1) % 2]
        self.failovers = []  # the error each failover answered (refused, or a connection cut with a request in it)

    def request(self, method, path, form=None, kind="page", conn=None):
        try:
            return super().request(method, path, form, kind, conn)
        except counter_load.Failed as error:
            if conn is not None or self.port == self.other:
                raise
            self.failovers.append(str(error))
            self.port, self.conn = self.other, None
            return super().request(method, path, form, kind)


def test_killing_a_web_process_during_counter_filing_loses_and_doubles_no_acknowledged_filing(scale, app, database_url):
    with app.app_context():
        counter_load.seed(CLERKS, password_method="pbkdf2:sha256:1")
    ports = [scale.port("a"), scale.port("b")]
    victim = scale.web["a"]
    stats = counter_load.Stats()
    clerks = [FailoverClerk(n, ports, stats, random.Random(1405 + n)) for n in range(CLERKS)]
    for clerk in clerks:
        # Each clerk its own address behind the proxy is not needed here: 8 sign-ins stay under the limit of 20.
        clerk.sign_in()
    deadline = time.monotonic() + SECONDS

    def work(clerk):
        while time.monotonic() < deadline:
            try:
                codes = clerk.file_one(think=0, double=False)
            except counter_load.Failed as error:
                with stats.lock:
                    stats.errors.append(f"clerk{clerk.number}: {error}")
                continue
            with stats.lock:
                stats.codes.append(codes[0])

    threads = [threading.Thread(target=work, args=(clerk,), daemon=True) for clerk in clerks]
    for thread in threads:
        thread.start()
    time.sleep(KILL_AFTER)
    filed_before_kill = len(stats.codes)
    victim.kill9()
    for thread in threads:
        thread.join(timeout=SECONDS + 60)

    assert not any(thread.is_alive() for thread in threads)
    assert filed_before_kill > 0 and len(stats.codes) > filed_before_kill  # filing went on, on the survivor
    assert stats.errors == []
    assert sum(len(clerk.failovers) for clerk in clerks[::2]) >= 1  # the clerks of the killed process felt it
    check = counter_load.check_database(database_url, stats.codes)
    assert check["acknowledged"] == len(stats.codes)  # a code acknowledged twice would be a double filing
    assert check["missing"] == 0
    assert check["duplicates"] == 0
    assert check["wrong_payment_sets"] == 0
    # A filing the dead process committed without answering was resent to the survivor, which named the same code.
    assert check["unacknowledged"] == 0
    assert check["stored"] == len(stats.codes)
    assert Visitor().request(ports[1], "GET", "/healthz")[0] == 200
