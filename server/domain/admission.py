"""Admission: which new connections an address may open (at once, and per time window).

Counts are kept per address, and per /64 for IPv6 (one subscriber usually
holds a whole /64). Exempt networks (loopback by default, so the local load
tester and tests are not throttled) are never counted. The caller passes the
clock; the counts are shared by every worker (in process mode this object
lives in the Manager), so the limits hold for the whole server.
"""

from __future__ import annotations

import ipaddress
import threading
from dataclasses import dataclass

__all__ = ["Admission", "AdmissionPolicy", "address_key", "parse_networks"]

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, slots=True)
class AdmissionPolicy:
    max_per_ip: int = 16  # concurrent connections per address (0: no limit)
    throttle_count: int = 32  # new connections per address per window (0: no limit)
    throttle_window: float = 600.0
    exempt: tuple[str, ...] = ("127.0.0.1/32", "::1/128")


def parse_networks(cidrs: tuple[str, ...]) -> tuple[Network, ...]:
    """CIDRs as networks; raises ValueError naming the one that is not."""
    networks = []
    for cidr in cidrs:
        try:
            networks.append(ipaddress.ip_network(cidr.strip(), strict=False))
        except ValueError:
            raise ValueError(f"not an address or network: {cidr!r}") from None
    return tuple(networks)


def address_key(host: str) -> str:
    """What an address is counted as: itself for IPv4, its /64 for IPv6."""
    try:
        addr = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(addr, ipaddress.IPv6Address):
        if addr.ipv4_mapped is not None:
            return str(addr.ipv4_mapped)
        return str(ipaddress.IPv6Network((addr, 64), strict=False))
    return str(addr)


class Admission:
    def __init__(self, policy: AdmissionPolicy) -> None:
        self._lock = threading.Lock()
        self._concurrent: dict[str, int] = {}
        self._windows: dict[str, tuple[float, int]] = {}  # key -> (window start, connections in it)
        self._swept = 0.0
        self.configure(policy)

    def configure(self, policy: AdmissionPolicy) -> None:
        """New limits (REHASH); the counts so far stay."""
        exempt = parse_networks(policy.exempt)
        with self._lock:
            self.policy = policy
            self._exempt = exempt
            self._known: dict[str, tuple[bool, str]] = {}  # host -> (exempt, key)

    def _classify(self, host: str) -> tuple[bool, str]:
        """(exempt, key) of an address, remembered: a storm repeats a few addresses thousands of times,
        and parsing one is most of what refusing it costs (lock held)."""
        known = self._known.get(host)
        if known is None:
            if len(self._known) >= 4096:
                self._known.clear()
            known = self._known[host] = (self._is_exempt(host), address_key(host))
        return known

    def _is_exempt(self, host: str) -> bool:
        try:
            addr = ipaddress.ip_address(host)
        except ValueError:
            return False
        if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
            addr = addr.ipv4_mapped
        return any(addr in net for net in self._exempt if net.version == addr.version)

    def admit(self, host: str, now: float) -> str | None:
        """Count a new connection from ``host``; or, if it is over a limit, why not (nothing counted)."""
        with self._lock:
            exempt, key = self._classify(host)
            if exempt:
                return None
            policy = self.policy
            if policy.max_per_ip and self._concurrent.get(key, 0) >= policy.max_per_ip:
                return f"Too many connections from {host}"
            if policy.throttle_count:
                self._sweep(now)
                start, count = self._windows.get(key, (now, 0))
                if now - start >= policy.throttle_window:
                    start, count = now, 0
                if count >= policy.throttle_count:
                    return "Connection throttled, try again later"
                self._windows[key] = (start, count + 1)
            self._concurrent[key] = self._concurrent.get(key, 0) + 1
            return None

    def release(self, host: str) -> None:
        """A connection ``admit`` counted has closed."""
        with self._lock:
            exempt, key = self._classify(host)
            if exempt:
                return
            left = self._concurrent.get(key, 0) - 1
            if left > 0:
                self._concurrent[key] = left
            else:
                self._concurrent.pop(key, None)

    def _sweep(self, now: float) -> None:
        """Forget windows that ended, at most once a tenth of a window (lock held): memory stays bounded."""
        window = self.policy.throttle_window
        if now - self._swept < window / 10:
            return
        self._swept = now
        self._windows = {key: entry for key, entry in self._windows.items() if now - entry[0] < window}

    def counts(self, host: str) -> tuple[int, int]:
        """(concurrent connections, connections in the current window) counted for ``host``."""
        with self._lock:
            key = address_key(host)
            return self._concurrent.get(key, 0), self._windows.get(key, (0.0, 0))[1]
