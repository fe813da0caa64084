"""An in-memory network: sessions on a real World, MemoryLog and Fanout, no sockets.

``NetUser.say(line)`` runs one command the way a Connection does (dispatch,
fan out what it logged, then queue its replies) and ``NetUser.lines()``
returns what that user would have received since the last call. Work a
handler defers (``ctx.defer``: password checks) runs inline, then its
``then`` with a fresh Context; the replies of both go out as one command's.
A connection aborted by delivery (KILL) is closed as Connection.close does,
with ``ERROR :<reason>``, when the network is next pumped.
"""

from __future__ import annotations

import itertools
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from server.delivery import Fanout, Outbound
from server.domain import Context, ServerSettings, Session, World, dispatch
from server.domain.context import ServerHooks
from server.domain.replies import encode_replies
from server.log.durable import DurableLog
from server.protocol import Message, parse_line


class NetUser:
    def __init__(self, net: Net, conn_id: str) -> None:
        self.net = net
        self.conn_id = conn_id
        self.session = Session(conn_id, "127.0.0.1")
        self._received = bytearray()
        self.outbound = Outbound(self, 1 << 20)
        self.aborted: str | None = None
        self.closed_with: str | None = None

    @property
    def caps(self) -> set[str]:
        return self.session.caps

    def write_nowait(self, data: bytes) -> int:
        self._received += data
        return len(data)

    def write_blocked(self, outbound: Outbound) -> None:
        raise AssertionError("the harness's socket is never full")

    def abort(self, reason: str) -> None:
        self.aborted = reason

    def context(self) -> Context:
        return Context(self.session, self.net.world, self.net.settings, self.net.now, self.net.log, self.net.hooks)

    def say(self, line: str) -> Context:
        assert self.closed_with is None, f"{self.conn_id} is closed ({self.closed_with})"
        ctx = self.context()
        msg = parse_line(line.encode())
        dispatch(ctx, msg)
        replies, close_reason = list(ctx.out), ctx.close_reason
        while ctx.deferred is not None and close_reason is None:
            deferred = ctx.deferred
            self.net.pump()
            try:
                result = deferred.job(*deferred.args)
            except Exception as exc:  # handed to ``then``, as the connection does
                result = exc
            self.net.jobs.append((deferred.job, deferred.args))
            ctx = self.context()
            deferred.then(ctx, result)
            replies += ctx.out
            close_reason = ctx.close_reason
        ctx.out = replies
        self.net.pump()
        for out in encode_replies(ctx, msg):
            self.outbound.put(out)
        self.outbound.flush()
        if close_reason is not None:
            self.closed_with = close_reason
            self.net.world.quit(self.conn_id, close_reason)
            self.net.fanout.remove(self)
            self.net.pump()
        return ctx

    def lines(self) -> list[str]:
        text = self._received.decode()
        self._received.clear()
        return [line for line in text.split("\r\n") if line]

    def messages(self) -> list[Message]:
        return [parse_line(line.encode()) for line in self.lines()]

    def numerics(self) -> list[str]:
        return [m.command for m in self.messages()]


class Net:
    def __init__(self, **settings: object) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="chat-net-")
        self.log = DurableLog(Path(self._dir.name) / "history.sqlite3")
        self.world = World(self.log, archive=self.log)
        self.fanout: Fanout[NetUser] = Fanout()
        self.settings = ServerSettings(**settings)  # type: ignore[arg-type]
        self.now = 1_700_000_000.0
        self._ids = itertools.count(1)
        self.cursor = 0
        self.hooks: ServerHooks | None = None
        self.jobs: list[tuple[Callable[..., Any], tuple[Any, ...]]] = []  # every deferred job run, in order

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
            for user in aborted:  # what Connection.close does once reading has ended
                reason = user.aborted or ""
                user.closed_with = reason
                self.world.quit(user.conn_id, reason)
                self.fanout.remove(user)
                user.outbound.put(Message("ERROR", (reason,)).to_bytes())
                user.outbound.flush()

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
