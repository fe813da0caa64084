"""MONITOR: who watches which nicks, and the notices they get as those nicks come and go.

The index lives with the World (in process mode, in the Manager), so a
watcher hears of a user on any worker: a user's arrival, NICK or QUIT adds
one event per watcher to the same append as the change itself, aimed at the
watcher (``target_conn``), and delivery carries it like any private message.
An index nobody uses is two empty dicts and one lookup per nick change.
"""

from __future__ import annotations

from collections.abc import Iterable

from server.log import Event, MessageLog
from server.protocol import casefold
from server.protocol import numerics as n

from .model import User
from .world_state import ChannelArchive, WorldState, view

__all__ = ["MONITOR_LIMIT", "MonitorWorld"]

# Nicks one client may monitor (ISUPPORT MONITOR=).
MONITOR_LIMIT = 100

class MonitorWorld(WorldState):
    """WorldState plus the MONITOR lists and the operations on them (the World composes this)."""

    def __init__(self, log: MessageLog, archive: ChannelArchive | None = None, server_name: str = "chat.local",
                 registered: Iterable[str] = ()) -> None:
        super().__init__(log, archive, registered)
        self.server_name = server_name
        self._watchers: dict[str, dict[str, str]] = {}  # casefolded nick -> watcher conn id -> nick as given
        self._watching: dict[str, set[str]] = {}  # watcher conn id -> casefolded nicks

    # -- the watcher's commands ----------------------------------------------

    def monitor_add(self, conn_id: str, nicks: list[str]) -> tuple[list[str], list[str], list[str]]:
        """Watch ``nicks``: returns (online as nick!user@host, offline, refused as the list is full)."""
        online: list[str] = []
        offline: list[str] = []
        watching = self._watching.setdefault(conn_id, set())
        for i, nick in enumerate(nicks):
            folded = casefold(nick)
            if folded not in watching:
                if len(watching) >= MONITOR_LIMIT:
                    return online, offline, nicks[i:]
                watching.add(folded)
                self._watchers.setdefault(folded, {})[conn_id] = nick
            holder = self._online(folded)
            if holder is not None:
                online.append(holder.source)
            else:
                offline.append(nick)
        return online, offline, []

    def monitor_remove(self, conn_id: str, nicks: list[str]) -> None:
        watching = self._watching.get(conn_id)
        for folded in map(casefold, nicks):
            if watching is not None and folded in watching:
                watching.discard(folded)
                self._unwatch(conn_id, folded)
        if watching is not None and not watching:
            del self._watching[conn_id]

    def monitor_clear(self, conn_id: str) -> None:
        for folded in self._watching.pop(conn_id, ()):
            self._unwatch(conn_id, folded)

    @view
    def monitor_list(self, conn_id: str) -> list[str]:
        return sorted(self._watchers[folded][conn_id] for folded in self._watching.get(conn_id, ()))

    @view
    def monitor_status(self, conn_id: str) -> tuple[list[str], list[str]]:
        """(online as nick!user@host, offline) of everything ``conn_id`` watches."""
        online: list[str] = []
        offline: list[str] = []
        for folded in sorted(self._watching.get(conn_id, ())):
            holder = self._online(folded)
            if holder is not None:
                online.append(holder.source)
            else:
                offline.append(self._watchers[folded][conn_id])
        return online, offline

    # -- helpers (within an operation) ----------------------------------------

    def _online(self, folded: str) -> User | None:
        conn_id = self._nicks.get(folded)
        user = self._users.get(conn_id) if conn_id is not None else None
        return user if user is not None and user.registered else None

    def _unwatch(self, conn_id: str, folded: str) -> None:
        watchers = self._watchers.get(folded)
        if watchers is not None:
            watchers.pop(conn_id, None)
            if not watchers:
                del self._watchers[folded]

    def _monitor_forget(self, conn_id: str) -> None:
        """A watcher is gone: its list goes with it."""
        if conn_id in self._watching:
            self.monitor_clear(conn_id)

    def _monitor_notices(self, user: User, online: bool, nick: str = "") -> list[Event]:
        """730 (``online``) or 731 for each watcher of ``nick`` (default: the user's own)."""
        nick = nick or user.nick
        watchers = self._watchers.get(casefold(nick))
        if not watchers:
            return []
        numeric, text = (n.RPL_MONONLINE, user.source) if online else (n.RPL_MONOFFLINE, nick)
        return [Event(numeric, self.server_name, (self._users[w].nick, text), user.conn_id, target_conn=w)
                for w in sorted(watchers) if w in self._users]

    def _monitor_copies(self, user: User, event: Event) -> list[Event]:
        """An AWAY, SETNAME or ACCOUNT for the user's watchers (extended-monitor) who do not see it through a
        channel."""
        watchers = self._watchers.get(casefold(user.nick))
        if not watchers:
            return []
        return [Event(event.command, event.source, event.params, event.origin, target_conn=w)
                for w in sorted(watchers)
                if w != user.conn_id and w in self._users and not (self._users[w].channels & user.channels)]
