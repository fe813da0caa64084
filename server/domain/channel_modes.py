"""MODE on a channel: the World's channel mode changes (flags, key, limit, member prefixes, the +b/+e/+I lists).

World (world.py) composes this class like its other parts; every method
runs, like every World operation, one at a time.
"""

from __future__ import annotations

from server.log import Event
from server.protocol import casefold
from server.protocol import numerics as n

from .channel_rules import list_entry_change
from .model import Channel, ListEntry, Refusal
from .modes import LIST_MODES, MAX_MODES, ModeChange, render_mode_changes
from .outcome import Outcome, refused
from .world_state import WorldState

__all__ = ["ChannelModeWorld"]


class ChannelModeWorld(WorldState):
    def change_modes(self, conn_id: str, name: str, changes: list[ModeChange],
                     now: float = 0.0) -> tuple[Outcome, list[tuple[str, list[ListEntry]]]]:
        """Apply channel mode changes; returns the outcome and each list (+b, +e, +I) queried, by letter."""
        folded = casefold(name)
        user = self._users[conn_id]
        channel = self._channels.get(folded)
        if channel is None:
            return refused(n.ERR_NOSUCHCHANNEL, name, "No such channel"), []
        queries = [c for c in changes if c.letter in LIST_MODES and not c.arg]
        edits = [c for c in changes if not (c.letter in LIST_MODES and not c.arg)][:MAX_MODES]
        if edits and not channel.is_op(conn_id):
            return refused(n.ERR_CHANOPRIVSNEEDED, channel.name, "You're not channel operator"), []
        refusals: list[tuple[str, ...]] = []
        applied = [c for c in edits if self._apply_mode(channel, c, refusals, user.source, now)]
        seq = 0
        if applied:
            self._remember(folded, channel)
            params = (channel.name, *render_mode_changes(applied))
            seq = self._publish([Event("MODE", user.source, params, conn_id, (folded,))])
        lists = [(c.letter, list(channel.lists.get(c.letter, ()))) for c in queries]
        return Outcome(tuple(refusals), seq), lists

    def _apply_mode(self, channel: Channel, change: ModeChange, refusals: list[Refusal], setter: str,
                    now: float) -> bool:
        letter, arg = change.letter, change.arg
        if letter in "ov":
            target_id = self._nicks.get(casefold(arg))
            if target_id is None or target_id not in channel.members:
                refusals.append((n.ERR_USERNOTINCHANNEL, arg, channel.name, "They aren't on that channel"))
                return False
            modes = channel.members[target_id]
            if (letter in modes) == change.add:
                return False
            (modes.add if change.add else modes.discard)(letter)
            return True
        if letter in LIST_MODES:
            return list_entry_change(channel, letter, change.add, arg, setter, now, refusals)
        if letter == "k":
            if change.add == bool(channel.key):
                return False
            channel.key = arg if change.add else ""
            return True
        if letter == "l":
            if change.add:
                if not arg.isdigit() or int(arg) <= 0:
                    return False
                channel.limit = int(arg)
                return True
            if not channel.limit:
                return False
            channel.limit = 0
            return True
        if (letter in channel.modes) == change.add:
            return False
        (channel.modes.add if change.add else channel.modes.discard)(letter)
        return True
