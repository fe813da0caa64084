"""BlockedWriter: a thread that finishes sends for sockets whose kernel buffer was full, and closes gently.

Closing a TCP socket while input is still unread in it (a client's next
line, sent before it read our ERROR) makes the kernel answer with a reset,
and a reset can destroy the goodbye on its way. So a closing connection's
socket ``lingers`` here: its sending side is shut (the client reads what we
sent, then EOF), what still arrives is read and dropped until the client
closes too or a short deadline passes, and only then is it closed.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import threading
import time
from typing import Protocol

__all__ = ["LINGER", "BlockedWriter", "Flushable"]

# How long a closing socket may wait for its client to close first.
LINGER = 2.0


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
        self._lingering: dict[int, tuple[socket.socket, float]] = {}  # fd -> closing socket, its deadline
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

    def release(self, sock: socket.socket, linger: float = 0.0) -> None:
        """Stop watching a socket and close it, so that no watch() lands in between; with ``linger``, shut
        its sending side now and close it once the client has closed too, or ``linger`` seconds later."""
        with self._lock:
            fd = sock.fileno()
            self._unwatch(fd)
            if linger > 0 and fd >= 0 and not self._stopped:
                try:
                    sock.shutdown(socket.SHUT_WR)
                    self._selector.register(fd, selectors.EVENT_READ, None)
                except (OSError, ValueError, KeyError):
                    pass
                else:
                    self._watched.add(fd)
                    self._lingering[fd] = (sock, time.monotonic() + linger)
                    with contextlib.suppress(OSError):  # the loop's timeout may have to shrink to this deadline
                        self._wake_w.send(b"\0", socket.MSG_DONTWAIT)
                    return
            with contextlib.suppress(OSError):
                sock.close()

    def _drop_input(self, fd: int) -> None:
        """A lingering socket is readable: drop what came; close it at EOF (the client closed)."""
        with self._lock:
            lingering = self._lingering.get(fd)
            if lingering is None:
                return
            sock = lingering[0]
            try:
                while sock.recv(65536, socket.MSG_DONTWAIT):
                    pass
            except BlockingIOError:
                return
            except OSError:
                pass
            self._close_lingering(fd)

    def _close_lingering(self, fd: int) -> None:
        """Lock held."""
        sock, _ = self._lingering.pop(fd)
        self._unwatch(fd)
        with contextlib.suppress(OSError):
            sock.close()

    def _expire(self, now: float) -> float:
        """Close lingering sockets past their deadline; how long the loop may wait."""
        with self._lock:
            if not self._lingering:
                return 1.0
            for fd in [fd for fd, (_, deadline) in self._lingering.items() if deadline <= now]:
                self._close_lingering(fd)
            soonest = min((deadline for _, deadline in self._lingering.values()), default=now + 1.0)
            return max(0.0, min(1.0, soonest - now))

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
        timeout = 1.0
        while not self._stopped:
            for key, _ in self._selector.select(timeout):
                if key.fileobj is self._wake_r:
                    with contextlib.suppress(OSError):
                        self._wake_r.recv(4096)
                elif key.data is None:
                    self._drop_input(key.fd)
                else:
                    self.writable(key)
            timeout = self._expire(time.monotonic())

    def writable(self, key: selectors.SelectorKey) -> None:
        """A watched socket can take bytes again: flush its Outbound (which re-watches if still blocked)."""
        with self._lock:
            if self._selector.get_map().get(key.fd) is not key:
                return  # released meanwhile; the number may already belong to another socket
            self._unwatch(key.fd)
        key.data.flush()
