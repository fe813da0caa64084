"""The live progress bar (tqdm, on stderr): clients connected, messages sent and received."""

from __future__ import annotations

import sys
import time

from tqdm import tqdm

from .params import Params

__all__ = ["Progress"]


class Progress:
    """One bar: clients during setup, then deliveries (or registrations) once the run starts."""

    def __init__(self, params: Params, enabled: bool) -> None:
        self.params = params
        self.counts_deliveries = params.workload in ("fanout", "rooms", "churn")
        self.bar: tqdm | None = None
        if enabled:
            self.bar = tqdm(total=params.clients if self.counts_deliveries else None, desc=f"{params.workload} setup",
                            unit="client", file=sys.stderr, dynamic_ncols=True, leave=True, mininterval=0.2)
        self.running = False
        self.next = 0.0

    def start(self, expected: int) -> None:
        self.running = True
        if self.bar is not None:
            total = expected if self.counts_deliveries else self.params.clients
            self.bar.reset(total=total)
            self.bar.set_description(self.params.workload)
            self.bar.unit = "msg" if self.counts_deliveries else "client"

    def update(self, connected: int, sent: int, received: int, failed: int, force: bool = False) -> None:
        if self.bar is None or (time.monotonic() < self.next and not force):
            return
        self.next = time.monotonic() + 0.2
        self.bar.n = received if self.running and self.counts_deliveries else connected
        self.bar.set_postfix(connected=connected, sent=sent, received=received, failed=failed, refresh=False)
        self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
