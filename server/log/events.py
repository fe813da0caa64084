"""Events that more than one connection must see, and the log entries that wrap them."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from server.protocol import Message

__all__ = ["ChannelSettings", "Entry", "Event", "format_time", "make_msgid", "msgid_seq", "parse_time"]

# What a registered channel keeps while empty and across restarts:
# (name, topic, topic_by, topic_time, modes, key, limit)
ChannelSettings = tuple[str, str, str, float, str, str, int]

# Commands whose last parameter is free text, written with a colon always.
_TEXT_COMMANDS = frozenset({"PRIVMSG", "NOTICE", "TOPIC", "PART", "KICK", "RENAME"})
_ALWAYS_TRAILING = frozenset({"QUIT", "AWAY", "SETNAME", "WALLOPS", "730", "731"})  # 730, 731: MONITOR


@dataclass(frozen=True, slots=True)
class Event:
    """A relayed IRC message plus what delivery needs to route it.

    ``origin`` is the id of the connection that caused the event; ``target_conn``
    names the one connection a private message (or a KICK, a KILL's victim,
    one recipient of a WALLOPS) is aimed at.
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
    tags: dict[str, str] = field(default_factory=dict)  # client-only (+) tags the sender attached
    extra: tuple[str, ...] = ()  # parameters only some clients get: extended-join's account and realname
    account: str = ""  # the account the source was logged in to (account-tag), "" if none
    history: str = ""  # a private message's conversation: the history key of its two parties (history.pair_key)


def format_time(epoch: float) -> str:
    """The server-time tag format: ISO 8601 in UTC with milliseconds."""
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch))
    return f"{stamp}.{int(epoch * 1000) % 1000:03d}Z"


def parse_time(text: str) -> float:
    """Inverse of format_time (milliseconds optional); raises ValueError on anything else."""
    if not text.endswith("Z"):
        raise ValueError(f"not a UTC timestamp: {text!r}")
    pattern = "%Y-%m-%dT%H:%M:%S.%f" if "." in text else "%Y-%m-%dT%H:%M:%S"
    return datetime.strptime(text[:-1], pattern).replace(tzinfo=UTC).timestamp()


def make_msgid(run: str, seq: int) -> str:
    """The msgid of the entry at ``seq``: ``<run>-<seq>``, run being random for each start of the log.

    Naming the position makes a msgid its own index: the history store finds an
    entry by msgid through its primary key, with no index of msgids to update on
    every commit.
    """
    return f"{run}-{seq}"


def msgid_seq(msgid: str) -> int | None:
    """The position a msgid made by make_msgid names; None for anything else."""
    _, sep, seq = msgid.rpartition("-")
    return int(seq) if sep and seq.isascii() and seq.isdigit() else None


@dataclass(frozen=True, slots=True)
class Entry:
    """An event as the log stored it: with its place in the global order."""

    seq: int
    msgid: str
    time: float
    event: Event

    def message(self, server_time: bool = False, message_tags: bool = False, extended_join: bool = False,
                batch: str = "", account_tag: bool = False) -> Message:
        """The line a client gets for this entry, with the tags its capabilities ask for."""
        event = self.event
        tags: dict[str, str] = {}
        if message_tags:
            tags.update(event.tags)
            tags["msgid"] = self.msgid
        if server_time:
            tags["time"] = format_time(self.time)
        if batch:
            tags["batch"] = batch
        if account_tag and event.account:
            tags["account"] = event.account
        params = event.params + event.extra if extended_join and event.command == "JOIN" else event.params
        text = (event.command in _TEXT_COMMANDS and len(params) > 1) or event.command in _ALWAYS_TRAILING
        return Message(event.command, params, event.source, tags, force_trailing=text)
