"""Network-wide login throttles on a real redis-server: the stricter count wins, and while Redis does not
answer (a split: the server is there but silent) one login check holds up no other."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from server.accounts.throttle import LoginPolicy
from server.shared.replication import ReplicatedAccounts, Replication
from tests.support.redis_server import RedisServer, redis_server

POLICY = LoginPolicy(failures_per_address=3, failures_per_account=2, window=60.0)


@pytest.fixture
def server() -> Iterator[RedisServer]:
    with redis_server() as running:
        yield running


def node_accounts(url: str, path: Path) -> ReplicatedAccounts:
    client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
    return ReplicatedAccounts(path, Replication(client, f"{path.stem}~0", on_lost=[].append), POLICY)


@pytest.mark.timeout(60)
def test_failures_on_one_node_throttle_logins_on_another(server: RedisServer, tmp_path: Path) -> None:
    east = node_accounts(server.url, tmp_path / "east.sqlite3")
    west = node_accounts(server.url, tmp_path / "west.sqlite3")
    try:
        now = time.time()
        assert west.login_wait("ann", "192.0.2.1", now) == 0
        for _ in range(POLICY.failures_per_account):
            east.login_failed("Ann", "192.0.2.1", now)
        assert west.login_wait("ann", "192.0.2.1", now + 1) == pytest.approx(POLICY.window - 1)
        assert west.login_wait("bob", "192.0.2.1", now + 1) == 0  # another account from that address
        east.login_succeeded("ann", "192.0.2.1")
        assert west.login_wait("ann", "192.0.2.1", now + 1) == 0
        for _ in range(POLICY.registrations):
            east.registered_from("192.0.2.9", now)
        assert west.register_wait("192.0.2.9", now) > 0
    finally:
        east.close()
        west.close()


@pytest.mark.timeout(60)
def test_while_redis_is_silent_login_checks_do_not_queue_behind_each_other(server: RedisServer,
                                                                           tmp_path: Path) -> None:
    accounts = node_accounts(server.url, tmp_path / "split.sqlite3")
    now = time.time()
    for _ in range(POLICY.failures_per_account):  # counted on this node too: they still hold in the split
        accounts.login_failed("ann", "192.0.2.1", now)
    assert server.proc is not None
    os.kill(server.proc.pid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        assert accounts.login_wait("ann", "192.0.2.1", now + 1) == pytest.approx(POLICY.window - 1)
        alone = time.monotonic() - started  # the socket timeouts of one check's round trips
        assert alone >= 0.5

        waits: list[float] = []

        def check(n: int) -> None:
            waits.append(accounts.login_wait(f"user{n}", f"192.0.2.{n + 10}", now + 1))

        threads = [threading.Thread(target=check, args=(n,)) for n in range(4)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        together = time.monotonic() - started
        assert waits == [0, 0, 0, 0]
        assert together < 2 * alone, f"4 checks took {together:.1f} s, one alone {alone:.1f} s"
    finally:
        os.kill(server.proc.pid, signal.SIGCONT)
        accounts.close()
