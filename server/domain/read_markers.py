"""Read markers (IRCv3 draft/read-marker): how far each user has read each conversation.

Kept by account for a user who is logged in (from any connection), else for
that connection alone (a nick passes to whoever takes it next, and markers say
whom one talks to and when one last read them), with the World (so every
worker sees the same markers), and bounded: the markers of the owners least
recently used go first. A marker only moves forward.

When one connection of an account moves a marker, the account's other
connections hear of it (the spec: the server tells all of a user's clients):
one MARKREAD logged per other connection, aimed at it (``target_conn``), which
delivery passes only to clients that negotiated the cap, on whichever worker
serves them, found through the World's index of each account's connections
(some clients mark every message they show as read).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable

from server.log import Event, MessageLog
from server.protocol import casefold

from .world_state import ChannelArchive, WorldState, view

__all__ = ["MARKED_OWNERS_KEPT", "MARKS_PER_OWNER", "ReadMarkerWorld"]

MARKED_OWNERS_KEPT = 10_000
MARKS_PER_OWNER = 500

# (when as epoch seconds, the timestamp as the client wrote it)
Mark = tuple[float, str]


class ReadMarkerWorld(WorldState):
    server_name: str  # set by MonitorWorld, which the World composes too
    def __init__(self, log: MessageLog, archive: ChannelArchive | None = None, registered: Iterable[str] = ()) -> None:
        super().__init__(log, archive, registered)
        self._marks: OrderedDict[str, OrderedDict[str, Mark]] = OrderedDict()  # owner -> target -> mark

    def _owner(self, conn_id: str) -> str:
        """Whose markers a connection reads and moves: its account's, else its own."""
        return self._users[conn_id].account_key or f"~{conn_id}"

    def _marks_of(self, conn_id: str) -> OrderedDict[str, Mark]:
        """The markers of the user's account or connection, made the most recently used."""
        owner = self._owner(conn_id)
        marks = self._marks.get(owner)
        if marks is None:
            marks = self._marks[owner] = OrderedDict()
            if len(self._marks) > MARKED_OWNERS_KEPT:
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
        """Move the marker forward to ``when`` (never back), telling the account's other connections;
        returns the marker now kept."""
        marks = self._marks_of(conn_id)
        key = casefold(target)
        mark = marks.get(key)
        if mark is None or when > mark[0]:
            mark = marks[key] = (when, text)
            marks.move_to_end(key)
            if len(marks) > MARKS_PER_OWNER:
                marks.popitem(last=False)
            copies = self._marker_copies(conn_id, target, f"timestamp={text}")
            if copies:
                self._publish(copies)
        return f"timestamp={mark[1]}"

    def _marker_copies(self, conn_id: str, target: str, marker: str) -> list[Event]:
        """A MARKREAD for each other registered connection logged in to the same account."""
        key = self._users[conn_id].account_key
        return [Event("MARKREAD", self.server_name, (target, marker), conn_id, target_conn=other)
                for other in sorted(self._by_account.get(key, ()))
                if other != conn_id and self._users[other].registered]
