"""An in-memory network: users on a real World, DurableLog and Fanout, and the real connection core; no sockets.

``NetUser.say(line)`` feeds one line to that user's ``ConnectionCore``, the
same core the socket adapter drives, and ``NetUser.lines()`` returns what
that user would have received since the last call. The harness is the
core's Port: replies are queued once what the command logged has been fanned
out (``pump``); work a handler defers (``ctx.defer``: password checks) runs
inline, and its result goes back to the core. A connection the core ends, or
delivery aborts (KILL), is closed as Connection.close does, with
``ERROR :<reason>``. Flood control is off unless a test passes a
``FloodPolicy``; then the monotonic clock is ``Net.mono``, which only
``Net.advance`` moves, resuming users whose held input was due.
"""

from __future__ import annotations

import itertools
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from server.accounts import AccountStore
from server.delivery import Fanout, Outbound
from server.dispatch.core import ConnectionCore
from server.domain import ServerSettings, Session
from server.domain.context import Deferred, ServerHooks
from server.domain.flood import FloodPolicy
from server.log.durable import DurableLog
from server.protocol import Message, parse_line
from server.shared.locked import LockedWorld


class NetUser:
    def __init__(self, net: Net, conn_id: str) -> None:
        self.net = net
        self.conn_id = conn_id
        self.session = Session(conn_id, "127.0.0.1")
        self.core = ConnectionCore(self.session, net, self, 0.0)
        self._received = bytearray()
        self.outbound = Outbound(self, 1 << 20)
        self._job: Deferred | None = None
        self._holding = False
        self.aborted: str | None = None
        self.closed_with: str | None = None

    @property
    def caps(self) -> frozenset[str]:
        return self.session.caps

    # -- the Outbound's sink and the Fanout's recipient --------------------------

    def write_nowait(self, data: bytes) -> int:
        self._received += data
        return len(data)

    def write_blocked(self, outbound: Outbound) -> None:
        raise AssertionError("the harness's socket is never full")

    def abort(self, reason: str) -> None:
        self.aborted = reason

    # -- the core's Port ---------------------------------------------------------

    def send(self, lines: list[bytes], after_seq: int) -> None:
        self.net.pump()  # everything logged so far is delivered: the barrier holds
        if self._holding:
            self._holding = False
            self.net.fanout.release(self, lines)
        else:
            for line in lines:
                self.outbound.put(line)
        self.outbound.flush()

    def hold_own(self, after_seq: int) -> None:
        self._holding = True
        self.net.fanout.hold(self.conn_id, after_seq)

    def own_events(self, after_seq: int) -> list[Message]:
        self.net.pump()
        return self.net.fanout.held(self.conn_id)

    def end(self, reason: str, from_reader: bool) -> None:
        self.net.close(self, reason)

    def start_job(self, deferred: Deferred) -> None:
        self._job = deferred

    def wake_at(self, when: float) -> None:
        self.net.wakes.append((when, self))

    # -- driving it --------------------------------------------------------------

    def say(self, line: str) -> None:
        """One line, as the client would send it."""
        self.send_raw(line.encode() + b"\r\n")

    def send_raw(self, data: bytes) -> None:
        """Bytes as they arrive (several lines, half a line...), then any CPU job they started, run inline."""
        assert self.closed_with is None, f"{self.conn_id} is closed ({self.closed_with})"
        self.core.receive(data, self.net.mono)
        while self._job is not None:
            deferred, self._job = self._job, None
            self.net.pump()
            try:
                result = deferred.job(*deferred.args)
            except Exception as exc:  # handed to ``then``, as the connection does
                result = exc
            self.net.jobs.append((deferred.job, deferred.args))
            self.core.finish_job(result, self.net.mono)
        self.net.pump()

    def lines(self) -> list[str]:
        text = self._received.decode()
        self._received.clear()
        return [line for line in text.split("\r\n") if line]

    def messages(self) -> list[Message]:
        return [parse_line(line.encode()) for line in self.lines()]

    def numerics(self) -> list[str]:
        return [m.command for m in self.messages()]


class Net:
    def __init__(self, flood: FloodPolicy | None = None, **settings: object) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="chat-net-")
        self.log = DurableLog(Path(self._dir.name) / "history.sqlite3")
        self.world = LockedWorld(self.log, archive=self.log)
        self.accounts: AccountStore | None = AccountStore(Path(self._dir.name) / "accounts.sqlite3")
        self.fanout: Fanout[NetUser] = Fanout()
        self.settings = ServerSettings(**settings)  # type: ignore[arg-type]
        self.now = 1_700_000_000.0
        self._ids = itertools.count(1)
        self.cursor = 0
        self.hooks: ServerHooks | None = None
        self.jobs: list[tuple[Callable[..., Any], tuple[Any, ...]]] = []  # every deferred job run, in order
        self.flood = flood or FloodPolicy(enabled=False)
        self.mono = 0.0  # the monotonic clock flood control reads
        self.wakes: list[tuple[float, NetUser]] = []  # wake-ups users asked for

    def advance(self, seconds: float) -> None:
        """Let time pass: users whose wake-up came due run what they held."""
        self.mono += seconds
        due = [user for when, user in self.wakes if when <= self.mono]
        self.wakes = [(when, user) for when, user in self.wakes if when > self.mono]
        for user in due:
            if user.closed_with is None:
                user.core.resume(self.mono)
        self.pump()

    # -- what the core reads (CoreServices) ----------------------------------------

    @property
    def history(self) -> DurableLog:
        return self.log

    def clock(self) -> float:
        return self.now

    def close(self, user: NetUser, reason: str) -> None:
        """What Connection.close does once reading has ended: quit, goodbye."""
        if user.closed_with is not None:
            return
        user.closed_with = reason
        self.world.quit(user.conn_id, reason)
        self.fanout.remove(user)
        self.pump()
        user.outbound.put(Message("ERROR", (reason,)).to_bytes())
        user.outbound.flush()

    def pump(self) -> None:
        while True:
            assert self.log.flush()
            entries = self.log.read_after(self.cursor, 100_000)
            self.fanout.deliver(entries)
            if entries:
                self.cursor = entries[-1].seq
            aborted = [u for u in self.fanout.connections() if u.aborted is not None and u.closed_with is None]
            if not aborted:
                return
            for user in aborted:
                self.close(user, user.aborted or "")

    def connect(self) -> NetUser:
        user = NetUser(self, f"t:{next(self._ids)}")
        self.fanout.add(user)
        return user

    def user(self, nick: str) -> NetUser:
        user = self.connect()
        user.say(f"NICK {nick}")
        user.say(f"USER {nick} 0 * :{nick} real")
        assert user.session.registered, user.lines()
        user.lines()
        return user
