"""The World's operations for accounts and the built-in ChanServ: logging in, channel registration, ChanServ OP.

World (world.py) composes this class like its other parts; every method
runs, like every World operation, one at a time.
"""

from __future__ import annotations

from server.log import Event
from server.protocol import casefold
from server.protocol import numerics as n

from .channel_modes import ChannelModeWorld
from .model import Refusal
from .modes import ModeChange
from .monitor import MonitorWorld
from .outcome import CHANSERV, Outcome, refused

__all__ = ["ServicesWorld"]


class ServicesWorld(MonitorWorld, ChannelModeWorld):
    def set_account(self, conn_id: str, account: str, key: str = "") -> int:
        """Log a connection in to ``account`` (or out, with ""), whose private history is under ``key``;
        account-notify clients sharing a channel (and extended-monitor watchers) hear of it once the user
        is registered. Returns the seq of that ACCOUNT event (0 if none)."""
        user = self._users.get(conn_id)
        if user is None or user.account == account:
            return 0
        self._log_in(user, account, key)
        if not user.registered:
            return 0
        event = Event("ACCOUNT", user.source, (account or "*",), conn_id, tuple(sorted(user.channels)))
        return self._publish([event, *self._monitor_copies(user, event)])

    def services_op(self, conn_id: str, name: str, nick: str) -> Outcome:
        """ChanServ OP: make ``nick`` an operator of ``name``, told to the channel as ChanServ's MODE."""
        folded = casefold(name)
        channel = self._channels.get(folded)
        if channel is None:
            return refused(n.ERR_NOSUCHCHANNEL, name, "No such channel")
        refusals: list[Refusal] = []
        if not self._apply_mode(channel, ModeChange(True, "o", nick), refusals, CHANSERV, 0.0):
            return Outcome(tuple(refusals))
        target = self._users[self._nicks[casefold(nick)]]
        event = Event("MODE", CHANSERV, (channel.name, "+o", target.nick), conn_id, (folded,))
        return Outcome(seq=self._publish([event]))

    def set_channel_registered(self, name: str, registered: bool) -> None:
        """ChanServ registered (or dropped) a channel: from now on its settings are kept (or not)."""
        folded = casefold(name)
        if not registered:
            self._registered_channels.discard(folded)
            return
        self._registered_channels.add(folded)
        channel = self._channels.get(folded)
        if channel is not None:
            self._remember(folded, channel)
