"""Outbound: one connection's bounded send queue (its SendQ), flushed without blocking.

Guarantees: ``put`` never blocks and never reorders; one writer at a time
sends everything queued in one ``send`` call; past ``limit`` queued bytes the
queue refuses more and reports the overflow, so a client that stops reading
costs nobody else anything.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol

__all__ = ["Outbound", "Sink"]


class Sink(Protocol):
    """Where an Outbound's bytes go: a connection's socket, as seen by its queue."""

    def write_nowait(self, data: bytes) -> int:
        """Hand bytes to the socket without blocking: how many it took, or BlockingIOError."""
        ...

    def write_blocked(self, outbound: Outbound) -> None:
        """The socket is full: flush ``outbound`` again when it can take more."""
        ...


class Outbound:
    __slots__ = ("_chunks", "_lock", "_sink", "_size", "_writer_done", "_writing", "broken", "limit", "overflowed")

    def __init__(self, sink: Sink, limit: int) -> None:
        # The sink itself rather than two bound methods of it: 128 bytes less per connection.
        self._sink = sink
        self.limit = limit
        self._lock = threading.Lock()
        # Notified when a writer finishes; made by the first drain(), since a
        # Condition costs about 1 KiB and most connections never drain.
        self._writer_done: threading.Condition | None = None
        self._chunks: list[bytes] = []
        self._size = 0
        self._writing = False
        self.overflowed = False
        self.broken = False

    @property
    def pending(self) -> int:
        return self._size

    def put(self, data: bytes) -> bool:
        """Queue bytes; False once the queue is over its limit (nothing more is taken)."""
        with self._lock:
            if self.overflowed or self.broken:
                return False
            self._chunks.append(data)
            self._size += len(data)
            if self._size > self.limit:
                self.overflowed = True
                self._chunks.clear()
                self._size = 0
                return False
            return True

    def flush(self) -> None:
        """Send what is queued; if the socket is full, hand the rest to ``on_blocked``."""
        while True:
            with self._lock:
                if self._writing or not self._chunks or self.broken:
                    return
                data = b"".join(self._chunks) if len(self._chunks) > 1 else self._chunks[0]
                self._chunks.clear()
                self._writing = True
            try:
                sent = self._sink.write_nowait(data)
            except BlockingIOError:
                sent = 0
            except OSError:
                with self._lock:
                    self.broken = True
                    self._chunks.clear()
                    self._size = 0
                    self._writing = False
                    self._notify_writer_done()
                return
            with self._lock:
                self._writing = False
                self._notify_writer_done()
                self._size -= sent
                if sent < len(data):
                    self._chunks.insert(0, data[sent:])
                    blocked = True
                else:
                    blocked = False
            if blocked:
                self._sink.write_blocked(self)
                return

    def drain(self, timeout: float) -> bool:
        """Send everything queued before a close, waiting out another thread's send in progress.

        Gives up (False) when the socket stays full, or at ``timeout``.
        """
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                if self._writer_done is None:
                    self._writer_done = threading.Condition(self._lock)
                if not self._writer_done.wait_for(lambda: not self._writing, max(0.0, deadline - time.monotonic())):
                    return False
                if not self._chunks or self.broken:
                    return not self._chunks
            self.flush()
            with self._lock:
                if self._chunks and not self._writing:
                    return False  # the kernel buffer is full: a goodbye cannot wait for a slow reader

    def _notify_writer_done(self) -> None:
        """Wake drain() waiters (lock held)."""
        if self._writer_done is not None:
            self._writer_done.notify_all()
