"""Dispatcher: accepting, admission, housekeeping and shutdown, shared by every mode.

A mode only decides how a connection gets a thread (``start_connection``).
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import socket
import threading
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass

from server.delivery.writer import LINGER
from server.protocol import Message

from .connection import Connection
from .services import Services
from .tls import TlsContext
from .websocket import WebSocketPolicy

__all__ = ["Dispatcher", "Listener"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Listener:
    """A listening socket, the TLS context its connections get (None: plaintext), and whether they speak
    IRC over WebSocket (its policy) or over plain TCP (None)."""

    sock: socket.socket
    tls: TlsContext | None = None
    websocket: WebSocketPolicy | None = None


class Dispatcher(ABC):
    def __init__(self, services: Services, listeners: list[Listener]) -> None:
        self.services = services
        self.listeners = listeners
        self.stopping = threading.Event()
        self._ids = itertools.count(1)
        self._refusal_logged: dict[str, float] = {}  # host -> when a refusal of it was last logged
        # One bound method for every connection to keep, not one each (64 bytes an idle client).
        self._closed_callback = self._connection_closed
        self._threads = [
            threading.Thread(target=self._accept_loop, args=(listener,), name="accept", daemon=True)
            for listener in listeners
        ]
        self._threads.append(threading.Thread(target=self._housekeep, name="housekeeper", daemon=True))

    def start(self) -> None:
        self.services.wakeups.start()
        for thread in self._threads:
            thread.start()

    @abstractmethod
    def start_connection(self, conn: Connection) -> None:
        """Give the connection a thread to run on."""

    def _accept_loop(self, listener: Listener) -> None:
        listener.sock.settimeout(0.5)
        while not self.stopping.is_set():
            try:
                sock, addr = listener.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                if self.stopping.is_set():
                    return
                time.sleep(0.05)  # e.g. EMFILE: back off instead of spinning
                continue
            sock.settimeout(None)
            self._admit(sock, addr[0], listener.tls, listener.websocket)

    def _admit(self, sock: socket.socket, host: str, tls: TlsContext | None,
               websocket: WebSocketPolicy | None = None) -> None:
        """Refuse before any registration work, or count the connection and give it a thread."""
        services = self.services
        refusal = "Server full" if len(services.fanout) >= services.limits.max_clients else None
        if refusal is None:
            refusal = services.admission.admit(host, time.monotonic())
        if refusal is not None:
            self._refuse(sock, host, refusal, websocket is not None)
            return
        try:
            session = tls.session() if tls is not None else None
            ws = websocket.session(session) if websocket is not None else None
        except Exception:  # e.g. the context broke: this client cannot be served, others still can
            log.exception("no TLS or WebSocket session for %s", host)
            services.admission.release(host)
            sock.close()
            return
        conn = Connection(f"{services.worker_id}:{next(self._ids)}", sock, host, services,
                          on_closed=self._closed_callback, tls=session, ws=ws)
        services.fanout.add(conn)
        self.start_connection(conn)

    def _refuse(self, sock: socket.socket, host: str, refusal: str, http: bool = False) -> None:
        now = time.monotonic()
        # A storm of refusals must not flood the log either: one line per address a second.
        if self._refusal_logged.get(host, 0.0) < now - 1.0:
            if len(self._refusal_logged) > 10_000:
                self._refusal_logged.clear()
            self._refusal_logged[host] = now
            log.warning("refused a connection from %s: %s", host, refusal)
        goodbye = Message("ERROR", (refusal,)).to_bytes()
        if http:  # a WebSocket client (a browser) expects an HTTP answer to its handshake
            goodbye = (f"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"
                       f"Content-Length: {len(refusal) + 1}\r\nConnection: close\r\n\r\n{refusal}\n").encode()
        with contextlib.suppress(OSError):
            sock.send(goodbye, socket.MSG_DONTWAIT)
        # Closed once the client has read it and closed too: its handshake or NICK, arriving after a
        # plain close, would draw a reset that could destroy the answer.
        self.services.writer.release(sock, LINGER)

    def _connection_closed(self, conn: Connection) -> None:
        if conn.counted:
            self.services.admission.release(conn.session.host)

    def _housekeep(self) -> None:
        while not self.stopping.wait(1.0):
            now = time.monotonic()
            for conn in self.services.fanout.connections():
                conn.tick(now)

    def stop(self, reason: str = "Server shutting down") -> None:
        """Close every connection with ``reason`` and stop accepting."""
        self.stopping.set()
        self.services.wakeups.stop()
        for conn in self.services.fanout.connections():
            conn.abort(reason)
        self.services.fanout.wait_empty(3.0)
        for conn in self.services.fanout.connections():
            conn.close(reason)
