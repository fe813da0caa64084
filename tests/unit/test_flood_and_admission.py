"""The sans-I/O rules of flood control and admission: token buckets and per-address counts."""

from __future__ import annotations

import re

import pytest

from server.domain.admission import Admission, AdmissionPolicy, address_key, parse_networks
from server.domain.flood import FloodGate, FloodPolicy


def test_the_bucket_allows_a_burst_then_the_rate() -> None:
    gate = FloodGate(FloodPolicy(burst=5, rate=2.0), now=100.0)
    assert [gate.take(100.0) for _ in range(6)] == [True] * 5 + [False]
    assert gate.wait(100.0) == pytest.approx(0.5)
    assert not gate.take(100.4)
    assert gate.take(100.5)
    assert gate.take(110.0) and gate.take(110.0)  # refilled, but never past the burst
    assert sum(gate.take(110.0) for _ in range(10)) == 3


def test_ipv6_counts_per_64_and_mapped_ipv4_as_ipv4() -> None:
    assert address_key("2001:db8:1:2:aaaa::1") == address_key("2001:db8:1:2:bbbb::9") == "2001:db8:1:2::/64"
    assert address_key("2001:db8:1:3::1") != address_key("2001:db8:1:2::1")
    assert address_key("::ffff:192.0.2.7") == "192.0.2.7"
    assert address_key("192.0.2.7") == "192.0.2.7"


def test_concurrent_limit_per_address_and_per_64() -> None:
    admission = Admission(AdmissionPolicy(max_per_ip=2, throttle_count=0))
    assert admission.admit("2001:db8::1", 0.0) is None
    assert admission.admit("2001:db8::2", 0.0) is None
    assert admission.admit("2001:db8::3", 0.0) == "Too many connections from 2001:db8::3"
    assert admission.admit("2001:db8:0:1::3", 0.0) is None  # another /64
    admission.release("2001:db8::1")
    assert admission.admit("2001:db8::3", 0.0) is None
    assert admission.counts("2001:db8::9") == (2, 0)


def test_throttle_window_resets_and_refusals_are_not_counted() -> None:
    admission = Admission(AdmissionPolicy(max_per_ip=0, throttle_count=3, throttle_window=600.0))
    for _ in range(3):
        assert admission.admit("192.0.2.1", 10.0) is None
    for _ in range(50):
        assert admission.admit("192.0.2.1", 20.0) == "Connection throttled, try again later"
    assert admission.counts("192.0.2.1") == (3, 3)
    assert admission.admit("192.0.2.2", 20.0) is None
    assert admission.admit("192.0.2.1", 610.0) is None  # a new window


def test_exempt_networks_are_never_counted() -> None:
    admission = Admission(AdmissionPolicy(max_per_ip=1, throttle_count=1, exempt=("127.0.0.1/32", "::1/128",
                                                                                    "10.0.0.0/8")))
    for host in ("127.0.0.1", "::1", "10.1.2.3", "::ffff:10.1.2.3") * 3:
        assert admission.admit(host, 0.0) is None
    assert admission.admit("127.0.1.1", 0.0) is None  # other loopback addresses are counted
    assert admission.admit("127.0.1.1", 0.0) is not None


def test_memory_of_past_windows_is_bounded() -> None:
    admission = Admission(AdmissionPolicy(max_per_ip=0, throttle_count=5, throttle_window=10.0))
    for n in range(1000):
        admission.admit(f"198.51.{n // 256}.{n % 256}", float(n) / 100)
    admission.admit("203.0.113.1", 1000.0)
    assert len(admission._windows) == 1


def test_bad_networks_are_named() -> None:
    with pytest.raises(ValueError, match=re.escape("'10.0.0.0/33'")):
        parse_networks(("127.0.0.1/32", "10.0.0.0/33"))
