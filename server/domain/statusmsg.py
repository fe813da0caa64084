"""STATUSMSG: ``PRIVMSG @#chan`` (or ``+#chan``) to the channel's operators (or operators and voiced).

Delivery routes channel events to every member, knowing nothing of member
modes, so the World picks the recipients in one operation and logs one event
aimed at each. The sender's echo-message copy is one more event, aimed at the
sender, which Fanout passes only to a client with echo-message. Status
messages are not kept in history: most members may not read them.
"""

from __future__ import annotations

from server.log import Event

from .model import Channel
from .world_state import WorldState

__all__ = ["STATUS_PREFIXES", "StatusMessageWorld"]

# Prefix -> the member modes that receive it (ISUPPORT STATUSMSG=@+).
STATUS_PREFIXES = {"@": frozenset("o"), "+": frozenset("ov")}


class StatusMessageWorld(WorldState):
    def _status_message(self, conn_id: str, command: str, target: str, channel: Channel, extra: tuple[str, ...],
                        tags: dict[str, str]) -> int:
        """Lock held: send to ``@#chan``/``+#chan`` (``channel``, whose rules the caller checked); the last seq."""
        prefix = target[0]
        user = self._users[conn_id]
        params = (prefix + channel.name, *extra)
        wanted = STATUS_PREFIXES[prefix]
        events = [Event(command, user.source, params, "", target_conn=cid, tags=tags, account=user.account)
                  for cid, modes in channel.members.items() if cid != conn_id and modes & wanted]
        events.append(Event(command, user.source, params, conn_id, target_conn=conn_id, tags=tags,
                            account=user.account))  # the echo
        return self._publish(events)
