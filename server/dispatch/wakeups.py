"""Wakeups: one thread per worker that resumes connections whose input was held back.

A connection holds input while it is flood-limited or waits for a CPU job
(a password check). Nothing arrives on its socket to wake it then, so it asks
to be resumed at a time (``at``) or as soon as possible (``soon``, from the
job's completion callback, which must not run commands on the pool's own
thread). Resuming runs the held commands on this thread, under the
connection's turn, so they stay in order with anything its reader runs.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from typing import Protocol

__all__ = ["Resumable", "Wakeups"]

log = logging.getLogger(__name__)


class Resumable(Protocol):
    def resume(self) -> None: ...


class Wakeups:
    def __init__(self) -> None:
        self._due: list[tuple[float, int, Resumable]] = []
        self._order = itertools.count()  # ties never compare connections
        self._changed = threading.Condition(threading.Lock())
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="wakeups", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def at(self, when: float, conn: Resumable) -> None:
        """Resume ``conn`` at monotonic time ``when`` (or soon after)."""
        with self._changed:
            heapq.heappush(self._due, (when, next(self._order), conn))
            if self._due[0][2] is conn:
                self._changed.notify()

    def soon(self, conn: Resumable) -> None:
        self.at(0.0, conn)

    def __len__(self) -> int:
        return len(self._due)

    def stop(self) -> None:
        with self._changed:
            self._stopped = True
            self._changed.notify()
        if self._thread.is_alive():
            self._thread.join(2)

    def _run(self) -> None:
        while True:
            with self._changed:
                while not self._stopped and (not self._due or self._due[0][0] > time.monotonic()):
                    timeout = self._due[0][0] - time.monotonic() if self._due else None
                    self._changed.wait(timeout)
                if self._stopped:
                    return
                _, _, conn = heapq.heappop(self._due)
            try:
                conn.resume()
            except Exception:  # one connection's bug must not stop everyone's wakeups
                log.exception("resuming a connection failed")
