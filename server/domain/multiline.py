"""draft/multiline in the World: a whole multiline message checked and logged as one event.

The connection collects the batch (client_batch.py); once it is closed and
well formed, ``multiline`` checks the target as PRIVMSG would (every line
must pass the channel's rules: +C refuses a CTCP on any of them) and logs one
event, so that nobody sees part of a message and history keeps it whole.
Its layout and the lines each client gets: server/log/multiline.py.
"""

from __future__ import annotations

from collections.abc import Sequence

from server.log import Event
from server.log.history import pair_key
from server.log.multiline import MULTILINE, multiline_params
from server.protocol import casefold
from server.protocol import numerics as n

from .channel_rules import speak_refusal
from .model import Channel, Refusal, User
from .outcome import Outcome, refused
from .relay import fit_line
from .statusmsg import STATUS_PREFIXES, StatusMessageWorld

__all__ = ["MultilineWorld"]


class MultilineWorld(StatusMessageWorld):
    def multiline(self, conn_id: str, command: str, target: str, texts: Sequence[str], concat: Sequence[bool],
                  tags: dict[str, str]) -> tuple[Outcome, str]:
        """A multiline PRIVMSG or NOTICE (``texts``, each line ``concat``-enated to the one before or not) to one
        channel or nick, as one event. Returns the outcome and the target's away text, as ``message`` does."""
        folded = casefold(target)
        user = self._users[conn_id]
        if "B" in user.modes:
            tags = {**tags, "bot": ""}
        fitted = [fit_line(text, f":{user.source} {command} {target} :") for text in texts]
        channel = self._channels.get(folded)
        if channel is not None:
            refusal = _refusal(channel, user, fitted)
            if refusal:
                return refused(*refusal), ""
            params = multiline_params(channel.name, command, fitted, concat)
            event = Event(MULTILINE, user.source, params, conn_id, (folded,), tags=tags, account=user.account)
            return Outcome(seq=self._publish([event])), ""
        if target[:1] in STATUS_PREFIXES:
            status_channel = self._channels.get(casefold(target.lstrip("@+")))
            refusal = _refusal(status_channel, user, fitted) if status_channel is not None else None
            if refusal:
                return refused(*refusal), ""
            body = multiline_params("", command, fitted, concat)[1:]
            status_refusal, seq = self._status_message(conn_id, MULTILINE, target, body, tags)
            if seq >= 0:
                return (refused(*status_refusal) if status_refusal else Outcome(seq=seq)), ""
        target_id = self._nicks.get(folded)
        if target_id is None or not self._users[target_id].registered:
            return refused(n.ERR_NOSUCHNICK, target, "No such nick/channel"), ""
        recipient = self._users[target_id]
        event = Event(MULTILINE, user.source, multiline_params(recipient.nick, command, fitted, concat), conn_id,
                      target_conn=target_id, tags=tags, account=user.account,
                      history=pair_key(self._identity(user), self._identity(recipient)))
        return Outcome(seq=self._publish([event])), recipient.away


def _refusal(channel: Channel, user: User, texts: Sequence[str]) -> Refusal | None:
    """Why ``user`` may not say these lines in ``channel`` (the first line that may not be said), or None."""
    for text in texts:
        refusal = speak_refusal(channel, user, text)
        if refusal:
            return refusal
    return None
