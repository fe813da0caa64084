"""World: the network's users and channels (WorldState), changed only by atomic operations.

Each operation checks the rules, changes the state and appends the resulting
events to the log. Its home runs operations one at a time
(server/shared/locked.py), so the log order and the state agree; the World
itself holds no lock. The same class serves in-process (thread and pool
modes), from a Manager process (process mode) and as a replica on Redis
(``--bus``), so every method takes and returns plain picklable values.
"""

from __future__ import annotations

from server.log import Event
from server.protocol import casefold, is_valid_channel
from server.protocol import numerics as n

from .channel_rules import invite_notices, join_refusal
from .model import Channel, ChannelView, Refusal, User, UserView, WasUser
from .multiline import MultilineWorld
from .outcome import CHANSERV, Outcome, refused
from .read_markers import ReadMarkerWorld
from .redaction import RedactionWorld
from .relay import fit_line
from .rename import RenameWorld
from .services_world import ServicesWorld
from .statusmsg import StatusMessageWorld
from .world_state import WHOWAS_KEPT, ChannelArchive, WorldState

__all__ = ["OPERATIONS", "WHOWAS_KEPT", "ChannelArchive", "Outcome", "World"]


class World(RenameWorld, ServicesWorld, RedactionWorld, ReadMarkerWorld, MultilineWorld, StatusMessageWorld):
    """The operations that change the network.

    The state and its read-only views are WorldState's; MONITOR's are MonitorWorld's, METADATA's
    MetadataWorld's, RENAME's RenameWorld's, REDACT's RedactionWorld's, MARKREAD's ReadMarkerWorld's,
    draft/multiline's MultilineWorld's, STATUSMSG's StatusMessageWorld's; where a message goes, for PRIVMSG and
    multiline alike, MessageTargetWorld's.
    """

    # -- helpers (within an operation) ----------------------------------------

    def _channel_of(self, conn_id: str, name: str, op: bool = False) -> Channel | Refusal:
        """The channel ``conn_id`` is in (and is an operator of, if ``op``), or why not."""
        channel = self._channels.get(casefold(name))
        if channel is None:
            return (n.ERR_NOSUCHCHANNEL, name, "No such channel")
        if conn_id not in channel.members:
            return (n.ERR_NOTONCHANNEL, name, "You're not on that channel")
        if op and not channel.is_op(conn_id):
            return (n.ERR_CHANOPRIVSNEEDED, channel.name, "You're not channel operator")
        return channel

    def _leave(self, user: User, key: str) -> None:
        channel = self._channels[key]
        channel.members.pop(user.conn_id, None)
        user.channels -= {key}
        if not channel.members:
            del self._channels[key]
            self._metadata_forget_channel(key)

    # -- registration and identity -------------------------------------------

    def set_nick(self, conn_id: str, nick: str, host: str, now: float) -> Outcome:
        """Claim ``nick`` for a connection; for a registered user this is a visible NICK change."""
        folded = casefold(nick)
        holder = self._nicks.get(folded)
        if holder is not None and holder != conn_id:
            return refused(n.ERR_NICKNAMEINUSE, nick, "Nickname is already in use")
        user = self._users.get(conn_id)
        if user is None:
            self._users[conn_id] = User(conn_id, nick, host, signon=now)
            self._nicks[folded] = conn_id
            return Outcome()
        if user.nick == nick:
            return Outcome()
        old_source = user.source
        del self._nicks[casefold(user.nick)]
        self._nicks[folded] = conn_id
        if user.registered:
            self._was.append(WasUser(user.nick, user.user, user.host, user.realname))
        old_nick, user.nick = user.nick, nick
        if not user.registered:
            return Outcome()
        events = [Event("NICK", old_source, (nick,), conn_id, tuple(sorted(user.channels)), account=user.account)]
        if casefold(old_nick) != folded:
            events += self._monitor_notices(user, False, old_nick) + self._monitor_notices(user, True)
        return Outcome(seq=self._publish(events))

    def register(self, conn_id: str, username: str, realname: str, now: float) -> UserView:
        user = self._users[conn_id]
        if not user.registered:
            self._registered += 1
            self._peak = max(self._peak, self._registered)
        user.user, user.realname, user.registered, user.signon = username, realname, True, now
        notices = self._monitor_notices(user, True)
        if notices:
            self._publish(notices)
        return user.view()

    def quit(self, conn_id: str, reason: str) -> int:
        """Remove a connection's user; returns the seq of its QUIT (0 if it was unseen)."""
        events = self._remove(conn_id, reason)
        return self._publish(events) if events else 0

    def _remove(self, conn_id: str, reason: str) -> list[Event]:
        """Forget a user; the QUIT (and MONITOR notices) others must see, if they ever saw the user."""
        user = self._users.pop(conn_id, None)
        if user is None:
            return []
        self._monitor_forget(conn_id)
        self._metadata_forget_user(user)
        self._nicks.pop(casefold(user.nick), None)
        self._wallopers.discard(conn_id)
        self._unindex_login(user)
        channels = tuple(sorted(user.channels))
        for key in channels:
            self._leave(user, key)
        if not user.registered:
            return []
        self._registered -= 1
        self._was.append(WasUser(user.nick, user.user, user.host, user.realname))
        return [Event("QUIT", user.source, (reason,), conn_id, channels, account=user.account),
                *self._monitor_notices(user, False)]

    def reap(self, prefix: str, reason: str) -> int:
        """Disconnect at once every connection whose id starts with ``prefix``: a dead worker's or node's.

        Each gets a KILL aimed at it, which closes it wherever it is still
        open, and a QUIT for those who saw it. Returns how many went.
        """
        events: list[Event] = []
        for conn_id in [cid for cid in self._users if cid.startswith(prefix)]:
            user = self._users[conn_id]
            events.append(Event("KILL", user.source, (user.nick, reason), conn_id, target_conn=conn_id))
            events += self._remove(conn_id, reason)
        if events:
            self._publish(events)
        return sum(1 for event in events if event.command == "KILL")

    def set_away(self, conn_id: str, text: str) -> int:
        """Mark a user away (or back, with ""); away-notify clients sharing a channel hear of it."""
        user = self._users[conn_id]
        user.away = text
        params = (text,) if text else ()
        event = Event("AWAY", user.source, params, conn_id, tuple(sorted(user.channels)))
        return self._publish([event, *self._monitor_copies(user, event)])

    def set_realname(self, conn_id: str, realname: str) -> int:
        """SETNAME: a new realname, told to setname clients sharing a channel and to the user."""
        user = self._users[conn_id]
        user.realname = realname
        event = Event("SETNAME", user.source, (realname,), conn_id, tuple(sorted(user.channels)))
        return self._publish([event, *self._monitor_copies(user, event)])

    def set_user_modes(self, conn_id: str, add: str, remove: str) -> tuple[str, str]:
        """Change a user's own modes; returns the letters really added and really removed."""
        user = self._users[conn_id]
        old = user.modes
        user.modes = (old | set(add)) - set(remove)
        if "w" in user.modes:
            self._wallopers.add(conn_id)
        else:
            self._wallopers.discard(conn_id)
        return "".join(sorted(user.modes - old)), "".join(sorted(old - user.modes))

    # -- operators -----------------------------------------------------------

    def kill(self, conn_id: str, nick: str, reason: str) -> Outcome:
        """An operator disconnects ``nick``: a KILL event aimed at the victim, then its QUIT.

        Delivery turns the KILL into closing the victim's connection (it sends
        no line of its own); the QUIT tells everyone who shares a channel. Both
        are logged in one append, so nobody sees the victim speak in between.
        """
        killer = self._users[conn_id]
        victim_id = self._nicks.get(casefold(nick))
        if victim_id is None or not self._users[victim_id].registered:
            return refused(n.ERR_NOSUCHNICK, nick, "No such nick/channel")
        victim = self._users[victim_id]
        message = f"Killed ({killer.nick} ({reason}))"
        kill = Event("KILL", killer.source, (victim.nick, message), conn_id, target_conn=victim_id)
        return Outcome(seq=self._publish([kill, *self._remove(victim_id, message)]))

    def wallops(self, conn_id: str, text: str) -> int:
        """WALLOPS to every user with mode +w: one event per recipient, aimed at it.

        Delivery knows nothing of user modes, so the recipients are chosen here,
        under the lock, from an index kept as modes change: O(recipients).
        """
        source = self._users[conn_id].source
        events = [Event("WALLOPS", source, (text,), conn_id, target_conn=cid) for cid in sorted(self._wallopers)]
        return self._publish(events) if events else 0

    # -- channels ------------------------------------------------------------

    def join(self, conn_id: str, name: str, key: str, now: float,
             founder: bool = False) -> tuple[Outcome, ChannelView | None]:
        """Enter a channel; its registered ``founder`` (ChanServ) passes its locks and is made operator."""
        if not is_valid_channel(name):
            return refused(n.ERR_NOSUCHCHANNEL, name, "No such channel"), None
        folded = casefold(name)
        user = self._users[conn_id]
        channel = self._channels.get(folded)
        if channel is None:
            channel = self._channels[folded] = self._new_channel(folded, name, now)
            # A registered channel's operator is its founder: nobody gets it by coming first.
            modes = {"o"} if founder or folded not in self._registered_channels else set()
        elif conn_id in channel.members:
            return Outcome(), None
        else:
            refusal = None if founder else join_refusal(channel, user, key)
            if refusal:
                return Outcome((refusal,)), None
            modes = {"o"} if founder else set()
        channel.members[conn_id] = modes
        channel.invited.discard(casefold(user.nick))
        user.channels |= {folded}
        events = [Event("JOIN", user.source, (channel.name,), conn_id, (folded,),
                        extra=(user.account or "*", user.realname), account=user.account)]
        if user.away:  # away-notify: "when a user joins and has an away message set"
            events.append(Event("AWAY", user.source, (user.away,), conn_id, (folded,)))
        if founder and len(channel.members) > 1:  # the others see the founder made operator
            events.append(Event("MODE", CHANSERV, (channel.name, "+o", user.nick), conn_id, (folded,)))
        seq = self._publish(events)
        return Outcome(seq=seq), self._view(channel, conn_id)

    def _new_channel(self, key: str, name: str, now: float) -> Channel:
        saved = self._saved.get(key) if key in self._registered_channels else None
        if saved is None:
            return Channel(name, created=now)
        name, topic, topic_by, topic_time, modes, chan_key, limit = saved
        return Channel(name, created=now, topic=topic, topic_by=topic_by, topic_time=topic_time,
                       modes=set(modes), key=chan_key, limit=limit)

    def part(self, conn_id: str, name: str, reason: str) -> Outcome:
        folded = casefold(name)
        user = self._users[conn_id]
        channel = self._channel_of(conn_id, name)
        if not isinstance(channel, Channel):
            return Outcome((channel,))
        params = (channel.name, reason) if reason else (channel.name,)
        seq = self._publish([Event("PART", user.source, params, conn_id, (folded,), account=user.account)])
        self._leave(user, folded)
        return Outcome(seq=seq)

    def part_all(self, conn_id: str) -> Outcome:
        """JOIN 0: leave every channel."""
        user = self._users[conn_id]
        seq = 0
        for key in sorted(user.channels):
            seq = self.part(conn_id, self._channels[key].name, "").seq
        return Outcome(seq=seq)

    def set_topic(self, conn_id: str, name: str, topic: str, now: float) -> Outcome:
        folded = casefold(name)
        user = self._users[conn_id]
        channel = self._channel_of(conn_id, name)
        if isinstance(channel, Channel) and "t" in channel.modes:
            channel = self._channel_of(conn_id, name, op=True)
        if not isinstance(channel, Channel):
            return Outcome((channel,))
        channel.topic, channel.topic_by, channel.topic_time = topic, user.source, now
        self._remember(folded, channel)
        event = Event("TOPIC", user.source, (channel.name, topic), conn_id, (folded,))
        return Outcome(seq=self._publish([event]))

    def kick(self, conn_id: str, name: str, victim: str, reason: str) -> Outcome:
        folded = casefold(name)
        user = self._users[conn_id]
        channel = self._channel_of(conn_id, name, op=True)
        if not isinstance(channel, Channel):
            return Outcome((channel,))
        victim_id = self._nicks.get(casefold(victim))
        if victim_id is None or victim_id not in channel.members:
            return refused(n.ERR_USERNOTINCHANNEL, victim, channel.name, "They aren't on that channel")
        target = self._users[victim_id]
        event = Event("KICK", user.source, (channel.name, target.nick, reason or user.nick), conn_id,
                      (folded,), target_conn=victim_id)
        seq = self._publish([event])
        self._leave(target, folded)
        return Outcome(seq=seq)

    def invite(self, conn_id: str, nick: str, name: str) -> Outcome:
        user = self._users[conn_id]
        target_id = self._nicks.get(casefold(nick))
        if target_id is None or not self._users[target_id].registered:
            return refused(n.ERR_NOSUCHNICK, nick, "No such nick/channel")
        channel = self._channel_of(conn_id, name)
        if isinstance(channel, Channel) and target_id in channel.members:
            return refused(n.ERR_USERONCHANNEL, nick, channel.name, "is already on channel")
        if isinstance(channel, Channel) and "i" in channel.modes:
            channel = self._channel_of(conn_id, name, op=True)
        if not isinstance(channel, Channel):
            return Outcome((channel,))
        target = self._users[target_id]
        channel.invited.add(casefold(target.nick))
        event = Event("INVITE", user.source, (target.nick, channel.name), conn_id, target_conn=target_id,
                      account=user.account)
        return Outcome(seq=self._publish([event, *invite_notices(channel, event)]))

    # -- messages ------------------------------------------------------------

    def message(self, conn_id: str, command: str, target: str, text: str | None,
                tags: dict[str, str] | None = None) -> tuple[Outcome, str]:
        """PRIVMSG, NOTICE or (text None) TAGMSG to one channel or nick.

        Returns the outcome and the target's away text.
        """
        user = self._users[conn_id]
        if "B" in user.modes:  # IRCv3 bot-mode: a bot's messages carry the bot tag
            tags = {**(tags or {}), "bot": ""}
        body = (fit_line(text, f":{user.source} {command} {target} :"),) if text is not None else ()
        return self._send_to_target(conn_id, command, target, body, (text,), tags or {})


# The operations that change the network: what World has beyond WorldState's read-only views and its
# parts' (marked @view). A home that is not this process (the Manager, a network) sends these.
OPERATIONS = tuple(sorted(name for name in dir(World)
                          if not name.startswith("_") and callable(getattr(World, name))
                          and not hasattr(WorldState, name)
                          and not getattr(getattr(World, name), "__world_view__", False)))
