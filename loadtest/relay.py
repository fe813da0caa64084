"""A minimal relay IRC server: registers clients, joins channels, relays PRIVMSG to members.

It exists to measure the load tester's own ceiling, and (with --drop-every or
--dup-every) to prove in tests that loss and duplication are detected. One
process, one asyncio loop, the project's parser, output coalesced per client.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from dataclasses import dataclass

from server.protocol import InputTooLong, LineBuffer, Message, ProtocolError, casefold, parse_line

__all__ = ["Relay", "RelayOptions", "main"]

NAME = "relay.local"


@dataclass(frozen=True)
class RelayOptions:
    """Faults to inject, counted over every delivery the relay makes (0: none)."""

    drop_every: int = 0
    dup_every: int = 0


class Peer(asyncio.Protocol):
    """One client connection of the relay."""

    def __init__(self, relay: Relay) -> None:
        self.relay = relay
        self.buffer = LineBuffer()
        self.transport: asyncio.Transport | None = None
        self.nick = ""
        self.user = ""
        self.registered = False
        self.channels: set[str] = set()
        self.pending: list[bytes] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.relay.leave(self, "connection closed")

    def data_received(self, data: bytes) -> None:
        self.buffer.feed(data)
        for line in self.buffer.lines():
            if isinstance(line, InputTooLong):
                self.queue(Message("417", (self.nick or "*", "Input line was too long"), NAME).to_bytes())
                continue
            try:
                msg = parse_line(line)
            except ProtocolError:
                continue
            self.relay.handle(self, msg)
        self.relay.flush_soon()

    def queue(self, data: bytes) -> None:
        if not self.pending:
            self.relay.dirty.append(self)
        self.pending.append(data)

    def flush(self) -> None:
        if self.pending and self.transport is not None and not self.transport.is_closing():
            self.transport.write(b"".join(self.pending))
        self.pending.clear()

    @property
    def prefix(self) -> str:
        return f"{self.nick}!{self.user or self.nick}@127.0.0.1"


class Relay:
    """The relay's state: nicks, channels, the fault counters and the output to flush."""

    def __init__(self, options: RelayOptions = RelayOptions()) -> None:
        self.options = options
        self.nicks: dict[str, Peer] = {}
        self.channels: dict[str, dict[Peer, None]] = {}
        self.dirty: list[Peer] = []
        self.deliveries = 0
        self._flush_scheduled = False

    def flush_soon(self) -> None:
        if not self._flush_scheduled and self.dirty:
            self._flush_scheduled = True
            asyncio.get_running_loop().call_soon(self.flush)

    def flush(self) -> None:
        self._flush_scheduled = False
        dirty, self.dirty = self.dirty, []
        for peer in dirty:
            peer.flush()

    def reply(self, peer: Peer, numeric: str, *params: str) -> None:
        peer.queue(Message(numeric, (peer.nick or "*", *params), NAME, force_trailing=True).to_bytes())

    def handle(self, peer: Peer, msg: Message) -> None:
        cmd, params = msg.command, msg.params
        if cmd == "PRIVMSG" or cmd == "NOTICE":
            if peer.registered and len(params) >= 2:
                self.relay(peer, cmd, params[0], params[1])
        elif cmd == "PING":
            peer.queue(Message("PONG", (NAME, params[-1] if params else ""), NAME, force_trailing=True).to_bytes())
        elif cmd == "NICK" and params:
            self.nick(peer, params[0])
        elif cmd == "USER" and params:
            peer.user = params[0]
            self.maybe_welcome(peer)
        elif cmd == "JOIN" and params and peer.registered:
            for name in params[0].split(","):
                self.join(peer, name)
        elif cmd == "PART" and params and peer.registered:
            for name in params[0].split(","):
                self.part(peer, name)
        elif cmd == "QUIT":
            self.leave(peer, params[0] if params else "Quit")
            peer.queue(Message("ERROR", ("Closing link",)).to_bytes())
            peer.flush()
            if peer.transport is not None:
                peer.transport.close()

    def nick(self, peer: Peer, nick: str) -> None:
        key = casefold(nick)
        if key in self.nicks and self.nicks[key] is not peer:
            self.reply(peer, "433", nick, "Nickname is already in use")
            return
        if peer.nick:
            self.nicks.pop(casefold(peer.nick), None)
        self.nicks[key] = peer
        peer.nick = nick
        self.maybe_welcome(peer)

    def maybe_welcome(self, peer: Peer) -> None:
        if peer.registered or not peer.nick or not peer.user:
            return
        peer.registered = True
        self.reply(peer, "001", f"Welcome to the relay, {peer.nick}")
        self.reply(peer, "002", f"Your host is {NAME}")
        self.reply(peer, "003", "This server was created today")
        peer.queue(Message("004", (peer.nick, NAME, "relay", "i", "nt"), NAME).to_bytes())
        self.reply(peer, "005", "CHANTYPES=#", "CASEMAPPING=rfc1459", "are supported by this server")

    def join(self, peer: Peer, name: str) -> None:
        key = casefold(name)
        if not name.startswith("#") or key in peer.channels:
            return
        members = self.channels.setdefault(key, {})
        members[peer] = None
        peer.channels.add(key)
        line = Message("JOIN", (name,), peer.prefix).to_bytes()
        for member in members:
            member.queue(line)
        nicks = [m.nick for m in members]
        for i in range(0, len(nicks), 20):  # keep each 353 well under the 512-byte line limit
            self.reply(peer, "353", "=", name, " ".join(nicks[i:i + 20]))
        self.reply(peer, "366", name, "End of /NAMES list")

    def part(self, peer: Peer, name: str) -> None:
        key = casefold(name)
        members = self.channels.get(key)
        if members is None or peer not in members:
            return
        line = Message("PART", (name,), peer.prefix).to_bytes()
        for member in members:
            member.queue(line)
        del members[peer]
        peer.channels.discard(key)
        if not members:
            del self.channels[key]

    def leave(self, peer: Peer, reason: str) -> None:
        if peer.nick and self.nicks.get(casefold(peer.nick)) is peer:
            del self.nicks[casefold(peer.nick)]
        if not peer.channels:
            return
        line = Message("QUIT", (reason,), peer.prefix).to_bytes()
        told: set[Peer] = set()
        for key in peer.channels:
            members = self.channels.get(key, {})
            members.pop(peer, None)
            told.update(members)
            if not members:
                self.channels.pop(key, None)
        peer.channels.clear()
        for member in told:
            member.queue(line)
        self.flush_soon()

    def relay(self, peer: Peer, cmd: str, target: str, text: str) -> None:
        key = casefold(target)
        if key in self.channels:
            recipients: list[Peer] = [m for m in self.channels[key] if m is not peer]
        elif key in self.nicks:
            recipients = [self.nicks[key]]
        else:
            self.reply(peer, "401", target, "No such nick/channel")
            return
        line = Message(cmd, (target, text), peer.prefix).to_bytes()
        drop, dup = self.options.drop_every, self.options.dup_every
        if not drop and not dup:
            self.deliveries += len(recipients)
            for member in recipients:
                member.queue(line)
            return
        for member in recipients:
            self.deliveries += 1
            if drop and self.deliveries % drop == 0:
                continue
            member.queue(line)
            if dup and self.deliveries % dup == 0:
                member.queue(line)


def _settle(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        fut.set_result(None)


async def serve(host: str, port: int, options: RelayOptions) -> None:
    relay = Relay(options)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: Peer(relay), host, port, backlog=4096, reuse_address=True)
    addr = server.sockets[0].getsockname()
    print(f"relay listening on {addr[0]}:{addr[1]}", flush=True)
    stop = loop.create_future()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, _settle, stop)
    async with server:
        await stop


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m loadtest.relay", description=__doc__.splitlines()[0])
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=6667, help="port (default 6667; 0 picks a free one)")
    p.add_argument("--drop-every", type=int, default=0, help="silently drop every Nth delivery (tests)")
    p.add_argument("--dup-every", type=int, default=0, help="deliver every Nth delivery twice (tests)")
    args = p.parse_args(argv)
    asyncio.run(serve(args.host, args.port, RelayOptions(args.drop_every, args.dup_every)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
