"""The parameters of one run, and which clients, channels and senders it plans."""

from __future__ import annotations

import os
import secrets
from dataclasses import asdict, dataclass, field
from functools import cached_property
from typing import Any

__all__ = ["DEFAULTS", "WORKLOADS", "Params", "Plan"]

WORKLOADS = ("connect", "fanout", "rooms", "idle", "churn")

# Per-workload defaults, the sizes of the targets in issue 6.
DEFAULTS: dict[str, dict[str, Any]] = {
    "connect": {"clients": 2000, "in_flight": 100},
    "fanout": {"clients": 200, "senders": 10, "messages": 500},
    "rooms": {"clients": 1000, "channels": 100, "messages": 20, "rate": 2000.0},
    "idle": {"clients": 5000, "probes": 4, "hold": 5.0},
    "churn": {"clients": 200, "senders": 10, "messages": 200, "rate": 1000.0, "churners": 20},
}


def _cpus() -> int:
    return os.cpu_count() or 1


@dataclass(frozen=True)
class Params:
    """Everything that decides what a run does; written verbatim into the JSON report."""

    workload: str
    host: str = "127.0.0.1"
    port: int = 8080
    also_ports: tuple[int, ...] = ()  # more servers of one network on the same host: clients spread over all
    procs: int = field(default_factory=_cpus)
    clients: int = 200
    senders: int = 10
    messages: int = 500
    channels: int = 1
    rate: float = 0.0
    in_flight: int = 100
    probes: int = 4
    hold: float = 5.0
    ping_interval: float = 0.01
    churners: int = 20
    size: int = 0
    timeout: float = 120.0
    drain: float = 3.0
    server_pid: int | None = None
    run_id: str = field(default_factory=lambda: secrets.token_hex(2))

    def __post_init__(self) -> None:
        if self.workload not in WORKLOADS:
            raise ValueError(f"unknown workload {self.workload!r}; pick one of {', '.join(WORKLOADS)}")
        for name in ("procs", "clients", "in_flight"):
            if getattr(self, name) < 1:
                raise ValueError(f"--{name.replace('_', '-')} must be at least 1")
        for name in ("senders", "messages", "probes", "churners", "size"):
            if getattr(self, name) < 0:
                raise ValueError(f"--{name} must not be negative")
        if self.workload == "rooms" and not 1 <= self.channels <= self.clients:
            raise ValueError("--channels must be between 1 and --clients")
        if self.workload in ("fanout", "churn") and self.senders > self.clients:
            raise ValueError("--senders cannot exceed --clients")
        if self.timeout <= 0 or self.drain <= 0:
            raise ValueError("--timeout and --drain must be positive")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def port_for(self, index: int) -> int:
        """Client ``index``'s server: --port and --also-port take turns."""
        ports = (self.port, *self.also_ports)
        return ports[index % len(ports)]


@dataclass(frozen=True)
class Plan:
    """Deterministic layout: client i lives in process i % procs."""

    params: Params

    @property
    def procs(self) -> int:
        return min(self.params.procs, self.params.clients)

    def clients_of(self, worker: int) -> range:
        return range(worker, self.params.clients, self.procs)

    def nick(self, client: int) -> str:
        return f"lt{self.params.run_id}x{client}"

    def channel_index(self, client: int) -> int:
        return client % self.params.channels if self.params.workload == "rooms" else 0

    def channel(self, index: int) -> str:
        kind = "r" if self.params.workload == "rooms" else self.params.workload
        return f"#lt{self.params.run_id}-{kind}{index}" if kind == "r" else f"#lt{self.params.run_id}-{kind}"

    def channel_count(self) -> int:
        return self.params.channels if self.params.workload == "rooms" else 1

    def joins(self) -> bool:
        return self.params.workload in ("fanout", "rooms", "churn")

    def is_sender(self, client: int) -> bool:
        if self.params.workload == "rooms":
            return True
        if self.params.workload in ("fanout", "churn"):
            return client < self.params.senders
        return False

    @cached_property
    def senders_per_channel(self) -> list[int]:
        counts = [0] * self.channel_count()
        for c in range(self.params.clients):
            if self.is_sender(c):
                counts[self.channel_index(c)] += 1
        return counts

    @cached_property
    def members_per_channel(self) -> list[int]:
        counts = [0] * self.channel_count()
        for c in range(self.params.clients):
            counts[self.channel_index(c)] += 1
        return counts

    def expected_for(self, receiver: int) -> int:
        """Deliveries receiver should get if every planned message is sent."""
        if not self.joins():
            return 0
        senders = self.senders_per_channel[self.channel_index(receiver)] - self.is_sender(receiver)
        return senders * self.params.messages
