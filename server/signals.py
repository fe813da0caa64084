"""StopRequest: SIGINT and SIGTERM as an event the main thread waits on."""

from __future__ import annotations

import signal
import threading
from types import FrameType

__all__ = ["StopRequest"]


class StopRequest:
    """SIGINT and SIGTERM, turned into an event the main thread can wait on."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self) -> None:
        self.event = threading.Event()
        self.name = ""

    def install(self) -> StopRequest:
        for signum in self.SIGNALS:
            signal.signal(signum, self._handle)
        return self

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.name = signal.Signals(signum).name
        self.event.set()

    def wait(self) -> str:
        while not self.event.wait(0.2):
            pass
        return self.name
