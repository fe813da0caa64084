"""METADATA (IRCv3 draft/metadata): key-value pairs on users and channels, and who is told of changes.

The values and the subscriptions live with the World, so a change reaches
subscribers on every worker: each notice is an event aimed at one subscriber
(a 761 or 766 numeric, as draft/metadata-3 sends them). A user's metadata
goes when they quit, a channel's when it empties. Nothing here costs a user
or a channel that never uses it more than a dictionary lookup.
"""

from __future__ import annotations

from collections.abc import Iterable

from server.log import Event, MessageLog
from server.protocol import casefold, is_channel
from server.protocol import numerics as n

from .model import User
from .monitor import MonitorWorld
from .world_state import ChannelArchive, view

__all__ = ["MAX_KEYS", "MAX_SUBS", "MAX_VALUE_BYTES", "MetadataWorld"]

MAX_KEYS = 20  # keys on one user or channel
MAX_SUBS = 50  # keys one client may subscribe to
MAX_VALUE_BYTES = 300  # a key and its value must fit in one RPL_KEYVALUE line

# (key, value) pairs; a value of None is a key that is not set.
Pairs = list[tuple[str, str | None]]


class MetadataWorld(MonitorWorld):
    def __init__(self, log: MessageLog, archive: ChannelArchive | None = None, server_name: str = "chat.local",
                 registered: Iterable[str] = ()) -> None:
        super().__init__(log, archive, server_name, registered)
        self._user_meta: dict[str, dict[str, str]] = {}  # conn id -> key -> value
        self._channel_meta: dict[str, dict[str, str]] = {}  # casefolded channel -> key -> value
        self._subs: dict[str, frozenset[str]] = {}  # conn id -> subscribed keys

    # -- reading -------------------------------------------------------------

    @view
    def metadata_get(self, conn_id: str, target: str, keys: list[str]) -> tuple[str, str, Pairs]:
        """(error code or "", the target's name, each key with its value or None)."""
        code, name, store = self._readable(conn_id, target)
        return code, name, [(key, store.get(key)) for key in keys] if not code else []

    @view
    def metadata_list(self, conn_id: str, target: str) -> tuple[str, str, Pairs]:
        code, name, store = self._readable(conn_id, target)
        return code, name, sorted(store.items()) if not code else []

    @view
    def metadata_sync(self, conn_id: str, target: str) -> tuple[str, str, list[tuple[str, str, str]]]:
        """The subscribed keys of the target (and of a channel's members) as (target, key, value)."""
        code, name, _ = self._readable(conn_id, target)
        if code:
            return code, name, []
        return "", name, self._subscribed_view(conn_id, name)

    def _subscribed_view(self, conn_id: str, name: str) -> list[tuple[str, str, str]]:
        """Lock held: what ``conn_id`` subscribes to of ``name`` and, for a channel, of its members."""
        subs = self._subs.get(conn_id)
        if not subs:
            return []
        found: list[tuple[str, str, str]] = []
        channel = self._channels.get(casefold(name)) if is_channel(name) else None
        owners: list[tuple[str, dict[str, str]]] = []
        if channel is not None:
            owners.append((channel.name, self._channel_meta.get(casefold(name), {})))
            owners += [(self._users[cid].nick, self._user_meta[cid]) for cid in channel.members
                       if cid != conn_id and cid in self._user_meta]
        else:
            holder = self._nicks.get(casefold(name))
            if holder is not None and holder in self._user_meta:
                owners.append((self._users[holder].nick, self._user_meta[holder]))
        for owner, store in owners:
            found += [(owner, key, value) for key, value in sorted(store.items()) if key in subs]
        return found

    def _readable(self, conn_id: str, target: str) -> tuple[str, str, dict[str, str]]:
        """Lock held: (error code or "", name, the target's metadata) for reading by ``conn_id``."""
        if target == "*":
            return "", self._users[conn_id].nick, self._user_meta.get(conn_id, {})
        if is_channel(target):
            channel = self._channels.get(casefold(target))
            if channel is None:
                return "INVALID_TARGET", target, {}
            private = "s" in channel.modes or "i" in channel.modes
            if private and conn_id not in channel.members:
                return "KEY_NO_PERMISSION", channel.name, {}
            return "", channel.name, self._channel_meta.get(casefold(target), {})
        holder = self._nicks.get(casefold(target))
        if holder is None or not self._users[holder].registered:
            return "INVALID_TARGET", target, {}
        return "", self._users[holder].nick, self._user_meta.get(holder, {})

    # -- changing ------------------------------------------------------------

    def metadata_set(self, conn_id: str, target: str, key: str, value: str | None) -> tuple[str, str, int]:
        """Set (or with None, unset) a key: (error code or "", the target's name, seq of the notices)."""
        code, name, store_key = self._writable(conn_id, target)
        if code:
            return code, name, 0
        stores = self._channel_meta if is_channel(name) else self._user_meta
        store = stores.get(store_key, {})
        if value is not None and key not in store and len(store) >= MAX_KEYS:
            return "LIMIT_REACHED", name, 0
        if value is None:
            store.pop(key, None)
            if not store:
                stores.pop(store_key, None)
        else:
            stores.setdefault(store_key, store)[key] = value
        return "", name, self._notify(conn_id, name, key, value)

    def metadata_clear(self, conn_id: str, target: str) -> tuple[str, str, list[str], int]:
        """Unset every key: (error code or "", name, the keys cleared, seq of the notices)."""
        code, name, store_key = self._writable(conn_id, target)
        if code:
            return code, name, [], 0
        stores = self._channel_meta if is_channel(name) else self._user_meta
        cleared = sorted(stores.pop(store_key, {}))
        seq = 0
        for key in cleared:
            seq = self._notify(conn_id, name, key, None) or seq
        return "", name, cleared, seq

    def _writable(self, conn_id: str, target: str) -> tuple[str, str, str]:
        """Lock held: (error code or "", name, store key) of a target ``conn_id`` may change."""
        user = self._users[conn_id]
        if target == "*" or (not is_channel(target) and casefold(target) == casefold(user.nick)):
            return "", user.nick, conn_id
        if is_channel(target):
            channel = self._channels.get(casefold(target))
            if channel is None:
                return "INVALID_TARGET", target, ""
            return ("" if channel.is_op(conn_id) else "KEY_NO_PERMISSION"), channel.name, casefold(target)
        holder = self._nicks.get(casefold(target))
        if holder is None or not self._users[holder].registered:
            return "INVALID_TARGET", target, ""
        return "KEY_NO_PERMISSION", self._users[holder].nick, ""

    def _notify(self, conn_id: str, name: str, key: str, value: str | None) -> int:
        """Lock held: tell the subscribers to ``key`` who see ``name`` (but not the changer); the last seq."""
        if not any(key in subs for subs in self._subs.values()):
            return 0
        audience: set[str] = set()
        if is_channel(name):
            audience.update(self._channels[casefold(name)].members)
        else:
            for channel_key in self._users[conn_id].channels:
                audience.update(self._channels[channel_key].members)
        events = []
        for cid in sorted(audience - {conn_id}):
            if key in self._subs.get(cid, ()):
                nick = self._users[cid].nick
                params = (nick, name, key, "*", value) if value is not None else (nick, name, key, "key not set")
                numeric = n.RPL_KEYVALUE if value is not None else n.RPL_KEYNOTSET
                events.append(Event(numeric, self.server_name, params, conn_id, target_conn=cid))
        return self._publish(events) if events else 0

    # -- subscriptions -------------------------------------------------------

    def metadata_sub(self, conn_id: str, keys: list[str]) -> tuple[list[str], str]:
        """Subscribe to keys in order: (the keys now subscribed of those, the first refused or "")."""
        subs = set(self._subs.get(conn_id, ()))
        done: list[str] = []
        refused = ""
        for key in keys:
            if key not in subs and len(subs) >= MAX_SUBS:
                refused = key
                break
            subs.add(key)
            done.append(key)
        if subs:
            self._subs[conn_id] = frozenset(subs)
        return done, refused

    def metadata_unsub(self, conn_id: str, keys: list[str]) -> None:
        subs = self._subs.get(conn_id, frozenset()) - set(keys)
        if subs:
            self._subs[conn_id] = subs
        else:
            self._subs.pop(conn_id, None)

    @view
    def metadata_subs(self, conn_id: str) -> list[str]:
        return sorted(self._subs.get(conn_id, ()))

    # -- lifetimes (within an operation) --------------------------------------

    def _metadata_forget_user(self, user: User) -> None:
        self._user_meta.pop(user.conn_id, None)
        self._subs.pop(user.conn_id, None)

    def _metadata_forget_channel(self, key: str) -> None:
        self._channel_meta.pop(key, None)
