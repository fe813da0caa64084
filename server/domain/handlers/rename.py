"""RENAME <#old> <#new> [:reason]: give a channel a new name (IRCv3 draft/channel-rename)."""

from __future__ import annotations

from server.protocol import Message

from ..commands import command
from ..context import Context

CAP = "draft/channel-rename"
_TEXT = {"CANNOT_RENAME": "The channel cannot be renamed to that", "CHANNEL_NAME_IN_USE": "The channel name is taken"}


@command("RENAME", min_params=2)
def handle_rename(ctx: Context, msg: Message) -> None:
    """RENAME <#old> <#new> [:reason]: rename a channel you operate; it keeps its members, modes and topic."""
    old, new = msg.params[0], msg.params[1]
    reason = msg.params[2] if len(msg.params) > 2 else ""
    refusal, code, seq = ctx.world.rename(ctx.session.conn_id, old, new, reason)
    ctx.seq = max(ctx.seq, seq)
    if refusal is not None:
        ctx.refuse(refusal)
    elif code:
        ctx.fail("RENAME", code, old, new, _TEXT[code])
