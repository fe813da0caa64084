"""The handles a driver process shares with the parent, and what it reports back."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

from .tracker import SenderTally

__all__ = ["FIELDS", "Control", "EventLike", "QueueLike", "WorkerResult", "wait_event"]

# Progress counters, one row of these per driver process in a shared array.
FIELDS = ("connected", "sent", "received", "failed")


class EventLike(Protocol):
    def is_set(self) -> bool: ...
    def set(self) -> None: ...


class QueueLike(Protocol):
    def put(self, obj: Any) -> None: ...


@dataclass
class Control:
    """Queue for reports, phase events, the common start time and the progress array."""

    events: QueueLike
    go: EventLike
    phase2: EventLike
    stop: EventLike
    start_ns: Any  # a multiprocessing.Value('q') without lock: the monotonic ns of 'go'
    progress: Any  # a multiprocessing.Array('q') without lock, len(FIELDS) slots per worker


@dataclass
class WorkerResult:
    """Everything one driver process measured; plain data so it pickles."""

    worker: int
    clients: int = 0
    connected: int = 0
    failed: list[int] = field(default_factory=list)
    sent: dict[int, int] = field(default_factory=dict)
    tallies: dict[int, SenderTally] = field(default_factory=dict)
    latency: bytes = b""
    register: bytes = b""
    ping: bytes = b""
    churn: bytes = b""
    received: int = 0
    other_lines: int = 0
    problems: dict[str, int] = field(default_factory=dict)
    first_send_ns: int = 0
    last_send_ns: int = 0
    last_delivery_ns: int = 0
    last_registered_ns: int = 0
    send_lag_max_ns: int = 0
    churn_cycles: int = 0
    churn_failures: int = 0
    login: bytes = b""
    logins: int = 0
    login_failures: int = 0
    first_login_ns: int = 0
    last_login_ns: int = 0
    error: str = ""


async def wait_event(event: EventLike, deadline: float, interval: float = 0.005) -> bool:
    """Poll a multiprocessing event from the loop, up to a monotonic deadline."""
    while not event.is_set():
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(interval)
    return True
