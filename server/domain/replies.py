"""Turning a handler's replies into wire lines: labeled-response wrapping, then encoding."""

from __future__ import annotations

from server.log.multiline import BATCH_TYPE
from server.protocol import Message, wrap_batch

from .context import Context

__all__ = ["encode_replies", "label_replies"]


def label_replies(replies: list[Message], label: str, batch_id: str, server: str) -> list[Message]:
    """Apply IRCv3 labeled-response: ACK for nothing, a tag on one line, a batch around several."""
    if not replies:
        return [Message("ACK", (), server, {"label": label})]
    if len(replies) == 1 or _one_multiline_batch(replies):  # multiline: the label goes on the batch's opening
        return [replies[0].with_tags({"label": label, **replies[0].tags}), *replies[1:]]
    return wrap_batch(batch_id, "labeled-response", (), replies, server, {"label": label})


def encode_replies(ctx: Context, command: Message, own: list[Message] | None = None) -> list[bytes]:
    """The bytes to send for ``command``'s replies (after ``own``: the events it caused that came back to the
    client), labelled if the client asked for it."""
    replies = own + ctx.out if own else ctx.out
    label = command.tags.get("label")
    if label and ctx.has("labeled-response"):
        if not replies and _opens_batch(command):
            return []  # an open client batch: its response, and the label, come at its close
        replies = label_replies(replies, label, ctx.session.new_batch_id(), ctx.settings.name)
    return [m.to_bytes() for m in replies]


def _opens_batch(command: Message) -> bool:
    return command.command == "BATCH" and command.params[0].startswith("+")


def _one_multiline_batch(replies: list[Message]) -> bool:
    first, last = replies[0], replies[-1]
    return (first.command == "BATCH" and first.params[1:2] == (BATCH_TYPE,) and last.command == "BATCH"
            and last.params == (f"-{first.params[0][1:]}",))
