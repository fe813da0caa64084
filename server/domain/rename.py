"""RENAME (IRCv3 draft/channel-rename): a channel's operator gives it a new name, keeping everything else.

Members, modes, lists, topic and metadata move with the channel in one
World operation. The RENAME event names both casefolded names (so every worker's
delivery moves its own membership index) and carries each member's source in
``extra``, for the fallback clients without the cap get: a PART of the old name
and a JOIN of the new, as themselves. History stays filed under the old name.
"""

from __future__ import annotations

from server.log import Event
from server.protocol import casefold, is_valid_channel
from server.protocol import numerics as n

from .metadata import MetadataWorld
from .model import Refusal

__all__ = ["RenameWorld"]


class RenameWorld(MetadataWorld):
    def rename(self, conn_id: str, old: str, new: str, reason: str) -> tuple[Refusal | None, str, int]:
        """Rename ``old`` to ``new``: (a numeric refusal, or None; a FAIL code or ""; the seq logged)."""
        old_key, new_key = casefold(old), casefold(new)
        channel = self._channels.get(old_key)
        if channel is None:
            return (n.ERR_NOSUCHCHANNEL, old, "No such channel"), "", 0
        if conn_id not in channel.members:
            return (n.ERR_NOTONCHANNEL, channel.name, "You're not on that channel"), "", 0
        if not channel.is_op(conn_id):
            return (n.ERR_CHANOPRIVSNEEDED, channel.name, "You're not channel operator"), "", 0
        if not is_valid_channel(new):
            return None, "CANNOT_RENAME", 0
        if new_key != old_key and new_key in self._channels:
            return None, "CHANNEL_NAME_IN_USE", 0
        old_name = channel.name
        del self._channels[old_key]
        channel.name = new
        self._channels[new_key] = channel
        for cid in channel.members:
            member = self._users[cid]
            member.channels = (member.channels - {old_key}) | {new_key}
        if old_key in self._channel_meta:
            self._channel_meta[new_key] = self._channel_meta.pop(old_key)
        self._saved.pop(old_key, None)
        self._remember(new_key, channel)
        sources = tuple(f"{cid} {self._users[cid].source}" for cid in sorted(channel.members))
        event = Event("RENAME", self._users[conn_id].source, (old_name, new, reason), conn_id,
                      (old_key, new_key), extra=sources)
        return None, "", self._publish([event])
