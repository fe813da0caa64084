"""History queries: the targets and bounds of CHATHISTORY, independent of where history is kept."""

from __future__ import annotations

from dataclasses import dataclass

from server.protocol import casefold

from .events import Event, msgid_seq
from .multiline import MULTILINE

__all__ = ["HISTORY_COMMANDS", "KEPT_TAGMSG_TAGS", "PLAYBACK_COMMANDS", "HistoryQuery", "dm_key", "history_key",
           "identity_name", "pair_key", "pairs_with_nick", "redaction_of"]

# Events that history keeps and replays to everyone: what people said.
HISTORY_COMMANDS = frozenset({"PRIVMSG", "NOTICE", MULTILINE})
# What else it keeps, for clients with draft/event-playback only: topic changes, and the TAGMSGs
# that ask to be kept (reactions; Ergo's default list plus the persist tags), not typing notices.
PLAYBACK_COMMANDS = frozenset({"TOPIC", "TAGMSG"})
KEPT_TAGMSG_TAGS = ("+draft/react", "+react", "+draft/persist", "+persist")


def dm_key(nick_a: str, nick_b: str) -> str:
    """The key of a private conversation: the same whichever side asks."""
    a, b = sorted((casefold(nick_a), casefold(nick_b)))
    return f"{a} {b}"


def pair_key(identity_a: str, identity_b: str) -> str:
    """The key of a private conversation between two parties' history identities, whichever side asks.

    An identity is ``=<account>@<registered ms>`` for someone logged in (the
    same from any of their connections, and after a restart, but not for a
    later account of the same name) or ``<nick>!<run>/<connection>`` for
    someone who is not (that connection alone). See World.history_identity.
    """
    a, b = sorted((identity_a, identity_b))
    return f"{a} {b}"


def pairs_with_nick(identity: str, nick: str) -> tuple[str, ...]:
    """LIKE patterns (escape "\\") for the conversations of ``identity`` with anyone who held ``nick``
    without being logged in, in this run or an earlier one."""

    def escape(text: str) -> str:
        return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")

    other = escape(casefold(nick)) + "!%"
    return (f"{escape(identity)} {other}", f"{other} {escape(identity)}")


def identity_name(identity: str) -> str:
    """The name to show for a history identity: the account, or the nick it had."""
    if identity.startswith("="):
        return identity[1:].partition("@")[0]
    return identity.partition("!")[0]


def history_key(event: Event) -> str | None:
    """Where an event is filed in history, or None if history does not keep it."""
    command = event.command
    if command not in HISTORY_COMMANDS and (
            command not in PLAYBACK_COMMANDS
            or (command == "TAGMSG" and not any(tag in event.tags for tag in KEPT_TAGMSG_TAGS))):
        return None
    if event.params[0].startswith(("@", "+")):  # STATUSMSG: not for all
        return None
    if event.channels:
        return event.channels[0]
    if event.history:
        return event.history
    return dm_key(event.source.split("!", 1)[0], event.params[0])


def redaction_of(event: Event) -> tuple[str, int, str] | None:
    """What a REDACT event removes from history: (key, seq, msgid), or None for any other event.

    The seq is 0 for a msgid that names no place in this log (one a network gave, see
    server/shared/network_history.py): the entry is then found by its msgid and the millisecond it carries.
    """
    if event.command != "REDACT" or len(event.params) < 2:
        return None
    msgid = event.params[1]
    seq = msgid_seq(msgid) or 0
    if event.channels:
        return event.channels[0], seq, msgid
    return event.history or dm_key(event.source.split("!", 1)[0], event.params[0]), seq, msgid


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
    playback: bool = False  # also the PLAYBACK_COMMANDS (draft/event-playback), not only what was said
    # Instead of ``key``: any of these SQL LIKE patterns (escape "\\"), e.g. every conversation
    # of one party with whoever, not logged in, held a nick (history_key_for).
    key_patterns: tuple[str, ...] = ()


