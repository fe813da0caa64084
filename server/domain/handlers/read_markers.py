"""MARKREAD <target> [timestamp=...]: get or set how far you have read (IRCv3 draft/read-marker)."""

from __future__ import annotations

from server.log.events import parse_time
from server.protocol import Message, is_channel, is_valid_channel, is_valid_nick

from ..commands import command
from ..context import Context

CAP = "draft/read-marker"


def send_marker(ctx: Context, target: str, marker: str) -> None:
    ctx.send(Message("MARKREAD", (target, marker), ctx.settings.name))


@command("MARKREAD")
def handle_markread(ctx: Context, msg: Message) -> None:
    """MARKREAD <target> [timestamp=<time>]: ask for, or move forward, your read marker of a conversation."""
    if not msg.params or not msg.params[0]:
        ctx.fail("MARKREAD", "NEED_MORE_PARAMS", "Missing parameters")
        return
    target = msg.params[0]
    if not (is_valid_channel(target) if is_channel(target) else is_valid_nick(target)):
        ctx.fail("MARKREAD", "INVALID_TARGET", target, "Not a channel or nick")
        return
    if len(msg.params) == 1:
        send_marker(ctx, target, ctx.world.read_marker(ctx.session.conn_id, target))
        return
    kind, _, text = msg.params[1].partition("=")
    try:
        if kind != "timestamp":
            raise ValueError(msg.params[1])
        when = parse_time(text)
    except ValueError:
        ctx.fail("MARKREAD", "INVALID_PARAMS", target, "Expected timestamp=YYYY-MM-DDThh:mm:ss.sssZ")
        return
    send_marker(ctx, target, ctx.world.set_read_marker(ctx.session.conn_id, target, when, text))
