"""Connection: the one adapter between a socket and the sans-I/O core.

Every dispatch mode drives it the same way: call ``on_bytes`` with what was
received (never from two threads at once), ``close`` when reading ends, and
``abort`` from any thread to make reading end.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from collections.abc import Callable

from server.delivery import Outbound
from server.domain import Context, Session, dispatch
from server.domain.liveness import Liveness
from server.domain.replies import encode_replies
from server.protocol import LineBuffer, Message, ProtocolError, parse_line

from .services import Services

__all__ = ["Connection"]

log = logging.getLogger(__name__)

# How long a command's replies may wait for its own events to be fanned out.
BARRIER_TIMEOUT = 5.0
# How long closing may wait to hand the last lines to the kernel.
GOODBYE_TIMEOUT = 1.0
# Guards the closed flag of every connection: taken once per close, for an
# instant, it saves each idle connection a lock of its own.
_CLOSING = threading.Lock()


class Connection:
    __slots__ = ("_last_seq", "_on_closed", "closed", "conn_id", "lines", "liveness", "outbound",
                 "services", "session", "sock")

    def __init__(self, conn_id: str, sock: socket.socket, host: str, services: Services,
                 on_closed: Callable[[Connection], None] | None = None) -> None:
        self.conn_id = conn_id
        self._on_closed = on_closed
        self.sock = sock
        self.services = services
        self.session = Session(conn_id, host)
        self.lines = LineBuffer()
        self.outbound = Outbound(self, services.limits.sendq)
        now = time.monotonic()
        self.liveness = Liveness(now, now)
        self.closed = False
        self._last_seq = 0
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, services.limits.socket_sndbuf)

    @property
    def caps(self) -> frozenset[str]:
        return self.session.caps

    # -- input ---------------------------------------------------------------

    def on_bytes(self, data: bytes) -> None:
        self.liveness.seen(time.monotonic())
        self.lines.feed(data)
        for item in self.lines.lines():
            if self.session.closing is not None or self.closed:
                return
            if isinstance(item, ProtocolError):
                self._refuse_line(item)
                continue
            try:
                msg = parse_line(item, strict_utf8=True)
            except ProtocolError as exc:
                self._refuse_line(exc)
                continue
            self._run(msg)
        self._commit_own()

    def _run(self, msg: Message) -> None:
        ctx = Context(self.session, self.services.world, self.services.settings, time.time(), self.services.history)
        try:
            dispatch(ctx, msg)
        except Exception:
            log.exception("handler for %s failed on %s", msg.command, self.conn_id)
            ctx.send(Message("FAIL", (msg.command, "INTERNAL_ERROR", "Internal error; the command was not completed"),
                             self.services.settings.name))
        self._last_seq = max(self._last_seq, ctx.seq)
        self.send(encode_replies(ctx, msg))
        if ctx.close_reason is not None:
            self.close(ctx.close_reason)

    def _refuse_line(self, error: ProtocolError) -> None:
        settings = self.services.settings
        nick = self.session.nick or "*"
        if error.numeric:
            msg = Message(error.numeric, (nick, "Input line was too long"), settings.name)
        else:
            msg = Message("FAIL", ("*", error.fail_code, f"Line dropped: {error}"), settings.name, force_trailing=True)
        self.send([msg.to_bytes()])

    # -- output --------------------------------------------------------------

    def send(self, lines: list[bytes]) -> None:
        """Queue direct replies, after this connection's own events have been fanned out."""
        if not lines:
            return
        fanout = self.services.fanout
        if self._last_seq > fanout.delivered:
            self._commit_own()
            fanout.wait_delivered(self._last_seq, BARRIER_TIMEOUT)
        for line in lines:
            if not self.outbound.put(line):
                if self.outbound.overflowed:
                    self.abort("SendQ exceeded")
                return
        self.outbound.flush()

    def _commit_own(self) -> None:
        """Commit (and deliver) this connection's appended events here, unless another thread is at it."""
        commit_now = self.services.commit_now
        if commit_now is not None and self._last_seq > self.services.fanout.delivered:
            commit_now()

    # -- the Outbound's Sink --------------------------------------------------

    def write_nowait(self, data: bytes) -> int:
        return self.sock.send(data, socket.MSG_DONTWAIT)

    def write_blocked(self, outbound: Outbound) -> None:
        self.services.writer.watch(outbound, self.sock)

    # -- liveness ------------------------------------------------------------

    def tick(self, now: float) -> None:
        """Called about once a second by the worker's housekeeper."""
        verdict = self.liveness.check(self.services.limits.liveness, self.session.registered, now)
        if verdict == "ping":
            self.send([Message("PING", (self.services.settings.name,)).to_bytes()])
        elif verdict is not None:
            self.abort(verdict)

    # -- ending --------------------------------------------------------------

    def abort(self, reason: str) -> None:
        """Make the connection end soon, from any thread: reading sees EOF and calls close()."""
        if self.session.closing is None:
            self.session.closing = reason
            level = logging.WARNING if reason == "SendQ exceeded" else logging.INFO
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
        try:
            services.world.quit(self.conn_id, reason)
        except Exception:
            log.exception("quitting %s failed", self.conn_id)
        services.fanout.remove(self)
        if self._on_closed is not None:
            self._on_closed(self)  # before the goodbye: whoever reads it may reconnect at once
        goodbye = Message("ERROR", (reason,)).to_bytes()
        if self.outbound.overflowed:
            with contextlib.suppress(OSError):
                self.write_nowait(goodbye)
        else:
            self.outbound.put(goodbye)
            # Another thread may be mid-send on this socket: wait for it, or the goodbye
            # (and anything queued before it) would be lost when the socket closes.
            self.outbound.drain(GOODBYE_TIMEOUT)
        # Last, since the drain may have handed a full socket to the writer.
        services.writer.release(self.sock)
