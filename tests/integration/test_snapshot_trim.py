"""Snapshots and trimming on a real redis-server: the partitions keep what a node a little behind still needs,
and are still trimmed once that is old enough."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis

from server.log.memory import MemoryLog
from server.shared import replication as replication_module
from server.shared.partitions import PARTITION_KEYS
from server.shared.replication import ReplicatedWorld, Replication
from tests.support.redis_server import redis_server
from tests.support.replicas import snapshot_now
from tests.support.servers import wait_for

SAID = 150  # more than a stream's node holds (100), so that an approximate XTRIM removes some


@pytest.fixture
def redis_url() -> Iterator[str]:
    with redis_server() as server:
        yield server.url


def replica(url: str, name: str, lost: list[str], partitions: int | None) -> tuple[ReplicatedWorld, Replication]:
    replication = Replication(redis.Redis.from_url(url), f"{name}~0", on_lost=lost.append, partitions=partitions)
    world = ReplicatedWorld(MemoryLog(), replication)
    replication.start()
    return world, replication


def busy(world: ReplicatedWorld, conn: str, nick: str, said: int) -> None:
    world.set_nick(conn, nick, "h", 1.0)
    world.register(conn, nick, "R", 1.0)
    world.join(conn, "#busy", "", 2.0)
    for n in range(said):
        world.message(conn, "PRIVMSG", "#busy", f"{nick} {n}")


def stream_length(url: str) -> int:
    client = redis.Redis.from_url(url)
    return sum(client.xlen(key) for key in PARTITION_KEYS)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("partitions", [None, 6], ids=["one partition", "six partitions"])
def test_a_node_a_moment_behind_two_quick_snapshots_of_others_goes_on_with_the_network(
        redis_url: str, partitions: int | None) -> None:
    """Nodes save snapshots on their own timers, so two saves may follow each other closely; the second
    must not trim away what a node that is a moment behind has not read yet (it would stop, or skip it)."""
    lost: list[str] = []
    first, first_replication = replica(redis_url, "first", lost, partitions)
    behind, behind_replication = replica(redis_url, "behind", lost, partitions)
    try:
        first.set_nick("first~0/w0:0", "zero", "h", 1.0)
        assert wait_for(lambda: behind.export_state() == first.export_state(), 10)
        with behind_replication._rider_lock:  # "behind" reads nothing meanwhile
            busy(first, "first~0/w0:1", "ann", SAID)
            snapshot_now(first_replication)  # one node's snapshot...
            first.message("first~0/w0:1", "PRIVMSG", "#busy", "between")
            snapshot_now(first_replication)  # ...and, a moment later, another's, which replaces it
        assert wait_for(lambda: bool(lost) or behind.export_state() == first.export_state(), 10)
        assert not lost, lost
        assert behind.export_state() == first.export_state()
    finally:
        behind_replication.stop()
        first_replication.stop()


@pytest.mark.timeout(60)
def test_the_partitions_are_trimmed_up_to_a_snapshot_once_it_is_old_enough(
        redis_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(replication_module, "TRIM_AFTER", 0.0)  # every node is taken to be caught up at once
    lost: list[str] = []
    first, first_replication = replica(redis_url, "first", lost, None)
    try:
        busy(first, "first~0/w0:1", "ann", SAID)
        snapshot_now(first_replication)
        first.message("first~0/w0:1", "PRIVMSG", "#busy", "between")
        snapshot_now(first_replication)
        before = stream_length(redis_url)
        first.message("first~0/w0:1", "PRIVMSG", "#busy", "after")
        snapshot_now(first_replication)
        assert stream_length(redis_url) < before  # what came before the first snapshot is gone

        later, later_replication = replica(redis_url, "later", lost, None)  # and a node starting now has it all
        try:
            assert wait_for(lambda: later.export_state() == first.export_state(), 10)
        finally:
            later_replication.stop()
        assert not lost, lost
    finally:
        first_replication.stop()
