"""The liveness rules: when to PING a quiet client, and when to give up on it."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Liveness", "LivenessPolicy"]


@dataclass(frozen=True, slots=True)
class LivenessPolicy:
    ping_interval: float = 120.0
    ping_timeout: float = 60.0
    registration_timeout: float = 30.0


@dataclass(slots=True)
class Liveness:
    """Times (from any monotonic clock) of one connection's activity."""

    connected_at: float
    last_seen: float
    ping_sent: float = 0.0

    def seen(self, now: float) -> None:
        self.last_seen = now
        self.ping_sent = 0.0

    def check(self, policy: LivenessPolicy, registered: bool, now: float) -> str | None:
        """Return "ping" when a PING is due, a quit reason when the client is gone, else None."""
        if not registered:
            if now - self.connected_at > policy.registration_timeout:
                return "Registration timed out"
            return None
        if self.ping_sent:
            if now - self.ping_sent > policy.ping_timeout:
                return f"Ping timeout: {int(now - self.last_seen)} seconds"
            return None
        if now - self.last_seen > policy.ping_interval:
            self.ping_sent = now
            return "ping"
        return None
