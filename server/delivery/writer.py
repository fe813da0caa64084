"""BlockedWriter: a thread that finishes sends for sockets whose kernel buffer was full."""

from __future__ import annotations

import contextlib
import selectors
import socket
import threading

from .outbound import Outbound

__all__ = ["BlockedWriter"]


class BlockedWriter:
    """Waits until blocked sockets are writable again, then flushes their Outbound.

    Registrations happen from any thread under ``_lock``; the epoll selector
    accepts them while another thread waits in ``select`` (an event for a key
    removed meanwhile is looked up as None and skipped).
    """

    def __init__(self) -> None:
        self._selector = selectors.DefaultSelector()
        self._wake_r, self._wake_w = socket.socketpair()
        self._selector.register(self._wake_r, selectors.EVENT_READ)
        self._lock = threading.Lock()
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="blocked-writer", daemon=True)
        self._thread.start()

    def watch(self, outbound: Outbound, sock: socket.socket) -> None:
        # KeyError: already watched; ValueError/OSError: already closed
        with self._lock, contextlib.suppress(KeyError, ValueError, OSError):
            self._selector.register(sock, selectors.EVENT_WRITE, outbound)

    def discard(self, sock: socket.socket) -> None:
        """Stop watching a socket; call before closing it."""
        with self._lock, contextlib.suppress(KeyError, ValueError, OSError):
            self._selector.unregister(sock)

    def stop(self) -> None:
        self._stopped = True
        self._wake_w.send(b"\0")
        self._thread.join(2)

    def _run(self) -> None:
        while not self._stopped:
            for key, _ in self._selector.select(1.0):
                if key.fileobj is self._wake_r:
                    continue
                self.discard(key.fileobj)  # type: ignore[arg-type]
                key.data.flush()  # re-registers through watch() if still blocked
