"""Liveness rules with an injected clock."""

from __future__ import annotations

from server.domain.liveness import Liveness, LivenessPolicy

POLICY = LivenessPolicy(ping_interval=10, ping_timeout=5, registration_timeout=3)


def test_unregistered_connection_times_out() -> None:
    live = Liveness(connected_at=100, last_seen=100)
    assert live.check(POLICY, registered=False, now=102) is None
    assert live.check(POLICY, registered=False, now=104) == "Registration timed out"


def test_quiet_client_is_pinged_once_then_dropped() -> None:
    live = Liveness(connected_at=0, last_seen=0)
    assert live.check(POLICY, True, now=9) is None
    assert live.check(POLICY, True, now=11) == "ping"
    assert live.check(POLICY, True, now=12) is None  # one PING, not one per tick
    assert live.check(POLICY, True, now=17) == "Ping timeout: 17 seconds"


def test_any_input_resets_the_clock() -> None:
    live = Liveness(connected_at=0, last_seen=0)
    assert live.check(POLICY, True, now=11) == "ping"
    live.seen(13)
    assert live.check(POLICY, True, now=20) is None
    assert live.check(POLICY, True, now=24) == "ping"
