"""Dispatcher: accepting, admission, housekeeping and shutdown, shared by every mode.

A mode only decides how a connection gets a thread (``start_connection``).
"""

from __future__ import annotations

import itertools
import logging
import socket
import threading
import time
from abc import ABC, abstractmethod
from collections import Counter

from server.protocol import Message

from .connection import Connection
from .services import Services

__all__ = ["Dispatcher"]

log = logging.getLogger(__name__)


class Dispatcher(ABC):
    def __init__(self, services: Services, listener: socket.socket) -> None:
        self.services = services
        self.listener = listener
        self.stopping = threading.Event()
        self._ids = itertools.count(1)
        self._per_ip: Counter[str] = Counter()
        self._per_ip_lock = threading.Lock()
        # One bound method for every connection to keep, not one each (64 bytes an idle client).
        self._closed_callback = self._connection_closed
        self._threads = [
            threading.Thread(target=self._accept_loop, name="accept", daemon=True),
            threading.Thread(target=self._housekeep, name="housekeeper", daemon=True),
        ]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    @abstractmethod
    def start_connection(self, conn: Connection) -> None:
        """Give the connection a thread to run on."""

    def _accept_loop(self) -> None:
        self.listener.settimeout(0.5)
        while not self.stopping.is_set():
            try:
                sock, addr = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                if self.stopping.is_set():
                    return
                time.sleep(0.05)  # e.g. EMFILE: back off instead of spinning
                continue
            sock.settimeout(None)
            self._admit(sock, addr[0])

    def _admit(self, sock: socket.socket, host: str) -> None:
        limits = self.services.limits
        refusal = None
        if len(self.services.fanout) >= limits.max_clients:
            refusal = "Server full"
        elif limits.max_per_ip and self._per_ip[host] >= limits.max_per_ip:
            refusal = f"Too many connections from {host}"
        if refusal is not None:
            log.warning("refused a connection from %s: %s", host, refusal)
            try:
                sock.send(Message("ERROR", (refusal,)).to_bytes(), socket.MSG_DONTWAIT)
                sock.close()
            except OSError:
                pass
            return
        conn = Connection(f"{self.services.worker_id}:{next(self._ids)}", sock, host, self.services,
                          on_closed=self._closed_callback)
        with self._per_ip_lock:
            self._per_ip[host] += 1
        self.services.fanout.add(conn)
        self.start_connection(conn)

    def _connection_closed(self, conn: Connection) -> None:
        with self._per_ip_lock:
            self._per_ip[conn.session.host] -= 1
            if self._per_ip[conn.session.host] <= 0:
                del self._per_ip[conn.session.host]

    def _housekeep(self) -> None:
        while not self.stopping.wait(1.0):
            now = time.monotonic()
            for conn in self.services.fanout.connections():
                conn.tick(now)

    def stop(self, reason: str = "Server shutting down") -> None:
        """Close every connection with ``reason`` and stop accepting."""
        self.stopping.set()
        for conn in self.services.fanout.connections():
            conn.abort(reason)
        self.services.fanout.wait_empty(3.0)
        for conn in self.services.fanout.connections():
            conn.close(reason)
