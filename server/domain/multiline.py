"""draft/multiline in the World: a whole multiline message checked and logged as one event.

The connection collects the batch (client_batch.py); once it is closed and
well formed, ``multiline`` checks the target as PRIVMSG would (every line
must pass the channel's rules: +C refuses a CTCP on any of them) and logs one
event, so that nobody sees part of a message and history keeps it whole.
Its layout and the lines each client gets: server/log/multiline.py.
"""

from __future__ import annotations

from collections.abc import Sequence

from server.log.multiline import MULTILINE, multiline_params

from .message_targets import MessageTargetWorld
from .outcome import Outcome
from .relay import fit_line

__all__ = ["MultilineWorld"]


class MultilineWorld(MessageTargetWorld):
    def multiline(self, conn_id: str, command: str, target: str, texts: Sequence[str], concat: Sequence[bool],
                  tags: dict[str, str]) -> tuple[Outcome, str]:
        """A multiline PRIVMSG or NOTICE (``texts``, each line ``concat``-enated to the one before or not) to one
        channel or nick, as one event. Returns the outcome and the target's away text, as ``message`` does."""
        user = self._users[conn_id]
        if "B" in user.modes:
            tags = {**tags, "bot": ""}
        fitted = [fit_line(text, f":{user.source} {command} {target} :") for text in texts]
        body = multiline_params("", command, fitted, concat)[1:]
        return self._send_to_target(conn_id, MULTILINE, target, body, fitted, tags)
