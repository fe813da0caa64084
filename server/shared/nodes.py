"""Nodes of one network: each proves it is alive, and the others quit the users of one that is not.

Every node runs under an incarnation, ``<node name>~<random>``, that prefixes
its connection ids (``<incarnation>/<worker>:<n>``). It renews a key that
expires ``--node-timeout`` seconds later; every node checks, for each
incarnation that still has users in its replica, that the key is there,
and quits the users of one whose key is gone with one ``reap`` operation.
Several nodes may reap the same incarnation: the first reap in the stream
quits its users, the others find nobody, so each QUIT is seen once.

A node that could not renew its key for that long has
probably been reaped: it fences itself (drops its clients and stops)
rather than serve users the rest of the network no longer sees.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import threading
import time
from collections.abc import Callable

import redis

from server.domain import World
from server.domain.errors import Unavailable

__all__ = ["NodeWatch", "new_incarnation"]

log = logging.getLogger("chat-server.nodes")

DEAD_AFTER = 10.0  # seconds (--node-timeout); another node notices within 1.2 times that
NODE_KEY = "chat:node:{}"
_NODE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9.\-_]{0,62}")


def new_incarnation(node_name: str) -> str:
    if not _NODE_NAME.fullmatch(node_name):
        raise ValueError(f"node name {node_name!r}: use letters, digits, '.', '-' and '_' (at most 63)")
    return f"{node_name}~{os.urandom(3).hex()}"


class NodeWatch:
    def __init__(self, client: redis.Redis, world: World, incarnation: str, fence: Callable[[str], None],
                 dead_after: float = DEAD_AFTER, on_reaped: Callable[[str], None] | None = None) -> None:
        self._redis = client
        self._dead_after = dead_after
        self._every = dead_after / 5
        self._world = world
        self.incarnation = incarnation
        self._fence = fence
        self._on_reaped = on_reaped  # given the incarnation whose users this node quit
        self._stop = threading.Event()
        self._last_beat = 0.0
        self._thread = threading.Thread(target=self._run, name="node-watch", daemon=True)

    def start(self) -> None:
        self._beat()  # alive before the first client can connect; raises if Redis is out of reach
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=3)
        with contextlib.suppress(redis.RedisError):
            self._redis.delete(NODE_KEY.format(self.incarnation))

    def _beat(self) -> None:
        self._redis.set(NODE_KEY.format(self.incarnation), str(os.getpid()), px=int(self._dead_after * 1000))
        self._last_beat = time.monotonic()

    def _run(self) -> None:
        while not self._stop.wait(self._every):
            silent = time.monotonic() - self._last_beat
            if silent > self._dead_after:  # paused, or cut off: the others may have quit our users already
                self._fence(f"no heartbeat for {silent:.1f} s (the other nodes consider this one gone)")
                return
            try:
                self._beat()
                self._reap_the_dead()
            except (redis.RedisError, Unavailable) as exc:
                log.warning("heartbeat failed: %s", exc)

    def _reap_the_dead(self) -> None:
        others = {cid.partition("/")[0] for cid in self._world.connections() if "/" in cid} - {self.incarnation}
        for incarnation in sorted(others):
            if self._redis.exists(NODE_KEY.format(incarnation)):
                continue
            node = incarnation.partition("~")[0]
            gone = self._world.reap(f"{incarnation}/", f"{node} went away")
            if gone:
                log.warning("node %s stopped answering: quit its %d users", incarnation, gone)
                if self._on_reaped is not None:
                    self._on_reaped(incarnation)
