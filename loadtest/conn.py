"""One load-test IRC connection: an asyncio Protocol built on the project's parser."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from server.protocol import LineBuffer, Message, casefold

from .receive import take_lines
from .stats import LatencyCounter
from .tracker import ReceiverLog

__all__ = ["Client", "ConnectionLost", "Shared", "connect", "open_client"]

_NICK_ERRORS = frozenset({"431", "432", "433", "436"})


class ConnectionLost(Exception):
    """The server closed the connection (or refused it) before the awaited reply."""


@dataclass
class Shared:
    """Counters shared by every connection of one driver process."""

    latency: LatencyCounter = field(default_factory=LatencyCounter)
    received: int = 0
    last_delivery_ns: int = 0
    other_lines: int = 0
    problems: Counter[str] = field(default_factory=Counter)


def _fail(fut: asyncio.Future[None] | asyncio.Future[int], exc: BaseException) -> None:
    if not fut.done():
        fut.set_exception(exc)
        # Nobody may be waiting on it any more; do not warn about that.
        fut.exception()


class Client(asyncio.Protocol):
    """One connection: registers, joins, answers PING, counts what it receives."""

    def __init__(self, nick: str, shared: Shared, log: ReceiverLog | None) -> None:
        loop = asyncio.get_running_loop()
        self.nick = nick
        self.shared = shared
        self.log = log
        self.buffer = LineBuffer()
        self.transport: asyncio.Transport | None = None
        self.registered: asyncio.Future[None] = loop.create_future()
        self.closed: asyncio.Future[None] = loop.create_future()
        self.joined: dict[str, asyncio.Future[None]] = {}
        self.pongs: dict[str, asyncio.Future[int]] = {}
        self._writable: asyncio.Future[None] | None = None
        self.quitting = False

    # asyncio callbacks

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        transport.set_write_buffer_limits(high=32 * 1024)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.quitting:
            self.shared.problems["connection closed by the server" + (f" ({exc})" if exc else "")] += 1
        lost = ConnectionLost(f"{self.nick}: connection closed" + (f" ({exc})" if exc else ""))
        _fail(self.registered, lost)
        for fut in self.joined.values():
            _fail(fut, lost)
        for pong in self.pongs.values():
            _fail(pong, lost)
        if self._writable is not None:
            _fail(self._writable, lost)
        if not self.closed.done():
            self.closed.set_result(None)

    def pause_writing(self) -> None:
        if self._writable is None:
            self._writable = asyncio.get_running_loop().create_future()

    def resume_writing(self) -> None:
        if self._writable is not None and not self._writable.done():
            self._writable.set_result(None)
        self._writable = None

    def data_received(self, data: bytes) -> None:
        # One clock reading per read: arrival time at the tester, not after our own parsing.
        now = time.monotonic_ns()
        self.buffer.feed(data)
        shared = self.shared
        delivered = take_lines(self.buffer.lines(), now, shared.latency.counts, self.log, self._other,
                               shared.problems)
        if delivered:  # the shared counters once per read, not per line
            shared.received += delivered
            shared.last_delivery_ns = now

    def _other(self, cmd: str, params: tuple[str, ...], now: int) -> None:
        self.shared.other_lines += 1
        if cmd == "PING":
            self.send(Message("PONG", params[-1:]).to_bytes())
        elif cmd == "001":
            if not self.registered.done():
                self.registered.set_result(None)
        elif cmd == "366" and len(params) >= 2:
            fut = self.joined.get(casefold(params[1]))
            if fut is not None and not fut.done():
                fut.set_result(None)
        elif cmd == "PONG" and params:
            pong = self.pongs.pop(params[-1], None)
            if pong is not None and not pong.done():
                pong.set_result(now)
        elif cmd in _NICK_ERRORS:
            _fail(self.registered, ConnectionLost(f"{self.nick}: nick refused ({cmd})"))
            self.shared.problems[f"numeric {cmd}"] += 1
        elif cmd == "ERROR":
            self.shared.problems["ERROR " + (params[-1] if params else "")] += 1
        elif cmd[0] in "45" and cmd.isdigit():
            self.shared.problems[f"numeric {cmd}"] += 1

    # actions

    def send(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    async def writable(self) -> None:
        """Wait while the server is not taking our bytes (asyncio flow control)."""
        if self.closed.done():
            raise ConnectionLost(f"{self.nick}: connection closed")
        if self._writable is not None:
            await self._writable

    async def register(self) -> None:
        user = Message("USER", (self.nick, "0", "*", "load test"))
        self.send(Message("NICK", (self.nick,)).to_bytes() + user.to_bytes())
        await self.registered

    async def join(self, channel: str) -> None:
        fut = self.joined[casefold(channel)] = asyncio.get_running_loop().create_future()
        self.send(Message("JOIN", (channel,)).to_bytes())
        await fut

    async def ping(self, token: str) -> int:
        """Round trip of one PING, in nanoseconds."""
        fut = self.pongs[token] = asyncio.get_running_loop().create_future()
        start = time.monotonic_ns()
        self.send(Message("PING", (token,)).to_bytes())
        end: int = await fut
        return end - start

    async def quit(self, reason: str = "load test done") -> None:
        if self.transport is None or self.closed.done():
            return
        self.quitting = True
        self.send(Message("QUIT", (reason,)).to_bytes())
        try:
            await asyncio.wait_for(asyncio.shield(self.closed), 2.0)
        except TimeoutError:
            self.abort()

    def abort(self) -> None:
        self.quitting = True
        if self.transport is not None:
            self.transport.abort()


C = TypeVar("C", bound=Client)


async def connect(host: str, port: int, nick: str, make: Callable[[], C]) -> C:
    """Connect one connection made by ``make`` (not yet registered)."""
    loop = asyncio.get_running_loop()
    try:
        _, proto = await loop.create_connection(make, host, port)
    except OSError as exc:
        raise ConnectionLost(f"{nick}: cannot connect: {exc}") from exc
    return proto


async def open_client(host: str, port: int, nick: str, shared: Shared, log: ReceiverLog | None) -> Client:
    """Connect one client (not yet registered)."""
    return await connect(host, port, nick, lambda: Client(nick, shared, log))
