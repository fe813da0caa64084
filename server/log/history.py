"""History queries: the targets and bounds of CHATHISTORY, independent of where history is kept."""

from __future__ import annotations

from dataclasses import dataclass

from server.protocol import casefold

from .events import Event, msgid_seq

__all__ = ["HISTORY_COMMANDS", "HistoryQuery", "dm_key", "history_key", "redaction_of"]

# Events that history keeps and replays: what people said.
HISTORY_COMMANDS = frozenset({"PRIVMSG", "NOTICE"})


def dm_key(nick_a: str, nick_b: str) -> str:
    """The key of a private conversation: the same whichever side asks."""
    a, b = sorted((casefold(nick_a), casefold(nick_b)))
    return f"{a} {b}"


def history_key(event: Event) -> str | None:
    """Where an event is filed in history, or None if history does not keep it."""
    if event.command not in HISTORY_COMMANDS or event.params[0].startswith(("@", "+")):  # STATUSMSG: not for all
        return None
    if event.channels:
        return event.channels[0]
    return dm_key(event.source.split("!", 1)[0], event.params[0])


def redaction_of(event: Event) -> tuple[str, int, str] | None:
    """What a REDACT event removes from history: (key, seq, msgid), or None for any other event."""
    if event.command != "REDACT" or len(event.params) < 2:
        return None
    msgid = event.params[1]
    seq = msgid_seq(msgid)
    if seq is None:
        return None
    key = event.channels[0] if event.channels else dm_key(event.source.split("!", 1)[0], event.params[0])
    return key, seq, msgid


@dataclass(frozen=True, slots=True)
class HistoryQuery:
    """One CHATHISTORY request, with its bounds already resolved to times or msgids.

    ``kind`` is LATEST, BEFORE, AFTER, AROUND or BETWEEN. A bound is
    ("msgid", value), ("time", epoch seconds as text) or None (``*``).
    """

    kind: str
    key: str
    limit: int
    first: tuple[str, str] | None = None
    second: tuple[str, str] | None = None
    up_to_seq: int = 0  # only entries before this seq (0: no bound); e.g. a join's replay


