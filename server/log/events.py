"""Events that more than one connection must see, and the log entries that wrap them."""

from __future__ import annotations

from dataclasses import dataclass, field

from server.protocol import Message

__all__ = ["Entry", "Event"]

# Commands whose last parameter is free text, written with a colon always.
_TEXT_COMMANDS = frozenset({"PRIVMSG", "NOTICE", "TOPIC", "PART", "KICK"})


@dataclass(frozen=True, slots=True)
class Event:
    """A relayed IRC message plus what delivery needs to route it.

    ``origin`` is the id of the connection that caused the event; ``target_conn``
    names the one connection a private message (or a KICK) is aimed at.
    ``channels`` holds the casefolded channels the event concerns: one for
    channel events, every channel of the user for QUIT and NICK, so that a
    worker can route an event without knowing the user.
    """

    command: str
    source: str
    params: tuple[str, ...]
    origin: str
    channels: tuple[str, ...] = ()
    target_conn: str = ""
    tags: dict[str, str] = field(default_factory=dict)

    def message(self) -> Message:
        text = (self.command in _TEXT_COMMANDS and len(self.params) > 1) or self.command == "QUIT"
        return Message(self.command, self.params, self.source, self.tags, force_trailing=text)


@dataclass(frozen=True, slots=True)
class Entry:
    """An event as the log stored it: with its place in the global order."""

    seq: int
    msgid: str
    time: float
    event: Event
