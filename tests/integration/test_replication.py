"""Replicas of the World on a real redis-server, driven in-process: snapshots, and a stream trimmed too far."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
import redis

from server.log.memory import MemoryLog
from server.shared.partitions import PARTITION_KEYS, PartitionedLog
from server.shared.replication import ReplicatedWorld, Replication
from tests.support.redis_server import redis_server
from tests.support.replicas import snapshot_now


@pytest.fixture
def redis_url() -> Iterator[str]:
    with redis_server() as server:
        yield server.url


def replica(url: str, name: str, lost: list[str] | None = None) -> tuple[ReplicatedWorld, Replication]:
    replication = Replication(redis.Redis.from_url(url), f"{name}~0", on_lost=(lost if lost is not None else []).append)
    world = ReplicatedWorld(MemoryLog(), replication)
    replication.start()
    return world, replication


@pytest.mark.timeout(30)
def test_a_replica_started_later_begins_from_the_snapshot_and_follows_on(redis_url: str) -> None:
    first, first_replication = replica(redis_url, "first")
    try:
        first.set_nick("first~0/w0:1", "ann", "h", 1.0)
        first.register("first~0/w0:1", "ann", "Ann", 1.0)
        first.join("first~0/w0:1", "#kept", "", 2.0)
        first.set_topic("first~0/w0:1", "#kept", "before the snapshot", 3.0)
        snapshot_now(first_replication)  # as if 30 s had passed
        client = redis.Redis.from_url(redis_url)
        for key in PARTITION_KEYS:  # nothing older than the snapshot is needed any more
            client.xtrim(key, minid="9999999999999-0")
        assert sum(client.xlen(key) for key in PARTITION_KEYS) == 0

        second, second_replication = replica(redis_url, "second")
        try:
            view = second.channel("#kept", "nobody")
            assert view is not None and view.topic == "before the snapshot"
            assert second.set_nick("second~0/w0:1", "ann", "h", 4.0).refusals  # the nick is the network's
            first.set_topic("first~0/w0:1", "#kept", "after it", 5.0)
            applied = threading.Event()
            for _ in range(100):
                view = second.channel("#kept", "nobody")
                if view is not None and view.topic == "after it":
                    applied.set()
                    break
                applied.wait(0.05)
            assert applied.is_set()
        finally:
            second_replication.stop()
    finally:
        first_replication.stop()


@pytest.mark.timeout(30)
def test_a_replica_that_missed_trimmed_operations_stops_instead_of_diverging(redis_url: str) -> None:
    world, replication = replica(redis_url, "early")
    try:
        world.set_nick("early~0/w0:1", "early", "h", 1.0)
    finally:
        replication.stop()
    client = redis.Redis.from_url(redis_url)
    for key in PARTITION_KEYS:  # gone, and no snapshot has them
        client.xtrim(key, minid="9999999999999-0")
    lost: list[str] = []
    _, late = replica(redis_url, "late", lost)
    try:
        for _ in range(100):
            if lost:
                break
            threading.Event().wait(0.05)
        assert lost and "trimmed" in lost[0]
    finally:
        late.stop()


@pytest.mark.timeout(30)
def test_an_entry_that_cannot_be_read_is_logged_and_the_rest_still_applied(redis_url: str,
                                                                            caplog: pytest.LogCaptureFixture) -> None:
    world, replication = replica(redis_url, "sturdy")
    try:
        PartitionedLog(redis.Redis.from_url(redis_url), "broken~0").append([b"not an operation"])
        assert not world.set_nick("sturdy~0/w0:1", "sturdy", "h", 1.0).refusals
        assert "cannot read operation" in caplog.text
    finally:
        replication.stop()
