"""Services: what every connection of a worker shares, whichever dispatch mode runs it."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from server.accounts import AccountStore
from server.auth import HashPool
from server.delivery import BlockedWriter, Fanout
from server.domain import ServerSettings, World
from server.domain.admission import Admission, AdmissionPolicy
from server.domain.context import HistoryReader, ServerHooks
from server.domain.flood import FloodPolicy
from server.domain.liveness import LivenessPolicy

from .wakeups import Wakeups

if TYPE_CHECKING:
    from .connection import Connection

__all__ = ["Limits", "Services"]


@dataclass(frozen=True, slots=True)
class Limits:
    sendq: int = 1 << 20
    # A fixed kernel send buffer per socket: autotuning would let the kernel hold up
    # to 4 MiB per slow client, making the SendQ limit meaningless and memory unbounded.
    socket_sndbuf: int = 128 << 10
    max_clients: int = 10_000
    liveness: LivenessPolicy = field(default_factory=LivenessPolicy)
    flood: FloodPolicy = field(default_factory=FloodPolicy)


@dataclass
class Services:
    world: World
    settings: ServerSettings
    fanout: Fanout[Connection]
    writer: BlockedWriter
    limits: Limits
    history: HistoryReader | None = None
    worker_id: str = "w0"
    # Commits the log's pending entries in the calling thread (when the log is in this process).
    commit_now: Callable[[], None] | None = None
    wakeups: Wakeups = field(default_factory=Wakeups)
    admission: Admission = field(default_factory=lambda: Admission(AdmissionPolicy()))
    cpu: HashPool | None = None  # where handlers' CPU-heavy jobs run (worker processes)
    hooks: ServerHooks | None = None
    accounts: AccountStore | None = None
    clock: Callable[[], float] = time.time

    @property
    def flood(self) -> FloodPolicy:
        return self.limits.flood
