"""Read markers (IRCv3 draft/read-marker): how far each user has read each conversation.

Kept by account for a user who is logged in (from any connection), else by
nick, with the World (so every worker sees the same markers), and bounded: the
markers of the owners least recently used go first. A marker only moves forward.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable

from server.log import MessageLog
from server.protocol import casefold

from .world_state import ChannelArchive, WorldState, view

__all__ = ["MARKED_NICKS_KEPT", "MARKS_PER_NICK", "ReadMarkerWorld"]

MARKED_NICKS_KEPT = 10_000
MARKS_PER_NICK = 500

# (when as epoch seconds, the timestamp as the client wrote it)
Mark = tuple[float, str]


class ReadMarkerWorld(WorldState):
    def __init__(self, log: MessageLog, archive: ChannelArchive | None = None, registered: Iterable[str] = ()) -> None:
        super().__init__(log, archive, registered)
        self._marks: OrderedDict[str, OrderedDict[str, Mark]] = OrderedDict()  # nick -> target -> mark

    def _owner(self, conn_id: str) -> str:
        """Whose markers a connection reads and moves (within an operation): its account's, else its nick's."""
        user = self._users[conn_id]
        return user.account_key or casefold(user.nick)

    def _marks_of(self, conn_id: str) -> OrderedDict[str, Mark]:
        """The markers of the user's account or nick, made the most recently used (within an operation)."""
        owner = self._owner(conn_id)
        marks = self._marks.get(owner)
        if marks is None:
            marks = self._marks[owner] = OrderedDict()
            if len(self._marks) > MARKED_NICKS_KEPT:
                self._marks.popitem(last=False)
        else:
            self._marks.move_to_end(owner)
        return marks

    @view
    def read_marker(self, conn_id: str, target: str) -> str:
        """The user's marker for ``target``: ``timestamp=...``, or ``*`` if there is none."""
        marks = self._marks.get(self._owner(conn_id))
        mark = marks.get(casefold(target)) if marks is not None else None
        return f"timestamp={mark[1]}" if mark else "*"

    def set_read_marker(self, conn_id: str, target: str, when: float, text: str) -> str:
        """Move the marker forward to ``when`` (never back); returns the marker now kept."""
        marks = self._marks_of(conn_id)
        key = casefold(target)
        mark = marks.get(key)
        if mark is None or when > mark[0]:
            mark = marks[key] = (when, text)
            marks.move_to_end(key)
            if len(marks) > MARKS_PER_NICK:
                marks.popitem(last=False)
        return f"timestamp={mark[1]}"
