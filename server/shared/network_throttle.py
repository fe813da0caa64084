"""Login and registration throttles that hold for the whole network: the counts live in Redis.

Each throttled key (an address, or an account and an address) is a sorted
set ``chat:throttle:<kind>:{<key>}`` of the times of its failures, trimmed to
the window and expiring with it, so that guesses spread over every node
count against one limit. Each node counts in memory too and the stricter
count wins, so that a node cut off from Redis still throttles what it sees.
"""

from __future__ import annotations

import logging
import os

import redis

from server.accounts.throttle import Throttle

__all__ = ["SharedThrottle"]

log = logging.getLogger("chat-server.accounts")

THROTTLE = "chat:throttle:{}:{{{}}}"


class SharedThrottle(Throttle):
    """A Throttle (same interface) whose counts are the network's."""

    def __init__(self, client: redis.Redis, kind: str, limit: int, window: float) -> None:
        super().__init__(limit, window)
        self._redis = client
        self._kind = kind

    def _key(self, key: str) -> str:
        return THROTTLE.format(self._kind, key)

    def wait(self, key: str, now: float) -> float:
        here = super().wait(key, now)
        if self.limit <= 0:
            return here
        try:
            # The oldest of the newest ``limit`` failures in the window decides when the next try may come.
            times = self._redis.zrange(self._key(key), "+inf", f"({now - self.window}", desc=True, byscore=True,
                                       withscores=True, offset=0, num=self.limit)
        except redis.RedisError as exc:
            log.warning("login throttle from this node's counts only (Redis: %s)", exc)
            return here
        if len(times) < self.limit:
            return here
        return max(here, float(times[-1][1]) + self.window - now)

    def note(self, key: str, now: float) -> None:
        super().note(key, now)
        if self.limit <= 0:
            return
        name = self._key(key)
        try:
            pipe = self._redis.pipeline(transaction=False)
            pipe.zadd(name, {os.urandom(6).hex(): now})
            pipe.zremrangebyscore(name, "-inf", now - self.window)
            pipe.zremrangebyrank(name, 0, -self.limit - 1)  # only the newest ``limit`` matter
            pipe.pexpire(name, max(1, round(self.window * 1000)))
            pipe.execute()
        except redis.RedisError as exc:
            log.warning("a failed login counted on this node only (Redis: %s)", exc)

    def clear(self, key: str) -> None:
        super().clear(key)
        try:
            self._redis.delete(self._key(key))
        except redis.RedisError as exc:
            log.warning("a login throttle cleared on this node only (Redis: %s)", exc)
