"""What the user sends: messages cut to fit, lines and commands typed while offline kept for the reconnect.

Session builds on this class; Replies below it handles the numeric answers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from server.protocol import Message, casefold, is_channel

from .commands import split_text, text_limit
from .registration import Identity
from .replies import Replies
from .state import ClientState, Line, LineKind, sanitize

__all__ = ["Outgoing", "Queued", "sanitize_outgoing"]


@dataclass(frozen=True, slots=True)
class Queued:
    """A line typed while disconnected, sent once the target can take it again."""

    target: str
    text: str
    action: bool = False
    notice: bool = False


def sanitize_outgoing(text: str) -> str:
    """Outgoing text must not carry line breaks or NUL; the caller split lines already."""
    return text.replace("\r", " ").replace("\n", " ").replace("\x00", "")


class Outgoing(Replies):
    """Turns what the user typed into messages, now or after the reconnect; no I/O."""

    def __init__(self, state: ClientState, identity: Identity,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        super().__init__(state, identity, now)
        self.queued: list[Queued] = []
        self.queued_joins: list[Message] = []
        self.autojoin: list[str] = list(identity.channels)
        self._switch_on_join: set[str] = set()

    def pieces(self, target: str, text: str, *, action: bool = False) -> list[str]:
        """text cut into the messages say() sends: what fits in one line as the server relays it."""
        limit = text_limit(self.state.nick, self.identity.username, target, action=action)
        return split_text(sanitize_outgoing(text), limit)

    def say(self, target: str, text: str, *, action: bool = False, notice: bool = False) -> list[Message]:
        """PRIVMSGs (or NOTICEs) for text, split to fit; echoed locally unless the server echoes."""
        out: list[Message] = []
        for piece in self.pieces(target, text, action=action):
            body = f"\x01ACTION {piece}\x01" if action else piece
            out.append(Message("NOTICE" if notice else "PRIVMSG", (target, body)))
            if "echo-message" not in self.state.caps:
                window = self.state.find(target) or self.state.open(target)
                kind = LineKind.ACTION if action else LineKind.NOTICE if notice else LineKind.MESSAGE
                self.state.add_line(window, Line(self.now(), kind, sanitize(piece), self.state.nick, own=True))
        return out

    def queue(self, item: Queued) -> int:
        """Keep a line typed while disconnected; it is sent after the reconnect (channels: once rejoined)."""
        self.queued.append(item)
        return len(self.queued)

    def _flush_queued(self, ready: Callable[[str], bool]) -> list[Message]:
        send = [q for q in self.queued if ready(q.target)]
        if not send:
            return []
        self.queued = [q for q in self.queued if not ready(q.target)]
        out: list[Message] = []
        for item in send:
            out += self.say(item.target, item.text, action=item.action, notice=item.notice)
        window = self.state.find(send[0].target) or self.state.server_window
        count = len(send)
        self.info(window, f"Sent {count} line{'s' if count != 1 else ''} typed while disconnected", count=False)
        return out

    def offline_command(self, message: Message) -> str:
        """Keep what a command typed while offline asks for, or say why it was not sent; the text to show.

        Joins wait for the reconnect; a part, nick change or away is applied to what the reconnect
        will do. Anything else (a /whois, /kick, /mode...) would act on a stale view, so it is refused.
        """
        status = self.state.status
        params = message.params
        if message.command == "JOIN" and params:
            self.queued_joins.append(message)
            self.join_requested(params[0])
            return f"Not connected ({status}): will join {params[0]} after the reconnect"
        if message.command == "PART" and params:
            for name in params[0].split(","):
                self.autojoin = [c for c in self.autojoin if casefold(c) != casefold(name)]
                window = self.state.find(name)
                if window is not None:
                    self.state.close(window)
            return f"Not connected ({status}): closed {params[0]}; it will not be rejoined"
        if message.command == "NICK" and params:
            self.identity.nick = self.state.nick = params[0]
            return f"Not connected ({status}): you will be {params[0]} after the reconnect"
        if message.command == "AWAY":
            self.away_requested(params[0] if params else None)
            self.state.away = bool(params and params[0])
            return (f"Not connected ({status}): you will be marked away after the reconnect" if self.state.away
                    else f"Not connected ({status}): you will not be away after the reconnect")
        return (f"Not connected ({status}): /{message.command.lower()} was not sent; "
                "type it again once connected")

    def _flush_joins(self) -> list[Message]:
        out, self.queued_joins = self.queued_joins, []
        return out

    def away_requested(self, message: str | None) -> None:
        """Remember the away message, so a reconnect can set it again."""
        self.away_message = message or None

    def join_requested(self, channels: str) -> None:
        """Remember that the user typed /join, so the new window gets the focus."""
        for name in channels.split(","):
            self._switch_on_join.add(casefold(name))

    def ready_for_private(self) -> list[Message]:
        """Queued lines to nicks: sendable as soon as we are registered."""
        return self._flush_queued(lambda target: not is_channel(target))
