"""REDACT <target> <msgid> [:reason]: take back a message (IRCv3 draft/message-redaction)."""

from __future__ import annotations

from server.log.history import HistoryQuery
from server.protocol import Message

from ..commands import command
from ..context import Context
from .history import history_key_for


def _author(ctx: Context, key: str, msgid: str) -> str | None:
    """The nick that sent ``msgid`` in the history ``key``, or None if history holds no such message."""
    if ctx.history is None:
        return None
    # AROUND with room for two: the one before and the message itself (a kept TAGMSG, a reaction, too).
    for entry in ctx.history.history(HistoryQuery("AROUND", key, 2, ("msgid", msgid), playback=True)):
        if entry.msgid == msgid:
            return entry.event.source.split("!", 1)[0]
    return None


@command("REDACT", min_params=2)
def handle_redact(ctx: Context, msg: Message) -> None:
    """REDACT <target> <msgid> [:reason]: remove a message you sent (or, as channel operator, anyone's)."""
    target, msgid = msg.params[0], msg.params[1]
    reason = msg.params[2] if len(msg.params) > 2 else ""
    key = history_key_for(ctx, target)
    if key is None:
        ctx.fail("REDACT", "INVALID_TARGET", target, "You cannot redact messages there")
        return
    author = _author(ctx, key, msgid)
    if author is None:
        ctx.fail("REDACT", "UNKNOWN_MSGID", target, msgid, "No such message")
        return
    code, seq = ctx.world.redact(ctx.session.conn_id, target, msgid, reason, author, key)
    if code == "REDACT_FORBIDDEN":
        ctx.fail("REDACT", code, target, msgid, "You may not redact that message")
    elif code:
        ctx.fail("REDACT", code, target, "You cannot redact messages there")
    ctx.seq = max(ctx.seq, seq)
