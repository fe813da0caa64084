"""BlockedWriter: a thread that finishes sends for sockets whose kernel buffer was full."""

from __future__ import annotations

import contextlib
import selectors
import socket
import threading
from typing import Protocol

__all__ = ["BlockedWriter", "Flushable"]


class Flushable(Protocol):
    """What waits for a socket to take bytes again: an Outbound, or a TLS connection's backlog."""

    def flush(self) -> None: ...


class BlockedWriter:
    """Waits until blocked sockets are writable again, then flushes their Outbound.

    Registrations happen from any thread under ``_lock``; the epoll selector
    accepts them while another thread waits in ``select`` (an event for a key
    removed meanwhile is looked up as None and skipped).

    It keeps its own set of watched descriptors: every connection's close
    calls ``release``, almost always for a socket never watched, and the
    selector's KeyError for that formats ``repr(socket)``, two syscalls made
    while holding the lock (a fifth of the server's time under a connect storm).

    Descriptor numbers are reused as soon as a socket closes, so a socket is
    unwatched and closed in one step under the lock (``release``), and an
    event is acted on only while its key is still the one registered.
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

    def watch(self, outbound: Flushable, sock: socket.socket) -> None:
        with self._lock:
            fd = sock.fileno()
            if fd < 0 or fd in self._watched:  # closed, or already watched
                return
            with contextlib.suppress(ValueError, OSError):
                self._selector.register(fd, selectors.EVENT_WRITE, outbound)
                self._watched.add(fd)

    def release(self, sock: socket.socket) -> None:
        """Stop watching a socket and close it, so that no watch() lands in between."""
        with self._lock:
            self._unwatch(sock.fileno())
            with contextlib.suppress(OSError):
                sock.close()

    def _unwatch(self, fd: int) -> None:
        """Lock held."""
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
                if key.fileobj is not self._wake_r:
                    self.writable(key)

    def writable(self, key: selectors.SelectorKey) -> None:
        """A watched socket can take bytes again: flush its Outbound (which re-watches if still blocked)."""
        with self._lock:
            if self._selector.get_map().get(key.fd) is not key:
                return  # released meanwhile; the number may already belong to another socket
            self._unwatch(key.fd)
        key.data.flush()
