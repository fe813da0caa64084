"""Flood control by fake lag: a token bucket per client, and the commands it does not count.

A client may send ``burst`` commands at once, then ``rate`` a second; what
comes faster is delayed (by the connection, which holds it in order), never
dropped. The bucket is plain arithmetic on a clock the caller passes in, so
checking a line costs the same whatever the client did before.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["FREE_COMMANDS", "FloodGate", "FloodPolicy"]

# Keep-alives and leaving cost nothing: delaying them would only make a
# flooding client look dead to its own ping checks, or stay longer.
FREE_COMMANDS = frozenset({"PING", "PONG", "QUIT"})


@dataclass(frozen=True, slots=True)
class FloodPolicy:
    enabled: bool = True
    burst: int = 5
    rate: float = 2.0  # commands a second, once the burst is spent
    recvq: int = 8192  # bytes read but not yet run before the client is dropped (Excess Flood)


class FloodGate:
    """One client's bucket: ``take`` spends a token if there is one."""

    __slots__ = ("_burst", "_rate", "_stamp", "_tokens")

    def __init__(self, policy: FloodPolicy, now: float) -> None:
        self._burst = float(policy.burst)
        self._rate = policy.rate
        self._tokens = self._burst
        self._stamp = now

    def _refill(self, now: float) -> None:
        if now > self._stamp:
            self._tokens = min(self._burst, self._tokens + (now - self._stamp) * self._rate)
            self._stamp = now

    def take(self, now: float) -> bool:
        """Spend one token for a command run at ``now``; False if it must wait."""
        self._refill(now)
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False

    def owe(self, now: float) -> None:
        """Spend a token that is not there: the bucket goes into debt, and what follows waits it out."""
        self._refill(now)
        self._tokens -= 1.0

    def wait(self, now: float) -> float:
        """Seconds from ``now`` until ``take`` will succeed."""
        self._refill(now)
        return 0.0 if self._tokens >= 1.0 else (1.0 - self._tokens) / self._rate
