"""BATCH from clients: opening and closing a draft/multiline batch, and sending it as one message."""

from __future__ import annotations

from server.log.multiline import BATCH_TYPE, batch_capable
from server.protocol import Message, casefold
from server.protocol import numerics as n

from ..client_batch import OpenBatch, batch_of
from ..commands import command
from ..context import Context
from .messaging import SERVICES


@command("BATCH", min_params=1)
def handle_batch(ctx: Context, msg: Message) -> None:
    """BATCH +<ref> draft/multiline <target> ... BATCH -<ref>: send several lines as one message."""
    ref = msg.params[0]
    if ref.startswith("+") and len(ref) > 1:
        _open(ctx, ref[1:], msg)
    elif ref.startswith("-") and len(ref) > 1:
        _close(ctx, ref[1:])
    else:
        ctx.fail("BATCH", "MULTILINE_INVALID", "A batch reference starts with + or -")


def _open(ctx: Context, ref: str, msg: Message) -> None:
    kind = msg.params[1] if len(msg.params) > 1 else ""
    if kind != BATCH_TYPE or not batch_capable(ctx.session.caps):
        ctx.fail("BATCH", "UNKNOWN_TYPE", kind or "*",
                 f"The only batch a client may send is {BATCH_TYPE}, with that capability and batch")
        return
    target = msg.params[2] if len(msg.params) > 2 else ""
    open_batch = batch_of(ctx.session)
    if open_batch is not None and not open_batch.failed:
        open_batch.abandon(ctx, "MULTILINE_INVALID", f"Batch {open_batch.ref} is still open")
        return
    if not target or "," in target:
        ctx.fail("BATCH", "MULTILINE_INVALID_TARGET", target or "*", target or "*", "One target per batch")
        return
    if casefold(target) in SERVICES:
        ctx.fail("BATCH", "MULTILINE_INVALID_TARGET", target, target, "Services take one line at a time")
        return
    client_tags = {k: v for k, v in msg.tags.items() if k.startswith("+")}
    ctx.session.multiline = OpenBatch(ref, target, msg.tags.get("label", ""), client_tags)


def _close(ctx: Context, ref: str) -> None:
    batch = batch_of(ctx.session)
    if batch is None or batch.ref != ref:
        ctx.fail("BATCH", "MULTILINE_INVALID", f"No batch {ref} is open")
        return
    ctx.session.multiline = None
    if batch.failed:
        return  # refused already, when its line broke the rules
    if not any(batch.texts):
        ctx.fail("BATCH", "MULTILINE_INVALID", "A multiline message needs a line that is not blank")
        return
    outcome, away = ctx.world.multiline(ctx.session.conn_id, batch.command, batch.target, tuple(batch.texts),
                                        tuple(batch.concat), batch.tags)
    ctx.seq = max(ctx.seq, outcome.seq)
    if batch.command == "NOTICE":
        return  # NOTICE never causes an automatic reply
    ctx.refuse(*outcome.refusals)
    if outcome.ok and away:
        ctx.reply(n.RPL_AWAY, batch.target, away)
