"""MemoryLog: the log held in one process's memory, bounded to the newest entries."""

from __future__ import annotations

import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence

from .events import Entry, Event, make_msgid

__all__ = ["LogOverrun", "MemoryLog"]


class LogOverrun(Exception):
    """A reader's cursor points at entries the log no longer holds."""


class MemoryLog:
    """A ring buffer of the newest ``capacity`` entries, safe to share between threads."""

    def __init__(self, capacity: int = 100_000, clock: Callable[[], float] = time.time) -> None:
        self._entries: deque[Entry] = deque(maxlen=capacity)
        self._clock = clock
        self._last = 0
        self._visible = 0  # readers see entries up to here; a durable log holds it back until committed
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)  # notified when entries become visible
        self._msgid_prefix = secrets.token_hex(4)

    def append(self, events: Sequence[Event], msgids: Sequence[str] = (), at: float | None = None) -> list[Entry]:
        """Number and keep ``events``; ``msgids`` and ``at`` name and time them instead of this log
        (a replica of a network gives every node's copy of an event the same, server/shared/network_log.py)."""
        with self._changed:
            now = self._clock() if at is None else at
            stored = []
            for i, event in enumerate(events):
                self._last += 1
                msgid = msgids[i] if msgids else make_msgid(self._msgid_prefix, self._last)
                entry = Entry(self._last, msgid, now, event)
                self._entries.append(entry)
                stored.append(entry)
            if stored:
                self._published(stored)
            return stored

    def _published(self, stored: list[Entry]) -> None:
        """Make appended entries visible to readers (lock held). Overridden to wait for disk."""
        self._visible = self._last
        self._changed.notify_all()

    def read_after(self, cursor: int, limit: int = 1000) -> list[Entry]:
        with self._changed:
            return self._slice_after(cursor, limit)

    def wait_after(self, cursor: int, timeout: float, limit: int = 1000) -> list[Entry]:
        with self._changed:
            self._changed.wait_for(lambda: self._visible > cursor, timeout)
            return self._slice_after(cursor, limit)

    def last_seq(self) -> int:
        """The last entry readers can see."""
        with self._changed:
            return self._visible

    def _slice_after(self, cursor: int, limit: int) -> list[Entry]:
        if cursor >= self._visible:
            return []
        first = self._last - len(self._entries) + 1
        if cursor + 1 < first:
            raise LogOverrun(f"entries {cursor + 1}..{first - 1} were dropped from memory")
        start = cursor + 1 - first
        end = min(len(self._entries) - (self._last - self._visible), start + limit)
        entries = self._entries
        return [entries[i] for i in range(start, end)]
