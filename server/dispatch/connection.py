"""Connection: the socket adapter around the sans-I/O ConnectionCore.

Every dispatch mode drives it the same way: call ``on_received`` with what
was read from the socket (ciphertext on a TLS connection, WebSocket frames on
a WebSocket one; never from two threads at once), ``close`` when reading ends, and ``abort`` from any thread
to make reading end.

The core runs under the connection's turn lock, taken by its reader and by
the worker's Wakeups thread. That thread resumes the core when held input may
run: past the flood limit (fake lag), or once a CPU job (a password check)
is done. As the core's Port, this adapter queues replies behind the delivery
barrier, runs jobs in the worker's HashPool and asks Wakeups for wake-ups.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import ssl
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from server.delivery import Outbound
from server.delivery.writer import LINGER
from server.domain import Session
from server.domain.context import Deferred
from server.domain.liveness import Liveness
from server.protocol import Message

from .core import ConnectionCore
from .services import Services
from .tls import TlsClosed, TlsSession
from .websocket import WsClosed, WsSession

__all__ = ["Connection"]

log = logging.getLogger(__name__)

# How long a command's replies may wait for its own events to be fanned out.
BARRIER_TIMEOUT = 5.0
# How long closing may wait to hand the last lines to the kernel.
GOODBYE_TIMEOUT = 1.0
# Guards the closed flag of every connection: taken once per close, for an
# instant, it saves each idle connection a lock of its own.
_CLOSING = threading.Lock()
# The first bytes of a TLS ClientHello (a handshake record).
_TLS_HELLO = b"\x16\x03"
# Linux only; elsewhere a line that arrives in pieces may wait for a delayed ACK.
_QUICKACK = getattr(socket, "TCP_QUICKACK", 0)
# Reasons worth a warning in the log: the client misbehaved.
_PROBLEMS = ("SendQ exceeded", "Excess Flood")


class Connection:
    __slots__ = ("_future", "_holding", "_on_closed", "_started", "_turn", "closed", "conn_id", "core", "counted",
                 "liveness", "outbound", "services", "session", "sock", "tls", "ws")

    def __init__(self, conn_id: str, sock: socket.socket, host: str, services: Services,
                 on_closed: Callable[[Connection], None] | None = None, tls: TlsSession | None = None,
                 ws: WsSession | None = None) -> None:
        self.conn_id = conn_id
        self._on_closed = on_closed
        self.sock = sock
        self.services = services
        self.tls = tls
        self.ws = ws  # IRC over WebSocket, above TLS if any
        self.session = Session(conn_id, host, tls=tls is not None)
        self.outbound = Outbound(self, services.limits.sendq)
        now = time.monotonic()
        self.liveness = Liveness(now, now)
        self.core = ConnectionCore(self.session, services, self, now)
        self.closed = False
        self._turn = threading.Lock()
        self._future: Future[Any] | None = None  # the core's CPU job, while it runs
        self._started = False
        self._holding = False  # the Fanout holds our own events for a labelled response
        self.counted = True  # against its address's connection limits (an operator's stops counting)
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, services.limits.socket_sndbuf)

    @property
    def caps(self) -> frozenset[str]:
        return self.session.caps

    # -- input ---------------------------------------------------------------

    def on_received(self, data: bytes) -> None:
        """What the reader got from the socket: plaintext, or ciphertext for the TLS session."""
        tls = self.tls
        if tls is None:
            if self.ws is not None:
                self._on_websocket(data)
                return
            if not self._started:
                self._started = True
                if data.startswith(_TLS_HELLO):
                    self.close("This port is plaintext: use the TLS port")
                    return
            self.on_bytes(data)
            if len(self.core.lines):
                self._ack_now()
            return
        try:
            plain = tls.receive(data)
        except TlsClosed:
            self.close("Connection closed")
            return
        except ssl.SSLError as exc:
            log.info("TLS from %s failed: %s", self.session.host, exc.reason or exc)
            with contextlib.suppress(OSError):
                tls.flush(self._send_raw)  # the alert, if there is one
            self.close(f"TLS error: {exc.reason or 'handshake failed'}")
            return
        self._flush_tls()
        if plain:
            if self.ws is None:
                self.on_bytes(plain)
            else:
                self._on_websocket(plain)

    def _on_websocket(self, data: bytes) -> None:
        """Plaintext below the WebSocket layer: the handshake, then frames, each message one IRC line."""
        ws = self.ws
        assert ws is not None
        try:
            lines = ws.receive(data, self._send_raw)
        except WsClosed as exc:
            self.close(str(exc))
            return
        except OSError:
            self.close("Connection closed")
            return
        if ws.backlogged:
            self.services.writer.watch(self, self.sock)
        if lines:
            self.on_bytes(lines)
        else:
            self._ack_now()  # most likely part of a message: let the rest come

    def _ack_now(self) -> None:
        """Part of a line came: acknowledge it at once. A client that writes a line in pieces (the line, then
        CRLF) without TCP_NODELAY holds back the rest until its first piece is acknowledged, and the kernel
        would delay that ACK by up to 40 ms, hoping for a reply to carry it; no reply comes before the line
        is complete, so the line would wait that long."""
        if _QUICKACK:
            with contextlib.suppress(OSError):
                self.sock.setsockopt(socket.IPPROTO_TCP, _QUICKACK, 1)

    def on_bytes(self, data: bytes) -> None:
        """Plaintext in, for the core to run."""
        now = time.monotonic()
        self.liveness.seen(now)
        with self._turn:
            if self.closed:
                return
            self.core.receive(data, now)
            self._commit_own()

    def resume(self) -> None:
        """Run what waited for a job's result or for flood control (the Wakeups thread calls this)."""
        with self._turn:
            if self.closed:
                return
            now = time.monotonic()
            future = self._future
            if future is None:
                self.core.resume(now)
            elif future.done():
                self._future = None
                try:
                    result: Any = future.result()
                except Exception as exc:
                    result = exc
                self.core.finish_job(result, now)
            self._commit_own()

    # -- the core's Port -------------------------------------------------------

    def send(self, lines: list[bytes], after_seq: int = 0) -> None:
        """Queue lines for the client, once the log entries up to ``after_seq`` have been fanned out."""
        if self.counted and self.session.oper:
            # Operators are exempt from the per-address limits: released before the 381 can
            # reach the client, which may open its next connection as soon as it reads it.
            self.counted = False
            self.services.admission.release(self.session.host)
        fanout = self.services.fanout
        if after_seq > fanout.delivered:
            self._commit_own()
            fanout.wait_delivered(after_seq, BARRIER_TIMEOUT)
        if self._holding:
            self._holding = False
            if not fanout.release(self, lines):
                if self.outbound.overflowed:
                    self.abort("SendQ exceeded")
                return
            self.outbound.flush()
            return
        self._queue(lines)

    def _queue(self, lines: list[bytes]) -> None:
        for line in lines:
            if not self.outbound.put(line):
                if self.outbound.overflowed:
                    self.abort("SendQ exceeded")
                return
        self.outbound.flush()

    def end(self, reason: str, from_reader: bool) -> None:
        if from_reader and reason not in _PROBLEMS:
            self.close(reason)
        else:  # only the reader may close (a thread blocked in recv would never notice)
            self.abort(reason)

    def hold_own(self, after_seq: int) -> None:
        self._holding = True
        self.services.fanout.hold(self.conn_id, after_seq)

    def own_events(self, after_seq: int) -> list[Message]:
        fanout = self.services.fanout
        if after_seq > fanout.delivered:
            self._commit_own()
            fanout.wait_delivered(after_seq, BARRIER_TIMEOUT)
        return fanout.held(self.conn_id)

    def start_job(self, deferred: Deferred) -> None:
        cpu = self.services.cpu
        future: Future[Any]
        if cpu is None:  # no pool (a bare Services in a test): run it here
            future = Future()
            try:
                future.set_result(deferred.job(*deferred.args))
            except Exception as exc:
                future.set_exception(exc)
        else:
            future = cpu.submit(deferred.job, *deferred.args)
        self._future = future
        future.add_done_callback(self._job_done)

    def _job_done(self, future: Future[Any]) -> None:
        # Runs on the pool's own thread (or here, if it was done already): hand over, run nothing.
        self.services.wakeups.soon(self)

    def wake_at(self, when: float) -> None:
        self.services.wakeups.at(when, self)

    def _commit_own(self) -> None:
        """Commit (and deliver) this connection's appended events here, unless another thread is at it."""
        commit_now = self.services.commit_now
        if commit_now is not None and self.core.last_seq > self.services.fanout.delivered:
            commit_now()

    # -- the Outbound's Sink --------------------------------------------------

    def write_nowait(self, data: bytes) -> int:
        layer: TlsSession | WsSession | None = self.ws or self.tls
        if layer is None:
            return self.sock.send(data, socket.MSG_DONTWAIT)
        if layer.backlogged and not layer.flush(self._send_raw):
            raise BlockingIOError  # the plaintext stays queued, counted against the SendQ
        if not layer.write(data, self._send_raw):
            self.services.writer.watch(self, self.sock)
        return len(data)

    def write_blocked(self, outbound: Outbound) -> None:
        self.services.writer.watch(outbound, self.sock)

    def _send_raw(self, data: bytes) -> int:
        return self.sock.send(data, socket.MSG_DONTWAIT)

    def _flush_tls(self) -> None:
        layer: TlsSession | WsSession | None = self.ws or self.tls
        if layer is not None:
            try:
                done = layer.flush(self._send_raw)
            except OSError:
                return  # the reader will see the socket fail
            if not done:
                self.services.writer.watch(self, self.sock)

    def flush(self) -> None:
        """The socket can take more (the BlockedWriter calls this): the TLS backlog first, then the SendQ."""
        self._flush_tls()
        layer: TlsSession | WsSession | None = self.ws or self.tls
        if layer is None or not layer.backlogged:
            self.outbound.flush()

    # -- liveness ------------------------------------------------------------

    def tick(self, now: float) -> None:
        """Called about once a second by the worker's housekeeper."""
        deadline = self.session.nick_deadline
        if deadline and self.services.clock() >= deadline:  # the nick's owner did not log in in time
            self.services.wakeups.soon(self)
        verdict = self.liveness.check(self.services.limits.liveness, self.session.registered, now)
        if verdict == "ping":
            self._queue([Message("PING", (self.services.settings.name,)).to_bytes()])  # not a command's reply
        elif verdict is not None:
            self.abort(verdict)

    # -- ending --------------------------------------------------------------

    def abort(self, reason: str) -> None:
        """Make the connection end soon, from any thread: reading sees EOF and calls close()."""
        if self.session.closing is None:
            self.session.closing = reason
            level = logging.WARNING if reason in _PROBLEMS else logging.INFO
            log.log(level, "disconnecting %s (%s): %s", self.conn_id, self.session.nick or "*", reason)
        # Only the reading side: the reader wakes up with EOF and close() can still say ERROR.
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RD)

    def close(self, reason: str = "Connection closed") -> None:
        """Quit the user, say goodbye, release the socket. Idempotent."""
        with _CLOSING:
            if self.closed:
                return
            self.closed = True
        reason = self.session.closing or reason
        self.session.closing = reason
        services = self.services
        if self._on_closed is not None:
            # First: the address's place is free once the socket is done with, and whoever reads the
            # goodbye (or saw the client go) may connect again at once.
            self._on_closed(self)
        try:
            quit_seq = services.world.quit(self.conn_id, reason)
            if services.commit_now is not None and quit_seq > services.fanout.delivered:
                services.commit_now()  # the channels hear of it now, not with the next commit
        except Exception:
            log.exception("quitting %s failed", self.conn_id)
        services.fanout.remove(self)
        goodbye = Message("ERROR", (reason,)).to_bytes()
        if self.outbound.overflowed:
            with contextlib.suppress(OSError):
                self.write_nowait(goodbye)
        else:
            self.outbound.put(goodbye)
            # Another thread may be mid-send on this socket: wait for it, or the goodbye
            # (and anything queued before it) would be lost when the socket closes.
            self.outbound.drain(GOODBYE_TIMEOUT)
        if self.ws is not None:
            with contextlib.suppress(Exception):  # a broken socket or TLS session: nothing to say goodbye on
                self.ws.goodbye(self._send_raw)
        # Last, since the drain may have handed a full socket to the writer. It closes the socket
        # once the client has read the goodbye and closed too (or soon after).
        services.writer.release(self.sock, LINGER)
