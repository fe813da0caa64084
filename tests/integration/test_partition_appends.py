"""Appends to the partitions of a real 3-master Redis Cluster: a batch a master is slow to answer is appended
once, however redis-py's cluster client retries it."""

from __future__ import annotations

import itertools
import os
import signal
import threading
from typing import cast

import pytest
from redis.cluster import RedisCluster

from server.shared.network import connect_bus
from server.shared.partitions import PartitionedLog
from tests.support.redis_server import redis_cluster_servers


@pytest.mark.timeout(120)
def test_a_batch_whose_master_stalls_past_the_socket_timeout_is_appended_once() -> None:
    with redis_cluster_servers() as (url, servers):
        client = cast(RedisCluster, connect_bus(url))
        log = PartitionedLog(client, "slow~0")
        p = 0
        log._batches = itertools.count(p)  # this batch goes to partition 0
        key = log.keys[p]
        stalled = next(server for server in servers if server.port == client.get_node_from_key(key).port)
        assert stalled.proc is not None
        log.append([b"warm-up"])  # connections and the script are in place
        log._batches = itertools.count(p)

        os.kill(stalled.proc.pid, signal.SIGSTOP)  # the master takes the command, and answers it late
        outcome: list[Exception | None] = []

        def append() -> None:
            try:
                log.append([b"once"])
            except Exception as exc:
                outcome.append(exc)
            else:
                outcome.append(None)

        appending = threading.Thread(target=append)
        appending.start()
        try:
            threading.Event().wait(6.0)  # past connect_bus's socket timeout (5 s): the client sends it again
        finally:
            os.kill(stalled.proc.pid, signal.SIGCONT)
        appending.join(60)
        assert not appending.is_alive()
        ops = [fields[b"op"] for _, fields in client.xrange(key)]
        assert outcome == [None]  # the client sent it again, and got its answer
        assert ops.count(b"once") == 1, f"appended {ops.count(b'once')} times"
