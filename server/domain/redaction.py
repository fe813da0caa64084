"""REDACT (IRCv3 draft/message-redaction): who may take back a message, and the event that says so.

The handler finds the message in history (its author); the World checks,
in one operation, that the redacter may redact it there (a channel member
redacting their own message, or a channel operator anyone's; in a private
conversation only one's own) and logs the REDACT. The log drops the message
from history as it commits the REDACT (server/log/history.py, redaction_of).
"""

from __future__ import annotations

from server.log import Event
from server.protocol import casefold, is_channel

from .world_state import WorldState

__all__ = ["RedactionWorld"]


class RedactionWorld(WorldState):
    def redact(self, conn_id: str, target: str, msgid: str, reason: str, author: str, key: str = "") -> tuple[str, int]:
        """Redact ``msgid`` (sent by the nick ``author``) in ``target``, filed in history under ``key`` for a
        private conversation: ("", seq), or (FAIL code, 0)."""
        user = self._users[conn_id]
        own = casefold(author) == casefold(user.nick)
        extra = (reason,) if reason else ()
        if is_channel(target):
            folded = casefold(target)
            channel = self._channels.get(folded)
            if channel is None or conn_id not in channel.members:
                return "INVALID_TARGET", 0
            if not own and not channel.is_op(conn_id):
                return "REDACT_FORBIDDEN", 0
            event = Event("REDACT", user.source, (channel.name, msgid, *extra), conn_id, (folded,))
            return "", self._publish([event])
        if not own:
            return "REDACT_FORBIDDEN", 0
        peer = self._nicks.get(casefold(target))
        events = [Event("REDACT", user.source, (target, msgid, *extra), conn_id, target_conn=conn_id, history=key)]
        if peer is not None and peer != conn_id:
            events.append(Event("REDACT", user.source, (target, msgid, *extra), conn_id, target_conn=peer,
                                history=key))
        return "", self._publish(events)
