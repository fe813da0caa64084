"""Pool mode: one selector thread watches every connection; a bounded thread pool runs them.

A connection's socket leaves the selector while a task serves it and comes
back when the task is done, so at most one task per connection is in flight
(its commands run in order) and an unread socket applies TCP backpressure
instead of filling memory. The pool bounds concurrent handlers, not clients.
"""

from __future__ import annotations

import logging
import selectors
import threading
from concurrent.futures import ThreadPoolExecutor

from .connection import Connection
from .worker import Dispatcher

__all__ = ["PoolDispatcher"]

log = logging.getLogger(__name__)


class PoolDispatcher(Dispatcher):
    def __init__(self, *args: object, pool_size: int = 20, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._executor = ThreadPoolExecutor(pool_size, thread_name_prefix="pool")
        self._selector = selectors.DefaultSelector()
        self._lock = threading.Lock()
        self._closed = threading.Event()  # not Dispatcher.stopping: the loop must see the goodbyes through
        self._thread = threading.Thread(target=self._watch, name="pool-selector", daemon=True)
        self._thread.start()

    def start_connection(self, conn: Connection) -> None:
        conn.sock.setblocking(False)
        self._arm(conn)

    def _arm(self, conn: Connection) -> None:
        with self._lock:
            try:
                self._selector.register(conn.sock, selectors.EVENT_READ, conn)
            except (KeyError, ValueError, OSError):
                conn.close()

    def _watch(self) -> None:
        while not self._closed.is_set():
            for key, _ in self._selector.select(0.5):
                with self._lock:
                    try:
                        self._selector.unregister(key.fileobj)
                    except (KeyError, ValueError):
                        continue
                try:
                    self._executor.submit(self._serve, key.data)
                except RuntimeError:  # the executor is shutting down
                    return

    def _serve(self, conn: Connection) -> None:
        try:
            data = conn.sock.recv(65536)
        except BlockingIOError:
            self._arm(conn)
            return
        except OSError:
            data = b""
        if not data:
            conn.close()
            return
        try:
            conn.on_bytes(data)
        except Exception:
            log.exception("connection %s failed", conn.conn_id)
            conn.close("Internal error")
        if not conn.closed:
            self._arm(conn)

    def stop(self, reason: str = "Server shutting down") -> None:
        super().stop(reason)
        self._closed.set()
        self._executor.shutdown(wait=True, cancel_futures=True)
