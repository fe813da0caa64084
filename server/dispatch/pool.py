"""Pool mode: a bounded pool of threads takes turns waiting for input and serving it.

Every connection's socket is in one epoll set, armed for one readiness report
at a time (``EPOLLONESHOT``). Each of the ``--pool N`` threads of the
ThreadPoolExecutor waits on that set for one ready connection, serves it and
re-arms it, so the thread that learns of the input is the one that runs it:
no selector thread hands messages to workers. While a connection is being
served its socket stays disarmed, so its commands run in order, one task at a
time, and an unread socket applies TCP backpressure instead of filling memory.
The pool bounds concurrent handlers, not clients.
"""

from __future__ import annotations

import logging
import os
import select
import threading
from concurrent.futures import ThreadPoolExecutor

from .connection import Connection
from .worker import Dispatcher

__all__ = ["PoolDispatcher"]

log = logging.getLogger(__name__)

# Linux only: elsewhere the configuration refuses pool and process mode.
_READ_ONCE = select.EPOLLIN | select.EPOLLONESHOT if hasattr(select, "epoll") else 0


class PoolDispatcher(Dispatcher):
    def __init__(self, *args: object, pool_size: int = 20, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._epoll = select.epoll()
        self._lock = threading.Lock()
        self._conns: dict[int, Connection] = {}  # by file descriptor
        self._closed = threading.Event()  # not Dispatcher.stopping: the pool must see the goodbyes through
        # Readable once the pool is to stop; level-triggered, so it wakes every waiting thread.
        self._wake_r, self._wake_w = os.pipe()
        self._epoll.register(self._wake_r, select.EPOLLIN)
        self._executor = ThreadPoolExecutor(pool_size, thread_name_prefix="pool")
        for _ in range(pool_size):
            self._executor.submit(self._take_turns)

    def start_connection(self, conn: Connection) -> None:
        conn.sock.setblocking(False)
        fd = conn.sock.fileno()
        with self._lock:
            self._conns[fd] = conn
            try:
                self._epoll.register(fd, _READ_ONCE)
                return
            except OSError:
                del self._conns[fd]
        conn.close()

    def _take_turns(self) -> None:
        while not self._closed.is_set():
            ready = self._epoll.poll(0.5, 1)
            for fd, _ in ready:
                if fd == self._wake_r:
                    return
                with self._lock:
                    conn = self._conns.get(fd)
                if conn is None:
                    continue
                try:
                    self._serve(fd, conn)
                except Exception:  # a bug in one turn must not cost the pool a thread
                    log.exception("serving connection %s failed", conn.conn_id)

    def _serve(self, fd: int, conn: Connection) -> None:
        data: bytes | None
        try:
            data = conn.sock.recv(65536)
        except BlockingIOError:  # a spurious report: nothing to read yet
            data = None
        except OSError:
            data = b""
        if data:
            try:
                conn.on_received(data)
            except Exception:
                log.exception("connection %s failed", conn.conn_id)
                conn.close("Internal error")
        elif data is not None:
            conn.close()
        if not conn.closed:
            self._rearm(fd, conn)
        if conn.closed:
            self._forget(fd, conn)

    def _rearm(self, fd: int, conn: Connection) -> None:
        try:
            self._epoll.modify(fd, _READ_ONCE)
        except OSError:
            conn.close()

    def _forget(self, fd: int, conn: Connection) -> None:
        # Closing the socket took it out of the epoll set; its number may
        # already belong to a new connection, whose entry must stay.
        with self._lock:
            if self._conns.get(fd) is conn:
                del self._conns[fd]

    def stop(self, reason: str = "Server shutting down") -> None:
        super().stop(reason)
        self._closed.set()
        os.write(self._wake_w, b"x")
        self._executor.shutdown(wait=True, cancel_futures=True)
        self._epoll.close()
        os.close(self._wake_r)
        os.close(self._wake_w)
