"""Where a message goes: one channel, a channel's operators (STATUSMSG) or one nick.

PRIVMSG, NOTICE and TAGMSG (``World.message``) and a draft/multiline message
(``MultilineWorld.multiline``) resolve their target the same way and log one
event for it (one per recipient for STATUSMSG); only their parameters, and
the lines the channel's rules check, differ.
"""

from __future__ import annotations

from collections.abc import Sequence

from server.log import Event
from server.log.history import pair_key
from server.protocol import casefold
from server.protocol import numerics as n

from .channel_rules import speak_refusal
from .model import Channel, Refusal, User
from .outcome import Outcome, refused
from .statusmsg import STATUS_PREFIXES, StatusMessageWorld

__all__ = ["MessageTargetWorld", "speech_refusal"]


class MessageTargetWorld(StatusMessageWorld):
    def _send_to_target(self, conn_id: str, command: str, target: str, body: tuple[str, ...],
                        texts: Sequence[str | None], tags: dict[str, str]) -> tuple[Outcome, str]:
        """Lock held: ``command`` to ``target`` with ``body`` (its params after the target), if the channel's
        rules let the sender say each of ``texts`` (None: a TAGMSG's none). Returns the outcome and the away
        text of a nick target."""
        folded = casefold(target)
        user = self._users[conn_id]
        channel = self._channels.get(folded)
        if channel is not None:
            refusal = speech_refusal(channel, user, texts)
            if refusal:
                return Outcome((refusal,)), ""
            event = Event(command, user.source, (channel.name, *body), conn_id, (folded,), tags=tags,
                          account=user.account)
            return Outcome(seq=self._publish([event])), ""
        if target[:1] in STATUS_PREFIXES:
            status_channel = self._channels.get(casefold(target.lstrip("@+")))
            if status_channel is not None:
                refusal = speech_refusal(status_channel, user, texts)
                if refusal:
                    return Outcome((refusal,)), ""
                return Outcome(seq=self._status_message(conn_id, command, target, status_channel, body, tags)), ""
        target_id = self._nicks.get(folded)
        if target_id is None or not self._users[target_id].registered:
            return refused(n.ERR_NOSUCHNICK, target, "No such nick/channel"), ""
        recipient = self._users[target_id]
        event = Event(command, user.source, (recipient.nick, *body), conn_id, target_conn=target_id, tags=tags,
                      account=user.account, history=pair_key(self._identity(user), self._identity(recipient)))
        return Outcome(seq=self._publish([event])), recipient.away


def speech_refusal(channel: Channel, user: User, texts: Sequence[str | None]) -> Refusal | None:
    """Why ``user`` may not say these lines in ``channel`` (the first line that may not be said), or None."""
    for text in texts:
        refusal = speak_refusal(channel, user, text)
        if refusal:
            return refusal
    return None
