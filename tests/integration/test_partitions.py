"""The partitioned stream of operations on a real redis-server (and a real 3-master Redis Cluster): how the
append script stamps ids, and two replicas busy at once on every partition ending in one state, with one
order of events."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import cast

import pytest
import redis
from redis.cluster import RedisCluster

from server.domain.errors import Unavailable
from server.domain.model import UserView
from server.log.memory import MemoryLog
from server.shared.network import connect_bus
from server.shared.partitions import APPEND, CLUSTER_PARTITIONS, PARTITION_KEYS, PER_MICROSECOND, format_id, parse_id
from server.shared.replication import ReplicatedWorld, Replication
from tests.support.redis_server import (
    cluster_flags,
    redis_cluster,
    redis_cluster_servers,
    redis_server,
    wait_for_cluster,
)
from tests.support.servers import wait_for

PARTITIONS = CLUSTER_PARTITIONS
STEP = PARTITIONS * PER_MICROSECOND


@pytest.fixture
def redis_url() -> Iterator[str]:
    with redis_server() as server:
        yield server.url


@pytest.mark.timeout(30)
def test_each_partition_stamps_ids_of_its_own_residue_after_what_its_node_applied(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    append = client.register_script(APPEND)
    ids = []
    for p in (3, 5, 3):
        last = append(keys=[PARTITION_KEYS[p]], args=[p, PARTITIONS, 0, 0, PER_MICROSECOND, b"x", b"y", b"z"])
        entries = client.xrange(PARTITION_KEYS[p])
        ids += [parse_id(entry_id) for entry_id, _ in entries[-3:]]
        assert format_id(ids[-1]) == last.decode()
        assert all(seq % PARTITIONS == p for _, seq in ids[-3:])
    assert len(set(ids)) == len(ids)  # unique across the partitions: a msgid names one operation
    later = (int(cast(list[bytes], client.time())[0]) + 3600) * 1000
    stamped = append(keys=[PARTITION_KEYS[5]], args=[5, PARTITIONS, later, 7, PER_MICROSECOND, b"after"])
    ms, seq = parse_id(stamped)  # never before what its node had applied, whatever the clock says:
    assert ms == later and 7 < seq <= 7 + PARTITIONS and seq % PARTITIONS == 5  # the next id of its residue
    assert parse_id(append(keys=[PARTITION_KEYS[5]], args=[5, PARTITIONS, 0, 0, PER_MICROSECOND, b"next"])) \
        == (later, seq + PARTITIONS)
    _, now = parse_id(append(keys=[PARTITION_KEYS[4]], args=[4, PARTITIONS, 0, 0, PER_MICROSECOND, b"now"]))
    assert now % PARTITIONS == 4 and now // STEP < 1000  # stamped by its microsecond within its millisecond


def replica(client: redis.Redis, name: str) -> tuple[ReplicatedWorld, MemoryLog, Replication]:
    replication = Replication(client, f"{name}~0", on_lost=[].append, partitions=PARTITIONS)
    log = MemoryLog()
    world = ReplicatedWorld(log, replication)
    replication.start()
    return world, log, replication


def busy_together(client: Callable[[], redis.Redis]) -> tuple[list[MemoryLog], list[ReplicatedWorld]]:
    """Two replicas, each with three connections changing the network at once (and racing for nicks)."""
    worlds, logs = [], []
    with ExitStack() as stack:
        for name in ("east", "west"):
            world, log, replication = replica(client(), name)
            stack.callback(replication.stop)
            worlds.append(world)
            logs.append(log)

        def connection(world: ReplicatedWorld, conn: str) -> None:
            world.set_nick(conn, conn.replace("~0/w0:", ""), "h", 1.0)
            world.register(conn, conn, "R", 1.0)
            for n in range(12):
                world.join(conn, f"#c{n % 3}", "", 2.0)
                world.message(conn, "PRIVMSG", f"#c{n % 3}", f"{conn} {n}")
                world.set_nick(conn, f"racer{n % 4}", "h", 3.0)  # both nodes want these nicks at once
                if n % 4 == 3:
                    world.set_topic(conn, f"#c{n % 3}", f"{conn} {n}", 4.0)
                    world.part(conn, f"#c{n % 3}", "bye")

        threads = [threading.Thread(target=connection, args=(world, f"{name}~0/w0:{i}"))
                   for world, name in zip(worlds, ("east", "west"), strict=True) for i in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(20)
        assert wait_for(lambda: logs[0].last_seq() == logs[1].last_seq() > 0, 10), "the replicas did not settle"
        return logs, worlds


def events(log: MemoryLog) -> list[object]:
    return [(entry.event.command, entry.event.params, entry.event.origin) for entry in log.read_after(0, 10**6)]


def assert_one_network(logs: list[MemoryLog], worlds: list[ReplicatedWorld]) -> None:
    assert events(logs[0]) == events(logs[1])
    assert worlds[0].export_state() == worlds[1].export_state()
    nicks = [cast(UserView, worlds[0].user(f"{name}~0/w0:{i}")).nick for name in ("east", "west") for i in range(3)]
    assert len(set(nicks)) == 6  # no nick claimed twice


@pytest.mark.timeout(60)
def test_two_busy_replicas_apply_every_partition_in_one_order(redis_url: str) -> None:
    logs, worlds = busy_together(lambda: redis.Redis.from_url(redis_url))
    assert_one_network(logs, worlds)
    client = redis.Redis.from_url(redis_url)
    assert sum(1 for key in PARTITION_KEYS if client.xlen(key)) > 1  # the operations were spread


@pytest.mark.timeout(90)
def test_the_partitions_spread_over_the_masters_of_a_cluster_and_still_give_one_order() -> None:
    with redis_cluster() as url:
        logs, worlds = busy_together(lambda: connect_bus(url))
        assert_one_network(logs, worlds)
        cluster = cast(RedisCluster, connect_bus(url))
        used = [key for key in PARTITION_KEYS if cluster.xlen(key)]
        assert len({cluster.get_node_from_key(key).name for key in used}) > 1
        masters = Counter(cluster.get_node_from_key(key).name for key in PARTITION_KEYS)
        assert sorted(masters.values()) == [2, 2, 2]  # the partitions are spread evenly


@pytest.mark.timeout(120)
def test_a_cluster_master_restarted_under_live_replicas_loses_nothing_and_they_go_on_as_one() -> None:
    with redis_cluster_servers() as (url, servers), ExitStack() as stack:
        replicas = []
        for name in ("east", "west"):
            world, log, replication = replica(connect_bus(url), name)
            stack.callback(replication.stop)
            replicas.append((world, log))
        (east, east_log), (west, west_log) = replicas
        for world, conn in ((east, "east~0/w0:1"), (west, "west~0/w0:1")):
            world.set_nick(conn, conn[:4], "h", 1.0)
            world.register(conn, conn[:4], "R", 1.0)
            world.join(conn, "#kept", "", 2.0)
        for n in range(12):  # every partition, so every master, has some
            east.message("east~0/w0:1", "PRIVMSG", "#kept", f"before {n}")

        down = servers[0]
        redis.Redis(port=down.port).shutdown()  # its append-only file has everything it acknowledged
        assert down.proc is not None and down.proc.wait(10) == 0
        with pytest.raises(Unavailable):  # the merge waits for the master that is away
            for n in range(PARTITIONS):
                west.message("west~0/w0:1", "PRIVMSG", "#kept", f"while away {n}")
        down.start(cluster_flags(down))
        wait_for_cluster(down)

        east.message("east~0/w0:1", "PRIVMSG", "#kept", "after")
        assert wait_for(lambda: "after" in said(west_log) and events(east_log) == events(west_log), 30), \
            "the replicas did not go on as one"
        assert [text for text in said(west_log) if text.startswith("before")] == [f"before {n}" for n in range(12)]
        assert east.export_state() == west.export_state()


def said(log: MemoryLog) -> list[str]:
    return [entry.event.params[1] for entry in log.read_after(0, 10**6) if entry.event.command == "PRIVMSG"]
