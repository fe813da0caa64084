"""STATUSMSG: ``PRIVMSG @#chan`` (or ``+#chan``) to the channel's operators (or operators and voiced).

Delivery routes channel events to every member, knowing nothing of member
modes, so the World picks the recipients in one operation and logs one event
aimed at each. The sender's echo-message copy is one more event, aimed at the
sender, which Fanout passes only to a client with echo-message. Status
messages are not kept in history: most members may not read them.
"""

from __future__ import annotations

from server.log import Event
from server.protocol import casefold

from .channel_rules import speak_refusal
from .model import Refusal
from .world_state import WorldState

__all__ = ["STATUS_PREFIXES", "StatusMessageWorld"]

# Prefix -> the member modes that receive it (ISUPPORT STATUSMSG=@+).
STATUS_PREFIXES = {"@": frozenset("o"), "+": frozenset("ov")}


class StatusMessageWorld(WorldState):
    def _status_message(self, conn_id: str, command: str, target: str, extra: tuple[str, ...],
                        tags: dict[str, str]) -> tuple[Refusal | None, int]:
        """Lock held: send to ``@#chan``/``+#chan``; (why not, or None; the last seq)."""
        prefix = target[0]
        channel = self._channels.get(casefold(target.lstrip("@+")))
        user = self._users[conn_id]
        if channel is None:
            return None, -1  # no such channel: the caller answers as for any unknown target
        refusal = speak_refusal(channel, user, extra[0] if extra else None)
        if refusal is not None:
            return refusal, 0
        params = (prefix + channel.name, *extra)
        wanted = STATUS_PREFIXES[prefix]
        events = [Event(command, user.source, params, "", target_conn=cid, tags=tags, account=user.account)
                  for cid, modes in channel.members.items() if cid != conn_id and modes & wanted]
        events.append(Event(command, user.source, params, conn_id, target_conn=conn_id, tags=tags,
                            account=user.account))  # the echo
        return None, self._publish(events)
