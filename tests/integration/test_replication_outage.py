"""A node while its Redis is down, on a real redis-server: commands are refused promptly, a node that stops
(as a fenced one does) stops within a bounded time, and the history it could not write is written once Redis
is back."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from server.domain.errors import Unavailable
from server.log import Entry, Event
from server.log.durable import DurableLog
from server.shared.network_history import HistoryWriter
from server.shared.network_log import StampedLog
from server.shared.replication import ReplicatedWorld, Replication
from tests.integration.test_network import NODE_TIMEOUT, join, network
from tests.support.client import LineClient
from tests.support.redis_server import RedisServer, redis_server
from tests.support.servers import wait_for


@pytest.fixture
def server() -> Iterator[RedisServer]:
    with redis_server() as running:
        yield running


class Node:
    def __init__(self, url: str, data: Path) -> None:
        self.client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self.replication = Replication(self.client, "outage~0", on_lost=[].append)
        self.writer = HistoryWriter(self.client, None, None)
        self.replication.rider = self.writer
        self.store = DurableLog(data / "outage.sqlite3", fsync="everysec")
        self.world = ReplicatedWorld(StampedLog(self.store, self.replication, self.writer), self.replication,
                                     archive=self.store)
        self.replication.start()


def unwritten_message(text: str) -> Entry:
    """A channel message this node applied and whose history write has not gone out yet."""
    event = Event("PRIVMSG", "ann!a@h", ("#outage", text), "outage~0/w0:1", ("#outage",))
    return Entry(1, f"{round(time.time() * 1000)}-0.0", time.time(), event)


def finished_within(seconds: float, work: object) -> bool:
    thread = threading.Thread(target=work, daemon=True)  # type: ignore[arg-type]
    thread.start()
    thread.join(seconds)
    return not thread.is_alive()


@pytest.mark.timeout(60)
def test_while_redis_is_down_commands_are_refused_promptly_and_history_waits_for_it(server: RedisServer,
                                                                                    tmp_path: Path) -> None:
    node = Node(server.url, tmp_path)
    try:
        node.world.set_nick("outage~0/w0:1", "ann", "h", 1.0)
        server.stop()
        node.writer.note([unwritten_message("said just before Redis went")])
        refusals: list[Exception] = []

        def submit() -> None:
            try:
                node.world.set_nick("outage~0/w0:2", "bea", "h", 2.0)
            except Unavailable as exc:
                refusals.append(exc)

        started = time.monotonic()
        for _ in range(3):
            assert finished_within(4, submit), "a command stayed stuck while Redis was down"
        assert len(refusals) == 3 and time.monotonic() - started < 12
        server.start()  # same port and files
        assert wait_for(lambda: node.client.zcard("chat:hist:{#outage}"), 10), \
            "the history was not written once Redis was back"
        assert not node.writer.waiting()
    finally:
        server.start() if server.proc is None or server.proc.poll() is not None else None
        assert finished_within(10, node.replication.stop)
        node.store.close()


@pytest.mark.timeout(60)
def test_a_node_stopping_without_redis_gives_up_its_history_writes_and_stops(server: RedisServer,
                                                                             tmp_path: Path) -> None:
    node = Node(server.url, tmp_path)
    try:
        node.world.set_nick("outage~0/w0:1", "ann", "h", 1.0)
        server.stop()
        node.writer.note([unwritten_message("never written")])
        assert finished_within(10, node.replication.stop), "stop() kept retrying while Redis was down"
    finally:
        node.store.close()


@pytest.mark.timeout(60)
def test_a_node_that_lost_redis_fences_itself_and_exits() -> None:
    with network() as (redis_, (a, _b)), LineClient(a.address, "cut") as cut:
        join(cut, "#cut")
        for n in range(20):
            cut.send(f"PRIVMSG #cut :just before {n}")
        redis_.stop()
        lost_at = time.monotonic()
        cut.send("PRIVMSG #cut :while it is down")
        cut.expect("FAIL PRIVMSG TEMPORARILY_UNAVAILABLE", timeout=5)
        assert time.monotonic() - lost_at < 5
        a.proc.wait(float(NODE_TIMEOUT) + 20)
        assert time.monotonic() - lost_at < float(NODE_TIMEOUT) + 20
