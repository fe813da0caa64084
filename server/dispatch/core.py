"""ConnectionCore: one client's input, from plaintext bytes to commands run and replies out.

Sans-I/O: it reads no socket, starts no thread and reads no clock (the
caller passes ``now`` for flood control, its services the wall clock). What
it needs done it asks of its ``Port``: send these replies once the events up
to this seq are delivered, end the connection, run this CPU job, wake me at
this time. The socket adapter
(``Connection``: TCP and TLS, every dispatch mode) and the domain tests'
harness both drive it, so both run the same framing, flood control,
ordering and labelled replies.

The caller serialises calls (one turn at a time); within that, commands run
in the order they arrived, and input that may not run yet is held: past the
flood limit (fake lag), or while a CPU job of an earlier command is out.
"""

from __future__ import annotations

import logging
from collections import deque
from typing import Any, Protocol

from server.accounts import AccountStore
from server.domain import Context, ServerSettings, Session, World, dispatch
from server.domain.client_batch import (
    end_for_refused_line,
    in_open_batch,
    is_batch_line,
    raw_batch_tag,
    take_line,
    with_label,
)
from server.domain.context import Deferred, HistoryReader, ServerHooks
from server.domain.errors import Unavailable
from server.domain.flood import FREE_COMMANDS, FloodGate, FloodPolicy
from server.domain.identity import enforce_nick_grace
from server.domain.replies import encode_replies
from server.protocol import LineBuffer, Message, ProtocolError, parse_line

__all__ = ["ConnectionCore", "CoreServices", "Port"]

log = logging.getLogger(__name__)

Held = deque[tuple[Message | ProtocolError, int]]


class Port(Protocol):
    """What the core asks of the I/O around it."""

    def send(self, lines: list[bytes], after_seq: int) -> None:
        """Queue these lines for the client, after the log entries up to ``after_seq`` reached their recipients."""
        ...

    def end(self, reason: str, from_reader: bool) -> None:
        """End the connection with ``reason`` (``from_reader``: called while handling received input)."""
        ...

    def hold_own(self, after_seq: int) -> None:
        """A labelled command starts: hold back this connection's own events logged after ``after_seq`` (its
        response), and what reaches it after the first of them, until the next ``send``."""
        ...

    def own_events(self, after_seq: int) -> list[Message]:
        """Once the log up to ``after_seq`` has been fanned out: the own events held since ``hold_own``."""
        ...

    def start_job(self, deferred: Deferred) -> None:
        """Run ``deferred.job`` away from chat threads; then call ``finish_job`` with its result."""
        ...

    def wake_at(self, when: float) -> None:
        """Call ``resume`` at ``when`` (the clock ``now`` comes from), or soon after."""
        ...


class CoreServices(Protocol):
    """What the core reads of the server around it (a worker's Services)."""

    @property
    def world(self) -> World: ...

    @property
    def settings(self) -> ServerSettings: ...

    @property
    def history(self) -> HistoryReader | None: ...

    @property
    def hooks(self) -> ServerHooks | None: ...

    @property
    def flood(self) -> FloodPolicy: ...

    @property
    def accounts(self) -> AccountStore | None: ...

    def clock(self) -> float:
        """Wall-clock seconds since the epoch, for the domain's timestamps."""
        ...


class _Job:
    """A handler's CPU job in flight, and what its continuation needs."""

    __slots__ = ("command", "deferred", "out", "seq")

    def __init__(self, deferred: Deferred, command: Message, ctx: Context) -> None:
        self.deferred = deferred
        self.command = command
        self.out = ctx.out  # replies so far: the continuation adds to them, one labelled response
        self.seq = ctx.seq


class ConnectionCore:
    __slots__ = ("_held", "_held_bytes", "_holding", "_job", "_wake_at", "ended", "gate", "last_seq", "lines", "port",
                 "services", "session")

    def __init__(self, session: Session, services: CoreServices, port: Port, now: float) -> None:
        self.session = session
        self.services = services
        self.port = port
        self.lines = LineBuffer()
        flood = services.flood
        self.gate = FloodGate(flood, now) if flood.enabled else None
        self.last_seq = 0  # the newest log entry this connection's commands appended
        self.ended = False
        self._held: Held | None = None  # input read but not run yet, in order, with its size
        self._held_bytes = 0
        self._job: _Job | None = None
        self._wake_at = 0.0  # when the port is due to resume us (0: not asked)
        self._holding = False  # a labelled command's own events are held for its response

    def receive(self, data: bytes, now: float) -> None:
        """Plaintext from the client: run each complete line, or hold it back while the client must wait."""
        self.lines.feed(data)
        held = self._held
        for item in self.lines.lines():
            if self.ended or self.session.closing is not None:
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
            if self._held_bytes + len(self.lines) > self.services.flood.recvq:
                self._end("Excess Flood", True)

    def resume(self, now: float) -> None:
        """Run what was held back, as far as it may run now; and the nick rule's deadline, if it passed."""
        self._wake_at = 0.0
        if self.session.nick_deadline and not self.ended and self._job is None:
            self._nick_deadline()
        if self._held and not self.ended:
            self._run_held(now, False)

    def _nick_deadline(self) -> None:
        ctx = self._context()
        if ctx.now < self.session.nick_deadline:
            return
        enforce_nick_grace(ctx)
        if ctx.seq > self.last_seq:
            self.last_seq = ctx.seq
        if ctx.out:
            self.port.send([m.to_bytes() for m in ctx.out], self.last_seq)

    def finish_job(self, result: Any, now: float) -> None:
        """A CPU job's result (or the exception it raised) is in: run its command's continuation."""
        job = self._job
        if job is None or self.ended:
            return
        self._job = None
        ctx = self._context()
        ctx.out, ctx.seq = job.out, job.seq
        try:
            job.deferred.then(ctx, result)
        except Exception:
            log.exception("continuation of %s failed on %s", job.command.command, self.session.conn_id)
            self._internal_error(ctx, job.command)
        self._complete(ctx, job.command, False)
        self.resume(now)

    @property
    def waiting_for_job(self) -> bool:
        return self._job is not None

    # -- running commands ----------------------------------------------------

    @staticmethod
    def _parse(item: bytes | ProtocolError) -> Message | ProtocolError:
        if isinstance(item, ProtocolError):
            return item
        try:
            return parse_line(item, strict_utf8=True)
        except ProtocolError as exc:
            exc.batch = raw_batch_tag(item)
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
        return not session.registered or bool(session.oper) or gate.take(now) or self._owe_batched(item, now)

    def _owe_batched(self, item: Message, now: float) -> bool:
        """Past the flood limit, a line of the client's open multiline batch (or its close) still runs: it is
        only collected, and the batch is sent at once when it closes. Its token is owed, so the commands that
        follow wait for the whole batch, line by line; a batch is bounded, and so is the debt."""
        if not in_open_batch(self.session, item):
            return False
        assert self.gate is not None
        self.gate.owe(now)
        return True

    def _run_held(self, now: float, from_reader: bool) -> None:
        """Turn held: run what may run now, and ask to be woken for the rest."""
        held = self._held
        while held:
            if self.ended or self.session.closing is not None:
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
                self.port.wake_at(due)

    def _run_item(self, item: Message | ProtocolError, from_reader: bool) -> None:
        if isinstance(item, ProtocolError):
            self._refuse_line(item)
            return
        ctx = self._context()
        tags = item.tags
        if tags and "batch" in tags and is_batch_line(self.session, item):
            self._take_batched(ctx, item)
            return
        if item.command == "BATCH":
            item = with_label(self.session, item)
            tags = item.tags
        if tags and "label" in tags and "labeled-response" in self.session.caps:
            self._holding = True
            self.port.hold_own(self.last_seq)
        try:
            dispatch(ctx, item)
        except Unavailable:
            ctx.fail(item.command, "TEMPORARILY_UNAVAILABLE", "The network is out of reach; try again shortly")
        except Exception:
            log.exception("handler for %s failed on %s", item.command, self.session.conn_id)
            self._internal_error(ctx, item)
        self._complete(ctx, item, from_reader)

    def _take_batched(self, ctx: Context, item: Message) -> None:
        """A line of a client batch (draft/multiline): collected, not run; only a refusal answers it, unlabelled
        (the batch's label is for its response, at its close)."""
        take_line(ctx, item)
        if ctx.out:
            self.port.send([m.to_bytes() for m in ctx.out], self.last_seq)

    def _context(self) -> Context:
        services = self.services
        return Context(self.session, services.world, services.settings, services.clock(), services.history,
                       services.hooks, services.accounts)

    def _internal_error(self, ctx: Context, msg: Message) -> None:
        ctx.send(Message("FAIL", (msg.command, "INTERNAL_ERROR", "Internal error; the command was not completed"),
                         self.services.settings.name))

    def _complete(self, ctx: Context, msg: Message, from_reader: bool) -> None:
        """Send a command's replies, unless it handed work to the CPU pool: then they wait for it."""
        if ctx.seq > self.last_seq:
            self.last_seq = ctx.seq
        if ctx.deferred is not None and ctx.close_reason is None:
            self._job = _Job(ctx.deferred, msg, ctx)
            self.port.start_job(ctx.deferred)
            return
        if self._holding:
            # The labelled response: the events it caused that come back to it, then its replies.
            lines = encode_replies(ctx, msg, self.port.own_events(self.last_seq))
            self._holding = False
            self.port.send(lines, self.last_seq)  # also releases what waited behind them
        else:
            lines = encode_replies(ctx, msg)
            if lines:
                self.port.send(lines, self.last_seq)
        if ctx.close_reason is not None:
            self._end(ctx.close_reason, from_reader)

    def _end(self, reason: str, from_reader: bool) -> None:
        self.ended = True
        self.port.end(reason, from_reader)

    def _refuse_line(self, error: ProtocolError) -> None:
        settings = self.services.settings
        nick = self.session.nick or "*"
        if error.numeric:
            msg = Message(error.numeric, (nick, "Input line was too long"), settings.name)
        else:
            msg = Message("FAIL", (error.command, error.fail_code, f"Line dropped: {error}"), settings.name,
                          force_trailing=True)
        lines = [msg.to_bytes()]
        if self.session.multiline is not None:
            ctx = self._context()
            end_for_refused_line(ctx, error.batch)
            lines += [m.to_bytes() for m in ctx.out]
        self.port.send(lines, self.last_seq)
