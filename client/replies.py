"""Numeric replies: errors into the window they concern, NAMES into nick lists, WHOIS as a block, away.

Session builds on this class; Login and Registration below it handle the registration and SASL numerics.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from server.protocol import Message, casefold

from .login import Login
from .registration import Identity
from .state import ClientState, LineKind, Member, Window, sanitize
from .whois import WHOIS_NUMERICS, Whois

__all__ = ["Replies"]

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



class Replies(Login):
    """Answers to what the user asked (and errors), applied to the state; no I/O."""

    def __init__(self, state: ClientState, identity: Identity,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        super().__init__(state, identity, now)
        self.away_message: str | None = None
        self._whois: dict[str, tuple[Window, Whois]] = {}
        self._names_pending: set[str] = set()
        self._names_shown: set[str] = set()

    def whois_requested(self, nick: str, window: Window) -> None:
        """The reply to /whois goes to the window it was typed in."""
        self._whois[casefold(nick)] = (window, Whois(nick))

    def names_requested(self, channel: str) -> None:
        self._names_shown.add(casefold(channel))

    def _numeric(self, msg: Message) -> list[Message]:
        code, params = msg.command, msg.params[1:]
        handler = getattr(self, "_rpl_" + code, None)
        if handler is not None:
            out: list[Message] = handler(msg)
            return out
        if code in WHOIS_NUMERICS and self._whois_numeric(code, params):
            return []
        text = " ".join(params)
        if code in _INFO_NUMERICS:
            pending = self._whois.get(casefold(params[0])) if params else None
            window = pending[0] if pending is not None else self._error_window(params)
            kind = LineKind.ERROR if code[0] in "45" else LineKind.INFO
            if code in _REASONS and params:
                text = f"Cannot join {params[0]}: {_REASONS[code]}"
            self.info(window, text, kind=kind)
        elif code[0] in "45":
            self.info(self.state.server_window, text, kind=LineKind.ERROR)
        else:
            self.info(self.state.server_window, text)
        return []

    def _whois_numeric(self, code: str, params: tuple[str, ...]) -> bool:
        """Collect a WHOIS reply; at 318 write it as a block where /whois was typed. False: not ours."""
        if not params:
            return False
        key = casefold(params[0])
        entry = self._whois.get(key)
        if entry is None:
            if code != "311":  # a 301 to a PRIVMSG, say; only a 311 starts an unasked-for reply
                return False
            entry = self._whois[key] = (self.state.current_window, Whois(params[0]))
        window, whois = entry
        if code != "318":
            whois.feed(code, params)
            return True
        del self._whois[key]
        if whois.user or whois.server:  # otherwise the 401 "No such nick" already said it
            if window not in self.state.windows:
                window = self.state.current_window
            for text in whois.lines():
                self.info(window, text)
        return True

    def _error_window(self, params: tuple[str, ...]) -> Window:
        if params:
            window = self.state.find(params[0])
            if window is not None:
                return window
        return self.state.current_window

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
                window.members[casefold(nick)] = Member(nick, prefixes)
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
        self.away_message = None
        self.info(self.state.current_window, "You are no longer marked as away")
        return []

    def _rpl_306(self, msg: Message) -> list[Message]:
        self.state.away = True
        self.info(self.state.current_window, "You are marked as away")
        return []
