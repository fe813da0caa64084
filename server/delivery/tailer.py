"""LogTailer: follows the log in log order and feeds one worker's Fanout.

When the log lives in this process and can push its commits (``PushingLog``:
the DurableLog of thread and pool mode), the log's writer thread delivers each
batch right after committing it. Otherwise (the log in the Manager process)
one thread per worker waits on the log from a cursor.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from server.log import Entry, LogOverrun, MessageLog, PushingLog

from .fanout import Fanout

__all__ = ["LogTailer"]

log = logging.getLogger(__name__)


class LogTailer:
    def __init__(self, source: MessageLog, fanout: Fanout[Any], batch: int = 2000) -> None:
        self._log = source
        self._fanout = fanout
        self._batch = batch
        self._stopped = threading.Event()
        self.cursor = source.last_seq()
        fanout.start_at(self.cursor)
        self._thread = threading.Thread(target=self._run, name="log-tailer", daemon=True)

    def start(self) -> None:
        if isinstance(self._log, PushingLog):
            self._log.follow(self.cursor, self._take)
        else:
            self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        if self._thread.is_alive():
            self._thread.join(3)

    def _take(self, entries: list[Entry]) -> None:
        if entries and not self._stopped.is_set():
            self._fanout.deliver(entries)
            self.cursor = entries[-1].seq

    def _run(self) -> None:
        while not self._stopped.is_set():
            try:
                entries = self._log.wait_after(self.cursor, 0.2, self._batch)
            except LogOverrun as exc:
                log.error("delivery fell behind the in-memory log, skipping: %s", exc)
                self.cursor = self._log.last_seq()
                continue
            except (EOFError, ConnectionError, BrokenPipeError) as exc:
                if not self._stopped.is_set():
                    log.error("log unreachable, delivery stops: %r", exc)
                return
            self._take(entries)
