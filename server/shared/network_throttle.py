"""Login and registration throttles that hold for the whole network: the counts live in Redis.

Each throttled key (an address, or an account and an address) is a sorted
set ``chat:throttle:<kind>:{<key>}`` of the times of its failures, trimmed to
the window and expiring with it, so that guesses spread over every node
count against one limit. Each node counts in memory too and the stricter
count wins, so that a node cut off from Redis still throttles what it sees.

The account store's throttle lock guards only the counts in memory: the
round trips to Redis happen after it is released (``NetworkThrottles``), so
one slow answer, or none during a split, holds up no other login.
"""

from __future__ import annotations

import logging
import os
import threading

import redis

from server.accounts.throttle import Throttle
from server.protocol import casefold

__all__ = ["NetworkThrottles", "SharedThrottle"]

log = logging.getLogger("chat-server.accounts")

THROTTLE = "chat:throttle:{}:{{{}}}"


class SharedThrottle(Throttle):
    """A Throttle whose ``wait``/``note``/``clear`` count in memory (under the store's lock) and whose
    ``network_*`` counterparts count in Redis (with no lock held)."""

    def __init__(self, client: redis.Redis, kind: str, limit: int, window: float) -> None:
        super().__init__(limit, window)
        self._redis = client
        self._kind = kind

    def _key(self, key: str) -> str:
        return THROTTLE.format(self._kind, key)

    def network_wait(self, key: str, now: float) -> float:
        """Seconds until ``key`` may act again by the network's count (0: now, or Redis out of reach)."""
        if self.limit <= 0:
            return 0.0
        try:
            # The oldest of the newest ``limit`` failures in the window decides when the next try may come.
            times = self._redis.zrange(self._key(key), "+inf", f"({now - self.window}", desc=True, byscore=True,
                                       withscores=True, offset=0, num=self.limit)
        except redis.RedisError as exc:
            log.warning("login throttle from this node's counts only (Redis: %s)", exc)
            return 0.0
        if len(times) < self.limit:
            return 0.0
        return max(0.0, float(times[-1][1]) + self.window - now)

    def network_note(self, key: str, now: float) -> None:
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

    def network_clear(self, key: str) -> None:
        try:
            self._redis.delete(self._key(key))
        except redis.RedisError as exc:
            log.warning("a login throttle cleared on this node only (Redis: %s)", exc)


def _shared(throttle: Throttle) -> SharedThrottle | None:
    return throttle if isinstance(throttle, SharedThrottle) else None


class NetworkThrottles:
    """An AccountStore's throttle methods, for throttles that are SharedThrottles: the counts in memory
    under ``_throttle_lock``, Redis's after it is released; the stricter count wins."""

    _throttle_lock: threading.Lock
    _by_address: Throttle
    _by_account: Throttle
    _registrations: Throttle

    def login_wait(self, account: str, host: str, now: float) -> float:
        """Seconds before ``host`` may try to log in to ``account`` again (0: now)."""
        pair = f"{casefold(account)} {host}"
        with self._throttle_lock:
            by_address, by_account = self._by_address, self._by_account
            here = max(by_address.wait(host, now), by_account.wait(pair, now))
        waits = [here]
        if (shared := _shared(by_address)) is not None:
            waits.append(shared.network_wait(host, now))
        if (shared := _shared(by_account)) is not None:
            waits.append(shared.network_wait(pair, now))
        return max(waits)

    def login_failed(self, account: str, host: str, now: float) -> None:
        pair = f"{casefold(account)} {host}"
        with self._throttle_lock:
            by_address, by_account = self._by_address, self._by_account
            by_address.note(host, now)
            by_account.note(pair, now)
        if (shared := _shared(by_address)) is not None:
            shared.network_note(host, now)
        if (shared := _shared(by_account)) is not None:
            shared.network_note(pair, now)

    def login_succeeded(self, account: str, host: str) -> None:
        pair = f"{casefold(account)} {host}"
        with self._throttle_lock:
            by_account = self._by_account
            by_account.clear(pair)
        if (shared := _shared(by_account)) is not None:
            shared.network_clear(pair)

    def register_wait(self, host: str, now: float) -> float:
        with self._throttle_lock:
            registrations = self._registrations
            here = registrations.wait(host, now)
        shared = _shared(registrations)
        return here if shared is None else max(here, shared.network_wait(host, now))

    def registered_from(self, host: str, now: float) -> None:
        with self._throttle_lock:
            registrations = self._registrations
            registrations.note(host, now)
        if (shared := _shared(registrations)) is not None:
            shared.network_note(host, now)
