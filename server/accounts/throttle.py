"""Sliding-window counters for failed logins and registrations, per address and per account."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

__all__ = ["LoginPolicy", "Throttle"]


@dataclass(frozen=True, slots=True)
class LoginPolicy:
    # Failed logins one address may make in the window, whatever the accounts...
    failures_per_address: int = 20
    # ...and against one account from one address: the owner logging in from
    # elsewhere is never locked out by someone guessing.
    failures_per_account: int = 5
    window: float = 300.0
    # Accounts one address may register in the register window (0: no limit).
    registrations: int = 5
    register_window: float = 3600.0


class Throttle:
    """Counts events per key in a window of seconds; forgets keys gone quiet."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit, self.window = limit, window
        self._seen: dict[str, deque[float]] = {}

    def _recent(self, key: str, now: float) -> deque[float] | None:
        times = self._seen.get(key)
        if times is not None:
            while times and times[0] <= now - self.window:
                times.popleft()
            if not times:
                del self._seen[key]
                return None
        return times

    def wait(self, key: str, now: float) -> float:
        """Seconds until ``key`` may act again (0: now)."""
        if self.limit <= 0:
            return 0.0
        times = self._recent(key, now)
        if times is None or len(times) < self.limit:
            return 0.0
        return max(0.0, times[0] + self.window - now)

    def note(self, key: str, now: float) -> None:
        if self.limit <= 0:
            return
        if len(self._seen) > 100_000:  # a storm of addresses: forget the quiet ones first
            for stale in [k for k, t in self._seen.items() if t[-1] <= now - self.window]:
                del self._seen[stale]
        self._recent(key, now)
        self._seen.setdefault(key, deque(maxlen=self.limit)).append(now)

    def clear(self, key: str) -> None:
        self._seen.pop(key, None)
