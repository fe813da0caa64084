"""Helpers for tests that drive replicas of the network in-process."""

from __future__ import annotations

from server.shared.partitions import PARTITION_KEYS, parse_id
from server.shared.replication import Replication
from tests.support.servers import wait_for


def snapshot_now(replication: Replication) -> None:
    """What the applying thread does every 30 s, done now, once the replica has applied all there is (its
    state is then at its merge's id, which the applying thread moves on only after applying)."""
    client = replication.client
    last = max((parse_id(found[0][0]) for key in PARTITION_KEYS if (found := client.xrevrange(key, count=1))),
               default=(0, 0))
    assert wait_for(lambda: replication._partitions.merge.applied >= last, 10)
    replication._snapshot_at, replication._dirty = 0.0, True
    replication._maybe_snapshot()
