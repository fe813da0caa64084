"""The login workload's connections: register an account once (NickServ), then log in to it with SASL PLAIN.

A login is timed from the TCP connect to the welcome (001) that follows a
successful SASL exchange (903): what a user waits for when a client with
SASL settings connects, password check included.
"""

from __future__ import annotations

import asyncio
import base64
import time

from server.protocol import Message

from .conn import Client, ConnectionLost, Shared, _fail, connect

__all__ = ["account_name", "account_password", "log_in", "register_account"]


def account_name(run_id: str, j: int) -> str:
    return f"la{run_id}x{j}"


def account_password(run_id: str, j: int) -> str:
    return f"load-{run_id}-{j}-test"


class _AccountClient(Client):
    """A Client that also follows CAP, AUTHENTICATE, the SASL numerics and NickServ's answers."""

    def __init__(self, nick: str, shared: Shared, credentials: tuple[str, str] | None = None) -> None:
        super().__init__(nick, shared, None)
        self.credentials = credentials
        self.authenticated: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.account_made: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def _other(self, cmd: str, params: tuple[str, ...], now: int) -> None:
        if cmd == "CAP" and len(params) >= 3 and params[1] == "ACK" and "sasl" in params[-1].split():
            self.send(Message("AUTHENTICATE", ("PLAIN",)).to_bytes())
        elif cmd == "CAP" and len(params) >= 3 and params[1] == "NAK":
            _fail(self.authenticated, ConnectionLost(f"{self.nick}: the server has no SASL"))
        elif cmd == "AUTHENTICATE" and params == ("+",) and self.credentials is not None:
            account, password = self.credentials
            blob = base64.b64encode(f"\0{account}\0{password}".encode()).decode()
            self.send(Message("AUTHENTICATE", (blob,)).to_bytes())
        elif cmd == "903":
            if not self.authenticated.done():
                self.authenticated.set_result(None)
            self.send(Message("CAP", ("END",)).to_bytes())
        elif cmd in ("902", "904", "905", "906", "908"):
            self.shared.problems[f"SASL {cmd}"] += 1
            _fail(self.authenticated, ConnectionLost(f"{self.nick}: SASL refused ({cmd})"))
        elif cmd == "900" and not self.account_made.done():
            self.account_made.set_result(None)  # REGISTER logs the new account in
        elif cmd == "NOTICE" and params and "Account created" in params[-1] and not self.account_made.done():
            self.account_made.set_result(None)
        else:
            super()._other(cmd, params, now)


async def _open(host: str, port: int, nick: str, shared: Shared,
                credentials: tuple[str, str] | None = None) -> _AccountClient:
    return await connect(host, port, nick, lambda: _AccountClient(nick, shared, credentials))


async def register_account(host: str, port: int, name: str, password: str, shared: Shared) -> None:
    """Connect as ``name``, register it with NickServ, and leave."""
    client = await _open(host, port, name, shared)
    try:
        await client.register()
        client.send(Message("PRIVMSG", ("NickServ", f"REGISTER {password}")).to_bytes())
        await client.account_made
    finally:
        await client.quit()


async def log_in(host: str, port: int, nick: str, account: str, password: str, shared: Shared) -> int:
    """Connect, log in to ``account`` with SASL PLAIN and register; nanoseconds until the welcome."""
    start = time.monotonic_ns()
    client = await _open(host, port, nick, shared, (account, password))
    try:
        client.send(Message("CAP", ("REQ", "sasl")).to_bytes())
        user = Message("USER", (nick, "0", "*", "load test"))
        client.send(Message("NICK", (nick,)).to_bytes() + user.to_bytes())
        await client.authenticated
        await client.registered
        return time.monotonic_ns() - start
    finally:
        await client.quit()

