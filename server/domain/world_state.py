"""WorldState: every user and channel of the network, and the read-only views handed out of it.

World (world.py) adds the operations that change it. Nothing here locks: the
home that holds a World runs its operations and views one at a time
(server/shared/locked.py), so a view is never of a state half changed.
"""

from __future__ import annotations

import pickle
import secrets
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from fnmatch import fnmatchcase
from typing import Any, Protocol, TypeVar

from server.log import ChannelSettings, Event, MessageLog
from server.protocol import casefold

from .model import Channel, ChannelView, Member, User, UserView, WasUser

__all__ = ["WHOWAS_KEPT", "ChannelArchive", "WorldState", "view"]

# Nicks given up (by NICK or QUIT) that WHOWAS remembers, newest first; the oldest go.
WHOWAS_KEPT = 1000


F = TypeVar("F", bound=Callable[..., Any])


def view(method: F) -> F:
    """Marks a read-only method of a World part outside WorldState: it changes nothing, so a
    replicated World answers it from its own replica (server/shared/replication.py)."""
    method.__world_view__ = True  # type: ignore[attr-defined]
    return method


class ChannelArchive(Protocol):
    """Where channel topics and modes outlive the channel (a DurableLog)."""

    def remember_channel(self, key: str, settings: ChannelSettings) -> None: ...

    def channel_settings(self) -> dict[str, ChannelSettings]: ...


class WorldState:
    # What is not the network's state: where it is kept and logged (subclasses add theirs).
    _NOT_STATE: tuple[str, ...] = ("_log", "_archive")

    def __init__(self, log: MessageLog, archive: ChannelArchive | None = None, registered: Iterable[str] = ()) -> None:
        self._log = log
        self._archive = archive
        self._saved: dict[str, ChannelSettings] = archive.channel_settings() if archive else {}
        # Channels registered with ChanServ: only they keep their topic and modes while empty and across
        # restarts; any other ceases to exist when its last member leaves.
        self._registered_channels: set[str] = {casefold(name) for name in registered}
        self._users: dict[str, User] = {}  # conn_id -> user
        self._nicks: dict[str, str] = {}  # casefolded nick -> conn_id
        self._channels: dict[str, Channel] = {}  # casefolded name -> channel
        self._wallopers: set[str] = set()  # conn ids with user mode +w: WALLOPS goes to them
        self._by_account: dict[str, set[str]] = {}  # account key -> the conn ids logged in to it
        self._was: deque[WasUser] = deque(maxlen=WHOWAS_KEPT)
        self._registered = 0  # registered users now, and the most there have been (LUSERS)
        self._peak = 0
        # Tells this run's connection ids from a previous run's, whose ids repeat.
        self._run = secrets.token_hex(4)

    def _publish(self, events: Sequence[Event]) -> int:
        """Log what an operation did; the seq of its last event, 0 if none."""
        entries = self._log.append(events)
        return entries[-1].seq if entries else 0

    def _remember(self, key: str, channel: Channel) -> None:
        """Keep a registered channel's topic and modes for when it is next created, here and in the archive
        (within an operation); an unregistered channel's go with it."""
        if key not in self._registered_channels:
            return
        settings = (channel.name, channel.topic, channel.topic_by, channel.topic_time,
                    "".join(sorted(channel.modes)), channel.key, channel.limit)
        self._saved[key] = settings
        if self._archive is not None:
            self._archive.remember_channel(key, settings)

    def _log_in(self, user: User, account: str, key: str) -> None:
        """Move ``user`` to ``account`` (or out, with ""), keeping the index of each account's connections."""
        self._unindex_login(user)
        user.account, user.account_key = account, key
        if key:
            self._by_account.setdefault(key, set()).add(user.conn_id)

    def _unindex_login(self, user: User) -> None:
        sessions = self._by_account.get(user.account_key)
        if sessions is not None:
            sessions.discard(user.conn_id)
            if not sessions:
                del self._by_account[user.account_key]

    def _identity(self, user: User) -> str:
        """Whose private history ``user``'s messages join (see server.log.history.pair_key)."""
        return user.account_key or f"{casefold(user.nick)}!{self._run}/{user.conn_id}"

    def history_identities(self, conn_id: str, nick: str) -> tuple[str, str]:
        """(the history identity of ``conn_id``, that of whoever holds ``nick`` now, or "")."""
        me = self._users.get(conn_id)
        holder = self._nicks.get(casefold(nick))
        them = self._users.get(holder) if holder is not None else None
        return (self._identity(me) if me else "",
                self._identity(them) if them is not None and them.registered else "")

    def _view(self, channel: Channel, viewer: str, with_names: bool = True) -> ChannelView:
        names = tuple(
            (self._users[cid].nick, "".join(sorted(modes)) if modes else "") for cid, modes in channel.members.items()
        ) if with_names else ()
        return ChannelView(channel.name, channel.topic, channel.topic_by, channel.topic_time,
                           channel.mode_string(show_key=False), channel.created, "s" in channel.modes,
                           len(channel.members), viewer in channel.members, names)

    # -- channels -------------------------------------------------------------

    def channel(self, name: str, viewer: str) -> ChannelView | None:
        """A channel as ``viewer`` (a conn id) may see it, with its names."""
        channel = self._channels.get(casefold(name))
        return self._view(channel, viewer) if channel else None

    def channels(self, viewer: str) -> list[ChannelView]:
        """Every channel, without names (LIST)."""
        return [self._view(c, viewer, with_names=False) for c in self._channels.values()]

    def channel_members(self, name: str, viewer: str) -> list[Member] | None:
        """Who is in a channel, in full (WHO); None if there is no such channel visible to ``viewer``."""
        channel = self._channels.get(casefold(name))
        if channel is None or ("s" in channel.modes and viewer not in channel.members):
            return None
        return [Member(self._users[cid].view(), "".join(sorted(modes))) for cid, modes in channel.members.items()]

    def channel_modes(self, name: str, conn_id: str) -> tuple[str, ...] | None:
        channel = self._channels.get(casefold(name))
        if channel is None:
            return None
        return channel.mode_string(show_key=conn_id in channel.members)

    # -- queries -------------------------------------------------------------

    def user_by_nick(self, nick: str) -> tuple[UserView, tuple[str, ...]] | None:
        """A registered user and the channels they are in, with their prefix (WHOIS)."""
        conn_id = self._nicks.get(casefold(nick))
        if conn_id is None or not self._users[conn_id].registered:
            return None
        user = self._users[conn_id]
        chans = []
        for key in sorted(user.channels):
            channel = self._channels[key]
            if "s" in channel.modes:
                continue
            member = Member(user.view(), "".join(sorted(channel.members[conn_id])))
            chans.append(member.prefix() + channel.name)
        return user.view(), tuple(chans)

    def whowas(self, mask: str, count: int) -> list[WasUser]:
        """Who held nicks matching ``mask`` (``*`` and ``?`` allowed), newest first; ``count`` <= 0: all."""
        pattern = casefold(mask).replace("[", "[[]")
        found = [was for was in reversed(self._was) if fnmatchcase(casefold(was.nick), pattern)]
        return found[:count] if count > 0 else found

    def users(self) -> list[UserView]:
        return [u.view() for u in self._users.values() if u.registered]

    def counts(self) -> tuple[int, int, int, int, int]:
        """(registered users, unregistered connections, operators, channels, most registered users at once)."""
        registered = self._registered
        opers = sum(1 for u in self._users.values() if "o" in u.modes)
        return registered, len(self._users) - registered, opers, len(self._channels), self._peak

    def shares_channel(self, conn_a: str, conn_b: str) -> bool:
        a, b = self._users.get(conn_a), self._users.get(conn_b)
        return bool(a and b and a.channels & b.channels)

    def user(self, conn_id: str) -> UserView | None:
        user = self._users.get(conn_id)
        return user.view() if user else None

    def invites(self, conn_id: str) -> list[str]:
        """The channels a user is invited to and has not joined (INVITE without parameters)."""
        nick = casefold(self._users[conn_id].nick)
        return sorted(c.name for c in self._channels.values() if nick in c.invited)

    def user_channels(self, conn_id: str) -> tuple[str, ...]:
        user = self._users.get(conn_id)
        return tuple(self._channels[k].name for k in sorted(user.channels)) if user else ()

    def connections(self) -> list[str]:
        """Every connection's id, registered or not."""
        return list(self._users)

    # -- replicas ------------------------------------------------------------

    def export_state(self) -> bytes:
        """The whole network at one instant, for a replica to start from (see import_state)."""
        return pickle.dumps({k: v for k, v in vars(self).items() if k not in self._NOT_STATE})

    def import_state(self, state: bytes) -> None:
        """Become the network ``export_state`` saw, replacing everything known so far."""
        loaded = pickle.loads(state)
        vars(self).update(loaded)
