"""History of a network, driven in-process on a real redis-server: a node that starts from a snapshot, after
the stream it came from was trimmed, applied none of what was said before it, and serves it from Redis."""

from __future__ import annotations

import pickle
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import pytest
import redis

from server.log import Entry
from server.log.durable import DurableLog
from server.log.history import HistoryQuery
from server.shared.network_history import HistoryWriter, NetworkHistory, rewrite_history_of
from server.shared.network_log import NetworkLog, StampedLog
from server.shared.nodes import NodeWatch
from server.shared.partitions import PARTITION_KEYS
from server.shared.replication import ReplicatedWorld, Replication
from tests.support.redis_server import redis_server
from tests.support.replicas import snapshot_now
from tests.support.servers import wait_for


@pytest.fixture
def redis_url() -> Iterator[str]:
    with redis_server() as server:
        yield server.url


class Node:
    def __init__(self, url: str, name: str, data: Path) -> None:
        client = redis.Redis.from_url(url)
        self.replication = Replication(client, f"{name}~0", on_lost=[].append)
        self.writer = writer = HistoryWriter(client, None, None)
        self.replication.rider = writer
        self.store = DurableLog(data / f"{name}.sqlite3", fsync="everysec")
        self.world = ReplicatedWorld(StampedLog(self.store, self.replication, writer), self.replication,
                                     archive=self.store)
        self.log = NetworkLog(self.store, NetworkHistory(client))
        self.replication.start()

    def user(self, conn: str, nick: str, now: float) -> None:
        self.world.set_nick(conn, nick, "h", now)
        self.world.register(conn, nick, nick, now)

    def stop(self) -> None:
        self.replication.stop()
        self.store.close()


def ann_and_bea_in_gap(writes: Node, dies: Node) -> None:
    """Ann on the node that writes its history, Bea on one that never will (as if killed -9 between applying
    its operations and writing their history), both in #gap."""
    dies.replication.rider = None
    writes.user("writes~0/w0:1", "ann", 1.0)
    dies.user("dies~0/w0:1", "bea", 2.0)
    writes.world.join("writes~0/w0:1", "#gap", "", 3.0)
    dies.world.join("dies~0/w0:1", "#gap", "", 4.0)


def said(entries: list[Entry]) -> list[str]:
    return [entry.event.params[1] for entry in entries]


@pytest.mark.timeout(30)
def test_a_node_started_from_a_snapshot_serves_history_said_before_it_from_redis(redis_url: str,
                                                                                 tmp_path: Path) -> None:
    first = Node(redis_url, "first", tmp_path)
    try:
        first.user("first~0/w0:1", "ann", 1.0)
        first.world.join("first~0/w0:1", "#kept", "", 2.0)
        for n in range(3):
            first.world.message("first~0/w0:1", "PRIVMSG", "#kept", f"before {n}")
        client = redis.Redis.from_url(redis_url)
        assert wait_for(lambda: client.zcard("chat:hist:{#kept}") >= 3, 5), "the history was not written"
        snapshot_now(first.replication)  # as if 30 s had passed
        for key in PARTITION_KEYS:  # the snapshot holds it all: the stream need not
            client.xtrim(key, minid="9999999999999-0")

        second = Node(redis_url, "second", tmp_path)
        try:
            latest = HistoryQuery("LATEST", "#kept", 10)
            assert second.store.history(latest) == []  # it applied none of it...
            assert said(second.log.history(latest)) == ["before 0", "before 1", "before 2"]  # ...Redis has it
            second.user("second~0/w0:1", "bea", 3.0)
            outcome, _ = second.world.join("second~0/w0:1", "#kept", "", 4.0)
            first.world.message("first~0/w0:1", "PRIVMSG", "#kept", "after the join")
            replay = HistoryQuery("LATEST", "#kept", 2, up_to_seq=outcome.seq)
            assert said(second.log.history(replay)) == ["before 1", "before 2"]
            assert wait_for(lambda: said(second.log.history(latest))[-1:] == ["after the join"], 5), \
                "the message after the join did not reach history"
        finally:
            second.stop()
    finally:
        first.stop()


@pytest.mark.timeout(30)
def test_the_applying_thread_sends_history_and_leaves_commands_to_their_submitters(redis_url: str,
                                                                                    tmp_path: Path) -> None:
    node = Node(redis_url, "busy", tmp_path)
    try:
        node.user("busy~0/w0:1", "ann", 1.0)
        node.world.join("busy~0/w0:1", "#busy", "", 2.0)
        client = redis.Redis.from_url(redis_url)
        node.replication._stop.set()  # the applying thread stops reading: this test runs its step itself
        node.replication._thread.join(5)
        before = sum(client.xlen(key) for key in PARTITION_KEYS)
        queued = (10**9, pickle.dumps(("busy~0", 10**9, "world", "set_nick", ("busy~0/w0:2", "bea", "h", 3.0), {})))
        with node.replication._append_lock:  # a command its submitter is about to append
            node.replication._pending.append(queued)
        said_ = pickle.dumps(("busy~0", 0, "world", "message", ("busy~0/w0:1", "PRIVMSG", "#busy", "applied"), {}))
        node.replication._apply(cast(bytes, client.xadd(PARTITION_KEYS[0], {b"op": said_})).decode(), said_)  # one read
        assert node.replication.rider is not None and node.replication.rider.waiting()
        node.replication._partitions.read(threading.Event(), node.replication.rider)  # the next read
        assert client.zcard("chat:hist:{#busy}") == 1  # the history went...
        assert node.replication._pending == [queued]  # ...and the command was left to its submitter
        assert sum(client.xlen(key) for key in PARTITION_KEYS) == before + 1
    finally:
        node.stop()


@pytest.mark.timeout(30)
def test_a_message_whose_node_died_before_writing_its_history_is_still_in_history(redis_url: str,
                                                                                   tmp_path: Path) -> None:
    writes = Node(redis_url, "writes", tmp_path)
    dies = Node(redis_url, "dies", tmp_path)
    try:
        ann_and_bea_in_gap(writes, dies)
        writes.world.message("writes~0/w0:1", "PRIVMSG", "#gap", "kept 0")
        writes.world.message("writes~0/w0:1", "PRIVMSG", "#gap", "kept 1")
        dies.world.message("dies~0/w0:1", "PRIVMSG", "#gap", "never written")
        writes.world.message("writes~0/w0:1", "PRIVMSG", "#gap", "later")
        client = redis.Redis.from_url(redis_url)
        assert wait_for(lambda: client.zcard("chat:hist:{#gap}") >= 3, 5), "the history was not written"
        latest = HistoryQuery("LATEST", "#gap", 10)
        assert said(writes.log.history(latest)) == ["kept 0", "kept 1", "never written", "later"]
        assert said(writes.log.history(HistoryQuery("LATEST", "#gap", 2))) == ["never written", "later"]
        kept0, kept1, gap, later = (entry.msgid for entry in writes.log.history(latest))
        by_msgid = {  # a client paging by msgid, as it does with what it already has
            HistoryQuery("BEFORE", "#gap", 2, ("msgid", later)): ["kept 1", "never written"],
            HistoryQuery("AFTER", "#gap", 2, ("msgid", kept1)): ["never written", "later"],
            HistoryQuery("LATEST", "#gap", 10, ("msgid", kept1)): ["never written", "later"],
            HistoryQuery("BETWEEN", "#gap", 10, ("msgid", kept0), ("msgid", later)): ["kept 1", "never written"],
            HistoryQuery("BETWEEN", "#gap", 1, ("msgid", later), ("msgid", kept0)): ["never written"],
            HistoryQuery("AFTER", "#gap", 10, ("msgid", gap)): ["later"],
        }
        for query, expected in by_msgid.items():
            assert said(writes.log.history(query)) == expected, query
        client.zremrangebyrank("chat:hist:{#gap}", 0, 0)  # Redis trimmed its oldest: so does the answer
        assert said(writes.log.history(latest)) == ["kept 1", "never written", "later"]
    finally:
        dies.stop()
        writes.stop()


@pytest.mark.timeout(30)
def test_the_node_that_reaps_a_dead_one_writes_what_that_one_left_unwritten(redis_url: str, tmp_path: Path) -> None:
    writes = Node(redis_url, "writes", tmp_path)
    dies = Node(redis_url, "dies", tmp_path)
    client = redis.Redis.from_url(redis_url)
    watch = NodeWatch(client, writes.world, "writes~0", [].append, dead_after=1.0,
                      on_reaped=rewrite_history_of(writes.store, writes.writer))
    try:
        ann_and_bea_in_gap(writes, dies)
        dies.world.message("dies~0/w0:1", "PRIVMSG", "#gap", "never written")
        writes.world.message("writes~0/w0:1", "PRIVMSG", "#gap", "later")
        assert wait_for(lambda: client.zcard("chat:hist:{#gap}") >= 1, 5), "the history was not written"
        assert [m for m in client.zrange("chat:hist:{#gap}", 0, -1) if b"never written" in m] == []
        watch.start()  # "dies" has no heartbeat: reaped at the first look, and its message written again
        assert wait_for(lambda: any(b"never written" in m for m in client.zrange("chat:hist:{#gap}", 0, -1)), 10), \
            "the reaper did not write what the dead node left unwritten"
        assert writes.world.user("dies~0/w0:1") is None
        assert client.zcard("chat:hist:{#gap}") == 2  # "later" was not written twice
    finally:
        watch.stop()
        dies.stop()
        writes.stop()
