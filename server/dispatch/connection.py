"""Connection: the one adapter between a socket and the sans-I/O core.

Every dispatch mode drives it the same way: call ``on_received`` with what
was read from the socket (ciphertext on a TLS connection; never from two
threads at once), ``close`` when reading ends, and ``abort`` from any thread
to make reading end.

Input runs in order under the connection's turn lock, taken by its reader
and by the worker's Wakeups thread. That thread runs what was held back:
commands past the flood limit (fake lag) and everything sent while a CPU job
(a password check) was out, after that job's continuation.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import ssl
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from server.delivery import Outbound
from server.domain import Context, Session, dispatch
from server.domain.context import Deferred
from server.domain.flood import FREE_COMMANDS, FloodGate
from server.domain.liveness import Liveness
from server.domain.replies import encode_replies
from server.protocol import LineBuffer, Message, ProtocolError, parse_line

from .services import Services
from .tls import TlsClosed, TlsSession

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

Held = deque[tuple[Message | ProtocolError, int]]


class _Job:
    """A handler's CPU job in flight, and what its continuation needs."""

    __slots__ = ("command", "deferred", "future", "out", "seq")

    def __init__(self, deferred: Deferred, command: Message, ctx: Context, future: Future[Any]) -> None:
        self.deferred = deferred
        self.command = command
        self.out = ctx.out  # replies so far: the continuation adds to them, one labelled response
        self.seq = ctx.seq
        self.future = future


class Connection:
    __slots__ = ("_held", "_held_bytes", "_job", "_last_seq", "_on_closed", "_started", "_turn", "_wake_at",
                 "closed", "conn_id", "counted", "gate", "lines", "liveness", "outbound", "services", "session", "sock",
                 "tls")

    def __init__(self, conn_id: str, sock: socket.socket, host: str, services: Services,
                 on_closed: Callable[[Connection], None] | None = None, tls: TlsSession | None = None) -> None:
        self.conn_id = conn_id
        self._on_closed = on_closed
        self.sock = sock
        self.services = services
        self.tls = tls
        self.session = Session(conn_id, host, tls=tls is not None)
        self.lines = LineBuffer()
        self.outbound = Outbound(self, services.limits.sendq)
        now = time.monotonic()
        self.liveness = Liveness(now, now)
        self.closed = False
        self._last_seq = 0
        self._turn = threading.Lock()
        flood = services.limits.flood
        self.gate = FloodGate(flood, now) if flood.enabled else None
        self._held: Held | None = None  # input read but not run yet, in order, with its size
        self._held_bytes = 0
        self._job: _Job | None = None
        self._wake_at = 0.0  # when the Wakeups thread is due to resume us (0: not asked)
        self._started = False
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
            if not self._started:
                self._started = True
                if data.startswith(_TLS_HELLO):
                    self.close("This port is plaintext: use the TLS port")
                    return
            self.on_bytes(data)
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
            self.on_bytes(plain)

    def on_bytes(self, data: bytes) -> None:
        """Plaintext in: run each complete line, or hold it back while the client must wait."""
        now = time.monotonic()
        self.liveness.seen(now)
        with self._turn:
            if self.closed:
                return
            self.lines.feed(data)
            held = self._held
            for item in self.lines.lines():
                if self.session.closing is not None or self.closed:
                    return
                size = len(item) if isinstance(item, bytes) else 0
                parsed = self._parse(item)
                if held is None and self._may_run(parsed, now):
                    self._run_item(parsed, True)
                    continue
                if held is None:
                    held = self._held = deque()
                held.append((parsed, size))
                self._held_bytes += size
            if held:
                self._run_held(now, True)
                if self._held_bytes + len(self.lines) > self.services.limits.flood.recvq:
                    self.abort("Excess Flood")
            self._commit_own()

    @staticmethod
    def _parse(item: bytes | ProtocolError) -> Message | ProtocolError:
        if isinstance(item, ProtocolError):
            return item
        try:
            return parse_line(item, strict_utf8=True)
        except ProtocolError as exc:
            return exc

    def _may_run(self, item: Message | ProtocolError, now: float) -> bool:
        """Whether ``item`` may run now: no job is out, and flood control lets it through."""
        if self._job is not None:
            return False
        gate = self.gate
        if gate is None or isinstance(item, ProtocolError) or item.command in FREE_COMMANDS:
            return True
        # Clients send a burst of CAP, PASS, NICK, USER and AUTHENTICATE lines to connect;
        # before registration a client reaches nobody, and the registration timeout bounds it.
        session = self.session
        return not session.registered or bool(session.oper) or gate.take(now)

    def _run_held(self, now: float, from_reader: bool) -> None:
        """Turn held: run what may run now, and ask to be woken for the rest."""
        held = self._held
        while held:
            if self.session.closing is not None or self.closed:
                return
            item, size = held[0]
            if not self._may_run(item, now):
                break
            held.popleft()
            self._held_bytes -= size
            self._run_item(item, from_reader)
        if not held:
            self._held = None
            self._held_bytes = 0
        elif self._job is None and self.gate is not None:
            due = now + self.gate.wait(now)
            if not self._wake_at or due < self._wake_at:
                self._wake_at = due
                self.services.wakeups.at(due, self)

    def _run_item(self, item: Message | ProtocolError, from_reader: bool) -> None:
        if isinstance(item, ProtocolError):
            self._refuse_line(item)
        else:
            self._run(item, from_reader)

    def _context(self) -> Context:
        services = self.services
        return Context(self.session, services.world, services.settings, time.time(), services.history,
                       services.hooks)

    def _run(self, msg: Message, from_reader: bool) -> None:
        ctx = self._context()
        try:
            dispatch(ctx, msg)
        except Exception:
            log.exception("handler for %s failed on %s", msg.command, self.conn_id)
            self._internal_error(ctx, msg)
        self._complete(ctx, msg, from_reader)

    def _internal_error(self, ctx: Context, msg: Message) -> None:
        ctx.send(Message("FAIL", (msg.command, "INTERNAL_ERROR", "Internal error; the command was not completed"),
                         self.services.settings.name))

    def _complete(self, ctx: Context, msg: Message, from_reader: bool) -> None:
        """Send a command's replies, unless it handed work to the CPU pool: then they wait for it."""
        self._last_seq = max(self._last_seq, ctx.seq)
        if ctx.deferred is not None and ctx.close_reason is None:
            self._start_job(ctx.deferred, msg, ctx)
            return
        self.send(encode_replies(ctx, msg))
        if ctx.close_reason is not None:
            if from_reader:
                self.close(ctx.close_reason)
            else:  # only the reader may close (a thread blocked in recv would never notice)
                self.abort(ctx.close_reason)

    # -- CPU jobs --------------------------------------------------------------

    def _start_job(self, deferred: Deferred, msg: Message, ctx: Context) -> None:
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
        self._job = _Job(deferred, msg, ctx, future)
        future.add_done_callback(self._job_done)

    def _job_done(self, future: Future[Any]) -> None:
        # Runs on the pool's own thread (or here, if it was done already): hand over, run nothing.
        self.services.wakeups.soon(self)

    def resume(self) -> None:
        """Run what waited for a job's result or for flood control (the Wakeups thread calls this)."""
        with self._turn:
            self._wake_at = 0.0
            if self.closed:
                return
            job = self._job
            if job is not None:
                if not job.future.done():
                    return
                self._job = None
                self._finish_job(job)
            if self._held:
                self._run_held(time.monotonic(), False)
            self._commit_own()

    def _finish_job(self, job: _Job) -> None:
        try:
            result: Any = job.future.result()
        except Exception as exc:
            result = exc
        ctx = self._context()
        ctx.out, ctx.seq = job.out, job.seq
        try:
            job.deferred.then(ctx, result)
        except Exception:
            log.exception("continuation of %s failed on %s", job.command.command, self.conn_id)
            self._internal_error(ctx, job.command)
        if self.session.oper and self.counted:  # operators are exempt from the per-address limits
            self.counted = False
            self.services.admission.release(self.session.host)
        self._complete(ctx, job.command, False)

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
        tls = self.tls
        if tls is None:
            return self.sock.send(data, socket.MSG_DONTWAIT)
        if tls.backlogged and not tls.flush(self._send_raw):
            raise BlockingIOError  # the plaintext stays queued, counted against the SendQ
        if not tls.write(data, self._send_raw):
            self.services.writer.watch(self, self.sock)
        return len(data)

    def write_blocked(self, outbound: Outbound) -> None:
        self.services.writer.watch(outbound, self.sock)

    def _send_raw(self, data: bytes) -> int:
        return self.sock.send(data, socket.MSG_DONTWAIT)

    def _flush_tls(self) -> None:
        tls = self.tls
        if tls is not None:
            try:
                done = tls.flush(self._send_raw)
            except OSError:
                return  # the reader will see the socket fail
            if not done:
                self.services.writer.watch(self, self.sock)

    def flush(self) -> None:
        """The socket can take more (the BlockedWriter calls this): the TLS backlog first, then the SendQ."""
        self._flush_tls()
        if self.tls is None or not self.tls.backlogged:
            self.outbound.flush()

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
            level = logging.WARNING if reason in ("SendQ exceeded", "Excess Flood") else logging.INFO
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
