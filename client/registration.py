"""Registration: the opening lines, CAP negotiation, nick-in-use retries, PING/PONG and the welcome (001).

Login (SASL and accounts) builds on this class, and Session on that; it holds what a connection
negotiates, and nothing about windows.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from server.protocol import Message

from .state import ClientState, Line, LineKind, Window, sanitize

__all__ = ["WANTED_CAPS", "Identity", "Registration", "nick_of", "parse_time"]

WANTED_CAPS = (
    "server-time",
    "echo-message",
    "message-tags",
    "batch",
    "draft/chathistory",
    "chathistory",
    "away-notify",
    "multi-prefix",
    "draft/read-marker",
)


@dataclass
class Identity:
    """Who we say we are when registering."""

    nick: str
    username: str
    realname: str
    password: str | None = None
    sasl_user: str | None = None
    sasl_password: str | None = None
    channels: list[str] = field(default_factory=list)
    secure: bool = False  # the connection is TLS: a password may travel as it is (PLAIN, NickServ)
    allow_plaintext_password: bool = False  # ... and over plain TCP too, when the user said so


def parse_time(tags: dict[str, str] | None, now: Callable[[], datetime]) -> datetime:
    """The server-time tag as an aware datetime, or the local clock when absent or unreadable."""
    raw = (tags or {}).get("time")
    if raw:
        try:
            return datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            pass
    return now()


def nick_of(source: str | None) -> str:
    return (source or "").split("!", 1)[0]


class Registration:
    """Registers a connection and keeps it alive; Session adds windows and messages on top."""

    def __init__(self, state: ClientState, identity: Identity,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.state = state
        self.identity = identity
        self.now = now
        self.registered = False
        self._cap_ls: dict[str, str] = {}  # offered caps and their values (CAP LS 302)
        self._cap_done = False
        self._nick_attempt = 0

    def start(self) -> list[Message]:
        """The opening lines of a connection: CAP LS 302, PASS, NICK and USER."""
        self.registered = False
        self._cap_ls = {}
        self._cap_done = False
        self._nick_attempt = 0
        self.state.caps = set()
        self.state.status = "registering"
        self.state.version += 1
        out = [Message("CAP", ("LS", "302"))]
        if self.identity.password:
            out.append(Message("PASS", (self.identity.password,)))
        out.append(Message("NICK", (self.identity.nick,)))
        out.append(Message("USER", (self.identity.username, "0", "*", self.identity.realname)))
        return out

    def ping(self) -> Message:
        return Message("PING", (f"lag{time.monotonic():.6f}",))

    def info(self, window: Window, text: str, *, kind: LineKind = LineKind.INFO, count: bool = True,
             when: datetime | None = None) -> None:
        self.state.add_line(window, Line(when or self.now(), kind, sanitize(text)), count=count)

    def _on_PING(self, msg: Message) -> list[Message]:
        return [Message("PONG", msg.params[-1:] or ("",))]

    def _on_PONG(self, msg: Message) -> list[Message]:
        token = msg.params[-1] if msg.params else ""
        if token.startswith("lag"):
            with contextlib.suppress(ValueError):
                self.state.lag = max(0.0, time.monotonic() - float(token[3:]))
        return []

    def _on_CAP(self, msg: Message) -> list[Message]:
        if len(msg.params) < 3:
            return []
        sub = msg.params[1].upper()
        caps_text = msg.params[-1]
        more = len(msg.params) > 3 and msg.params[2] == "*"
        if sub == "LS":
            for item in caps_text.split():
                name, _, value = item.partition("=")
                self._cap_ls[name] = value
            if more:
                return []
            return self._request_caps(set(self._cap_ls))
        if sub == "NEW":
            new = {item.split("=", 1)[0] for item in caps_text.split()}
            for item in caps_text.split():
                name, _, value = item.partition("=")
                self._cap_ls[name] = value
            wanted = [c for c in WANTED_CAPS if c in new and c not in self.state.caps]
            return [Message("CAP", ("REQ", " ".join(wanted)))] if wanted else []
        if sub == "DEL":
            for item in caps_text.split():
                self.state.caps.discard(item)
                self._cap_ls.pop(item, None)
            return []
        if sub == "ACK":
            for item in caps_text.split():
                if item.startswith("-"):
                    self.state.caps.discard(item[1:])
                else:
                    self.state.caps.add(item)
            return self.caps_acked()
        if sub == "NAK":
            return self._cap_end()
        return []

    def _request_caps(self, available: set[str]) -> list[Message]:
        wanted = [c for c in WANTED_CAPS if c in available] + self.extra_caps(available)
        if not wanted:
            return self._cap_end()
        return [Message("CAP", ("REQ", " ".join(wanted)))]

    def extra_caps(self, available: set[str]) -> list[str]:
        """Caps to ask for beyond WANTED_CAPS (Login: sasl, when logging in)."""
        return []

    def caps_acked(self) -> list[Message]:
        """What follows a CAP ACK (Login: the SASL exchange); here, the end of negotiation."""
        return self._cap_end()

    def _cap_end(self) -> list[Message]:
        if self._cap_done or self.registered:
            return []
        self._cap_done = True
        return [Message("CAP", ("END",))]

    def _on_ERROR(self, msg: Message) -> list[Message]:
        self.info(self.state.server_window, f"Server closed the link: {' '.join(msg.params)}", kind=LineKind.ERROR)
        return []

    def _rpl_001(self, msg: Message) -> list[Message]:
        self.registered = True
        self._cap_done = True
        if msg.params:
            self.state.nick = msg.params[0]
            self.identity.nick = msg.params[0]
        self.state.server = nick_of(msg.source) or self.state.server
        self.state.status = "connected"
        self.info(self.state.server_window, " ".join(msg.params[1:]))
        return self.welcomed()

    def welcomed(self) -> list[Message]:
        """What to send once registered (Session: rejoin, away, queued lines)."""
        return []

    def _rpl_005(self, msg: Message) -> list[Message]:
        for token in msg.params[1:-1]:
            key, _, value = token.partition("=")
            if key == "PREFIX" and value.startswith("(") and ")" in value:
                modes, symbols = value[1:].split(")", 1)
                if len(modes) == len(symbols):
                    self.state.prefix_modes, self.state.prefix_symbols = modes, symbols
        return []

    def _rpl_433(self, msg: Message) -> list[Message]:
        wanted = msg.params[1] if len(msg.params) > 1 else self.identity.nick
        if self.registered:
            self.info(self.state.current_window, f"The nick {wanted} is already in use", kind=LineKind.ERROR)
            return []
        self._nick_attempt += 1
        base = self.identity.nick.rstrip("_0123456789") or self.identity.nick
        candidate = (base + "_") if self._nick_attempt == 1 else f"{base[:26]}{self._nick_attempt}"
        self.info(self.state.server_window, f"The nick {wanted} is taken; trying {candidate}")
        self.state.nick = candidate
        return [Message("NICK", (candidate,))]

    _rpl_432 = _rpl_433
