"""The sans-I/O IRC session: registration, CAP and SASL, and incoming messages applied to ClientState."""

from __future__ import annotations

import base64
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from server.protocol import Message, casefold, is_channel

from .commands import TEXT_BYTES, split_text
from .state import ClientState, Line, LineKind, Member, Window, WindowKind, sanitize

__all__ = ["WANTED_CAPS", "Identity", "Session"]

WANTED_CAPS = (
    "server-time",
    "echo-message",
    "message-tags",
    "batch",
    "draft/chathistory",
    "chathistory",
    "away-notify",
    "multi-prefix",
)
HISTORY_LINES = 100

# Numerics whose text belongs in the window the user is looking at (answers to what they typed).
_INFO_NUMERICS = frozenset({
    "301", "305", "306", "311", "312", "313", "314", "315", "317", "318", "319", "321", "322", "323",
    "331", "341", "352", "369", "401", "402", "403", "404", "405", "406", "411", "412", "421", "441",
    "442", "443", "461", "471", "473", "474", "475", "476", "477", "481", "482", "502",
})
_REASONS = {
    "471": "channel is full",
    "473": "channel is invite only",
    "474": "you are banned",
    "475": "wrong channel key",
}


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


class Session:
    """Feeds server messages into ClientState and answers with messages to send; does no I/O."""

    def __init__(self, state: ClientState, identity: Identity,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.state = state
        self.identity = identity
        self.now = now
        self.registered = False
        self._cap_ls: set[str] = set()
        self._cap_done = False
        self._nick_attempt = 0
        self._batches: dict[str, tuple[str, str]] = {}
        self._history_floor: dict[str, datetime | None] = {}
        self._names_pending: set[str] = set()
        self._names_shown: set[str] = set()
        self._switch_on_join: set[str] = set()
        self.autojoin: list[str] = list(identity.channels)

    # -- connection lifecycle -------------------------------------------------

    def start(self) -> list[Message]:
        """The opening lines of a connection: CAP LS 302, PASS, NICK and USER."""
        self.registered = False
        self._cap_ls = set()
        self._cap_done = False
        self._nick_attempt = 0
        self._batches.clear()
        self.state.caps = set()
        self.state.status = "registering"
        self.state.version += 1
        out = [Message("CAP", ("LS", "302"))]
        if self.identity.password:
            out.append(Message("PASS", (self.identity.password,)))
        out.append(Message("NICK", (self.identity.nick,)))
        out.append(Message("USER", (self.identity.username, "0", "*", self.identity.realname)))
        return out

    def disconnected(self, reason: str) -> None:
        """Note a lost connection; channel windows stay open and are rejoined on reconnect."""
        self.registered = False
        self.state.lag = None
        for window in self.state.windows:
            if window.kind is WindowKind.CHANNEL and window.joined:
                window.joined = False
                self.autojoin_add(window.name)
        self.info(self.state.server_window, f"Disconnected: {reason}", kind=LineKind.ERROR)
        for window in self.state.windows[1:]:
            self.info(window, f"Disconnected: {reason}", kind=LineKind.ERROR, count=False)
        self.state.version += 1

    def autojoin_add(self, name: str) -> None:
        if casefold(name) not in {casefold(c) for c in self.autojoin}:
            self.autojoin.append(name)

    def ping(self) -> Message:
        return Message("PING", (f"lag{time.monotonic():.6f}",))

    # -- user actions ---------------------------------------------------------

    def say(self, target: str, text: str, *, action: bool = False, notice: bool = False) -> list[Message]:
        """PRIVMSGs (or NOTICEs) for text, split to fit; echoed locally unless the server echoes."""
        out: list[Message] = []
        limit = TEXT_BYTES - (9 if action else 0)
        for piece in split_text(sanitize_outgoing(text), limit):
            body = f"\x01ACTION {piece}\x01" if action else piece
            out.append(Message("NOTICE" if notice else "PRIVMSG", (target, body)))
            if "echo-message" not in self.state.caps:
                window = self.state.find(target) or self.state.open(target)
                kind = LineKind.ACTION if action else LineKind.NOTICE if notice else LineKind.MESSAGE
                self.state.add_line(window, Line(self.now(), kind, sanitize(piece), self.state.nick, own=True))
        return out

    def join_requested(self, channels: str) -> None:
        """Remember that the user typed /join, so the new window gets the focus."""
        for name in channels.split(","):
            self._switch_on_join.add(casefold(name))

    def names_requested(self, channel: str) -> None:
        self._names_shown.add(casefold(channel))

    # -- incoming -------------------------------------------------------------

    def handle(self, msg: Message) -> list[Message]:
        """Apply one message from the server; return what to send back."""
        handler = getattr(self, "_on_" + msg.command, None)
        if handler is not None:
            result: list[Message] = handler(msg)
        elif msg.command.isdigit():
            result = self._numeric(msg)
        else:
            result = []
        self.state.version += 1
        return result

    def info(self, window: Window, text: str, *, kind: LineKind = LineKind.INFO, count: bool = True,
             when: datetime | None = None) -> None:
        self.state.add_line(window, Line(when or self.now(), kind, sanitize(text)), count=count)

    def _history_batch(self, msg: Message) -> str | None:
        batch = msg.tags.get("batch")
        if batch and batch in self._batches and self._batches[batch][0].endswith("chathistory"):
            return self._batches[batch][1]
        return None

    def _add(self, window: Window, line: Line, msg: Message) -> None:
        """Add a message line; replayed history is unread only when newer than what we had seen."""
        target = self._history_batch(msg)
        count = True
        if target is not None:
            floor = self._history_floor.get(casefold(target))
            count = floor is not None and line.time > floor
            line.mention = line.mention and count
        self.state.add_line(window, line, count=count, by_time=target is not None)

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
                self._cap_ls.add(item.split("=", 1)[0])
            if more:
                return []
            return self._request_caps(self._cap_ls)
        if sub == "NEW":
            new = {item.split("=", 1)[0] for item in caps_text.split()}
            self._cap_ls |= new
            wanted = [c for c in WANTED_CAPS if c in new and c not in self.state.caps]
            return [Message("CAP", ("REQ", " ".join(wanted)))] if wanted else []
        if sub == "DEL":
            for item in caps_text.split():
                self.state.caps.discard(item)
            return []
        if sub == "ACK":
            for item in caps_text.split():
                if item.startswith("-"):
                    self.state.caps.discard(item[1:])
                else:
                    self.state.caps.add(item)
            if "sasl" in self.state.caps and self.identity.sasl_user and not self.registered and not self._cap_done:
                return [Message("AUTHENTICATE", ("PLAIN",))]
            return self._cap_end()
        if sub == "NAK":
            return self._cap_end()
        return []

    def _request_caps(self, available: set[str]) -> list[Message]:
        wanted = [c for c in WANTED_CAPS if c in available]
        if self.identity.sasl_user and "sasl" in available:
            wanted.append("sasl")
        elif self.identity.sasl_user:
            self.info(self.state.server_window, "The server does not offer SASL; continuing without it",
                      kind=LineKind.ERROR)
        if not wanted:
            return self._cap_end()
        return [Message("CAP", ("REQ", " ".join(wanted)))]

    def _cap_end(self) -> list[Message]:
        if self._cap_done or self.registered:
            return []
        self._cap_done = True
        return [Message("CAP", ("END",))]

    def _on_AUTHENTICATE(self, msg: Message) -> list[Message]:
        if msg.params[:1] != ("+",) or not self.identity.sasl_user:
            return []
        user = self.identity.sasl_user
        token = f"{user}\0{user}\0{self.identity.sasl_password or ''}".encode()
        encoded = base64.b64encode(token).decode("ascii")
        chunks = [encoded[i:i + 400] for i in range(0, len(encoded), 400)] or [""]
        if len(chunks[-1]) == 400:
            chunks.append("+")
        return [Message("AUTHENTICATE", (c,)) for c in chunks]

    def _on_ERROR(self, msg: Message) -> list[Message]:
        self.info(self.state.server_window, f"Server closed the link: {' '.join(msg.params)}", kind=LineKind.ERROR)
        return []

    def _on_BATCH(self, msg: Message) -> list[Message]:
        if not msg.params:
            return []
        ref = msg.params[0]
        if ref.startswith("+") and len(msg.params) >= 2:
            target = msg.params[2] if len(msg.params) > 2 else ""
            self._batches[ref[1:]] = (msg.params[1].lower(), target)
            if msg.params[1].lower().endswith("chathistory"):
                window = self.state.find(target)
                self._history_floor[casefold(target)] = window.last_time() if window else None
        elif ref.startswith("-"):
            self._batches.pop(ref[1:], None)
        return []

    def _on_PRIVMSG(self, msg: Message) -> list[Message]:
        return self._message(msg, notice=False)

    def _on_NOTICE(self, msg: Message) -> list[Message]:
        return self._message(msg, notice=True)

    def _message(self, msg: Message, *, notice: bool) -> list[Message]:
        if len(msg.params) < 2:
            return []
        target, text = msg.params[0], msg.params[1]
        nick = nick_of(msg.source)
        own = casefold(nick) == casefold(self.state.nick)
        from_server = msg.source is None or ("!" not in msg.source and "." in msg.source)
        window: Window
        if is_channel(target):
            window = self.state.find(target) or self.state.open(target)
        elif own:
            window = self.state.open(target)
        elif notice and (from_server or self.state.find(nick) is None):
            window = self.state.server_window
        else:
            window = self.state.open(nick)
        kind = LineKind.NOTICE if notice else LineKind.MESSAGE
        if text.startswith("\x01"):
            ctcp = text.strip("\x01")
            verb, _, rest = ctcp.partition(" ")
            if verb.upper() != "ACTION":
                if not notice:
                    self.info(self.state.server_window, f"CTCP {verb.upper()} from {nick}")
                return []
            kind, text = LineKind.ACTION, rest
        line = Line(
            parse_time(dict(msg.tags), self.now), kind, sanitize(text), nick or None, own=own,
            mention=not own and self.state.is_mention(text), msgid=msg.tags.get("msgid"),
        )
        if not own and nick and window.kind is not WindowKind.SERVER:
            window.spoke(nick)
        self._add(window, line, msg)
        return []

    def _on_JOIN(self, msg: Message) -> list[Message]:
        if not msg.params:
            return []
        channel = msg.params[0]
        nick = nick_of(msg.source)
        if casefold(nick) == casefold(self.state.nick):
            switch = casefold(channel) in self._switch_on_join
            self._switch_on_join.discard(casefold(channel))
            window = self.state.open(channel, switch=switch)
            window.joined = True
            window.members.clear()
            self._names_pending.discard(window.key)
            self.info(window, f"You joined {channel}", kind=LineKind.EVENT, count=False)
            if self._history_batch(msg) is None and (
                    "chathistory" in self.state.caps or "draft/chathistory" in self.state.caps):
                return [Message("CHATHISTORY", ("LATEST", channel, "*", str(HISTORY_LINES)))]
            return []
        found = self.state.find(channel)
        if found is None:
            return []
        window = found
        if self._history_batch(msg) is None:
            window.members[casefold(nick)] = window.members.get(casefold(nick)) or _member(nick)
            window.version += 1
        self._add(window, Line(parse_time(dict(msg.tags), self.now), LineKind.EVENT, f"{nick} joined",
                               msgid=msg.tags.get("msgid")), msg)
        return []

    def _on_PART(self, msg: Message) -> list[Message]:
        if not msg.params:
            return []
        channel = msg.params[0]
        nick = nick_of(msg.source)
        window = self.state.find(channel)
        if window is None:
            return []
        if self._history_batch(msg) is None and casefold(nick) == casefold(self.state.nick):
            window.joined = False
            self.autojoin = [c for c in self.autojoin if casefold(c) != window.key]
            self.state.close(window)
            return []
        reason = f" ({sanitize(msg.params[1])})" if len(msg.params) > 1 and msg.params[1] else ""
        if self._history_batch(msg) is None:
            window.members.pop(casefold(nick), None)
            window.version += 1
        self._add(window, Line(parse_time(dict(msg.tags), self.now), LineKind.EVENT, f"{nick} left{reason}",
                               msgid=msg.tags.get("msgid")), msg)
        return []

    def _on_KICK(self, msg: Message) -> list[Message]:
        if len(msg.params) < 2:
            return []
        channel, victim = msg.params[0], msg.params[1]
        window = self.state.find(channel)
        if window is None:
            return []
        reason = msg.params[2] if len(msg.params) > 2 else ""
        window.members.pop(casefold(victim), None)
        if casefold(victim) == casefold(self.state.nick):
            window.joined = False
            self.info(window, f"You were kicked from {channel} by {nick_of(msg.source)} ({reason})",
                      kind=LineKind.ERROR)
        else:
            self.info(window, f"{victim} was kicked by {nick_of(msg.source)} ({reason})", kind=LineKind.EVENT)
        return []

    def _on_QUIT(self, msg: Message) -> list[Message]:
        nick = nick_of(msg.source)
        reason = sanitize(msg.params[0]) if msg.params else ""
        target = self._history_batch(msg)
        if target is not None:
            window = self.state.find(target)
            if window is not None:
                self._add(window, Line(parse_time(dict(msg.tags), self.now), LineKind.EVENT,
                                       f"{nick} quit ({reason})", msgid=msg.tags.get("msgid")), msg)
            return []
        for window in self.state.windows_with(nick):
            window.members.pop(casefold(nick), None)
            window.version += 1
            self.info(window, f"{nick} quit ({reason})", kind=LineKind.EVENT,
                      when=parse_time(dict(msg.tags), self.now))
        return []

    def _on_NICK(self, msg: Message) -> list[Message]:
        if not msg.params:
            return []
        old, new = nick_of(msg.source), msg.params[0]
        if casefold(old) == casefold(self.state.nick):
            self.state.nick = new
            self.identity.nick = new
            self.info(self.state.server_window, f"You are now known as {new}", kind=LineKind.EVENT)
        for window in self.state.windows_with(old):
            member = window.members.pop(casefold(old), None)
            if member is not None:
                member.nick = new
                window.members[casefold(new)] = member
            if window.kind is WindowKind.QUERY and self.state.find(new) is None:
                window.name = new
            window.version += 1
            self.info(window, f"{old} is now known as {new}", kind=LineKind.EVENT)
        return []

    def _on_TOPIC(self, msg: Message) -> list[Message]:
        if len(msg.params) < 2:
            return []
        window = self.state.find(msg.params[0])
        if window is not None:
            window.topic = sanitize(msg.params[1])
            self.info(window, f"{nick_of(msg.source)} changed the topic to: {window.topic}", kind=LineKind.EVENT)
        return []

    def _on_MODE(self, msg: Message) -> list[Message]:
        if len(msg.params) < 2:
            return []
        target = msg.params[0]
        window = self.state.find(target) if is_channel(target) else None
        if window is None:
            self.info(self.state.server_window, f"Mode {' '.join(msg.params)}", kind=LineKind.EVENT)
            return []
        args = list(msg.params[2:])
        adding = True
        for ch in msg.params[1]:
            if ch in "+-":
                adding = ch == "+"
            elif ch in self.state.prefix_modes and args:
                self.state.set_prefix(window, args.pop(0), ch, adding)
            elif ch in "beIkfjl" and args and (adding or ch != "l"):
                args.pop(0)
        self.info(window, f"{nick_of(msg.source)} sets mode {' '.join(msg.params[1:])}", kind=LineKind.EVENT)
        return []

    def _on_AWAY(self, msg: Message) -> list[Message]:
        return []

    def _on_INVITE(self, msg: Message) -> list[Message]:
        channel = msg.params[-1] if msg.params else ""
        self.info(self.state.current_window, f"{nick_of(msg.source)} invites you to {channel} (/join {channel})")
        return []

    # -- numerics -------------------------------------------------------------

    def _numeric(self, msg: Message) -> list[Message]:
        code, params = msg.command, msg.params[1:]
        handler = getattr(self, "_rpl_" + code, None)
        if handler is not None:
            out: list[Message] = handler(msg)
            return out
        text = " ".join(params)
        if code in _INFO_NUMERICS:
            window = self._error_window(params)
            kind = LineKind.ERROR if code[0] in "45" else LineKind.INFO
            if code in _REASONS and params:
                text = f"Cannot join {params[0]}: {_REASONS[code]}"
            self.info(window, text, kind=kind)
        elif code[0] in "45":
            self.info(self.state.server_window, text, kind=LineKind.ERROR)
        else:
            self.info(self.state.server_window, text)
        return []

    def _error_window(self, params: tuple[str, ...]) -> Window:
        if params:
            window = self.state.find(params[0])
            if window is not None:
                return window
        return self.state.current_window

    def _rpl_001(self, msg: Message) -> list[Message]:
        self.registered = True
        self._cap_done = True
        if msg.params:
            self.state.nick = msg.params[0]
            self.identity.nick = msg.params[0]
        self.state.server = nick_of(msg.source) or self.state.server
        self.state.status = "connected"
        self.info(self.state.server_window, " ".join(msg.params[1:]))
        channels = [c for c in self.autojoin if c]
        if self.state.current == 0 and channels:
            self._switch_on_join.add(casefold(channels[0]))
        return [Message("JOIN", (",".join(channels),))] if channels else []

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

    def _rpl_332(self, msg: Message) -> list[Message]:
        if len(msg.params) >= 3:
            window = self.state.find(msg.params[1])
            if window is not None:
                window.topic = sanitize(msg.params[2])
                self.info(window, f"Topic: {window.topic}", kind=LineKind.EVENT, count=False)
        return []

    def _rpl_333(self, msg: Message) -> list[Message]:
        return []

    def _rpl_353(self, msg: Message) -> list[Message]:
        if len(msg.params) < 4:
            return []
        channel = msg.params[2]
        window = self.state.find(channel)
        if window is None or not window.joined:
            self.info(self.state.current_window, f"{channel}: {msg.params[3]}")
            return []
        if window.key not in self._names_pending:
            self._names_pending.add(window.key)
            window.members.clear()
        for raw in msg.params[3].split():
            prefixes, nick = self.state.member_prefixes(raw)
            nick = nick.split("!", 1)[0]
            if nick:
                window.members[casefold(nick)] = _member(nick, prefixes)
        window.version += 1
        return []

    def _rpl_366(self, msg: Message) -> list[Message]:
        if len(msg.params) < 2:
            return []
        key = casefold(msg.params[1])
        self._names_pending.discard(key)
        window = self.state.find(msg.params[1])
        if window is not None and key in self._names_shown:
            self._names_shown.discard(key)
            names = " ".join(m.prefixes + m.nick for m in window.sorted_members(self.state.prefix_symbols))
            self.info(window, f"{len(window.members)} in {window.name}: {names}")
        return []

    def _rpl_305(self, msg: Message) -> list[Message]:
        self.state.away = False
        self.info(self.state.current_window, "You are no longer marked as away")
        return []

    def _rpl_306(self, msg: Message) -> list[Message]:
        self.state.away = True
        self.info(self.state.current_window, "You are marked as away")
        return []

    def _rpl_903(self, msg: Message) -> list[Message]:
        self.info(self.state.server_window, "SASL authentication succeeded")
        return self._cap_end()

    def _sasl_failed(self, msg: Message) -> list[Message]:
        self.info(self.state.server_window, f"SASL failed: {' '.join(msg.params[1:])}", kind=LineKind.ERROR)
        return self._cap_end()

    _rpl_902 = _rpl_904 = _rpl_905 = _rpl_906 = _rpl_908 = _sasl_failed

    def _rpl_900(self, msg: Message) -> list[Message]:
        self.info(self.state.server_window, msg.params[-1] if msg.params else "Logged in")
        return []


def _member(nick: str, prefixes: str = "") -> Member:
    return Member(nick, prefixes)


def sanitize_outgoing(text: str) -> str:
    """Outgoing text must not carry line breaks or NUL; the caller split lines already."""
    return text.replace("\r", " ").replace("\n", " ").replace("\x00", "")
