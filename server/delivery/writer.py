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

    It keeps its own set of watched descriptors: every connection's close
    calls ``discard``, almost always for a socket never watched, and the
    selector's KeyError for that formats ``repr(socket)``, two syscalls made
    while holding the lock (a fifth of the server's time under a connect storm).
    """

    def __init__(self) -> None:
        self._selector = selectors.DefaultSelector()
        self._wake_r, self._wake_w = socket.socketpair()
        self._selector.register(self._wake_r, selectors.EVENT_READ)
        self._lock = threading.Lock()
        self._watched: set[int] = set()  # file descriptors registered in the selector
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="blocked-writer", daemon=True)
        self._thread.start()

    def watch(self, outbound: Outbound, sock: socket.socket) -> None:
        fd = sock.fileno()
        with self._lock:
            if fd < 0 or fd in self._watched:  # closed, or already watched
                return
            with contextlib.suppress(ValueError, OSError):
                self._selector.register(fd, selectors.EVENT_WRITE, outbound)
                self._watched.add(fd)

    def discard(self, sock: socket.socket | int) -> None:
        """Stop watching a socket; call before closing it."""
        fd = sock if isinstance(sock, int) else sock.fileno()
        with self._lock:
            if fd in self._watched:
                self._watched.discard(fd)
                with contextlib.suppress(KeyError, ValueError, OSError):
                    self._selector.unregister(fd)

    def stop(self) -> None:
        self._stopped = True
        self._wake_w.send(b"\0")
        self._thread.join(2)

    def _run(self) -> None:
        while not self._stopped:
            for key, _ in self._selector.select(1.0):
                if key.fileobj is self._wake_r:
                    continue
                self.discard(key.fd)
                key.data.flush()  # re-registers through watch() if still blocked
