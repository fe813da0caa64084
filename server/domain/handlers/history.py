"""CHATHISTORY, and the history batches that it and replay-on-join send."""

from __future__ import annotations

from collections.abc import Sequence

from server.log import Entry
from server.log.events import format_time, parse_time
from server.log.history import HistoryQuery, dm_key
from server.protocol import Message, casefold, is_channel

from ..commands import command
from ..context import Context

SUBCOMMANDS = ("LATEST", "BEFORE", "AFTER", "AROUND", "BETWEEN", "TARGETS")


def send_history(ctx: Context, target: str, entries: Sequence[Entry], batch_type: str = "chathistory") -> None:
    """Send entries as this client can take them: in a batch, with time and msgid tags if it asked."""
    batch = ctx.session.new_batch_id() if ctx.has("batch") else ""
    if batch:
        ctx.send(Message("BATCH", (f"+{batch}", batch_type, target), ctx.settings.name))
    for entry in entries:
        ctx.send(entry.message(ctx.has("server-time"), ctx.has("message-tags"), batch=batch,
                               account_tag=ctx.has("account-tag")))
    if batch:
        ctx.send(Message("BATCH", (f"-{batch}",), ctx.settings.name))


def history_key_for(ctx: Context, target: str) -> str | None:
    """The history a client may read for ``target``, or None: channels they are in, their own conversations."""
    if is_channel(target):
        channel = ctx.world.channel(target, ctx.session.conn_id)
        if channel is None or not channel.viewer_is_member:
            return None
        return casefold(channel.name)
    return dm_key(ctx.session.nick, target)


def parse_ref(text: str) -> tuple[str, str] | None:
    """``msgid=X`` or ``timestamp=T`` -> a bound; ``*`` -> None. Raises ValueError otherwise."""
    if text == "*":
        return None
    kind, sep, value = text.partition("=")
    if not sep or not value:
        raise ValueError(text)
    if kind == "msgid":
        return ("msgid", value)
    if kind == "timestamp":
        return ("time", repr(parse_time(value)))
    raise ValueError(text)


@command("CHATHISTORY", min_params=1)
def handle_chathistory(ctx: Context, msg: Message) -> None:
    """CHATHISTORY LATEST|BEFORE|AFTER|AROUND|BETWEEN|TARGETS ...: read past messages."""
    sub = msg.params[0].upper()
    args = list(msg.params[1:])
    if sub not in SUBCOMMANDS:
        ctx.fail("CHATHISTORY", "UNKNOWN_COMMAND", sub, "Unknown subcommand")
        return
    if len(args) < (4 if sub == "BETWEEN" else 3):
        ctx.fail("CHATHISTORY", "NEED_MORE_PARAMS", sub, "Missing parameters")
        return
    if ctx.history is None:
        ctx.fail("CHATHISTORY", "MESSAGE_ERROR", sub, "*", "History is not kept on this server")
        return
    try:
        limit = int(args[-1])
        if limit <= 0:
            raise ValueError(args[-1])
        limit = min(limit, ctx.settings.history_limit)
        if sub == "TARGETS":
            _targets(ctx, parse_time(args[0].removeprefix("timestamp=")),
                     parse_time(args[1].removeprefix("timestamp=")), limit)
            return
        target = args[0]
        first = parse_ref(args[1])
        second = parse_ref(args[2]) if sub == "BETWEEN" else None
        if (first is None and sub != "LATEST") or (sub == "BETWEEN" and second is None):
            raise ValueError("* is only for LATEST")
    except ValueError:
        ctx.fail("CHATHISTORY", "INVALID_PARAMS", sub, "Invalid parameters")
        return
    key = history_key_for(ctx, target)
    if key is None:
        ctx.fail("CHATHISTORY", "INVALID_TARGET", sub, target, "Messages could not be retrieved")
        return
    entries = ctx.history.history(HistoryQuery(sub, key, limit, first, second))
    send_history(ctx, target, entries)


def _targets(ctx: Context, first: float, second: float, limit: int) -> None:
    """CHATHISTORY TARGETS: the channels and conversations with messages between two times."""
    assert ctx.history is not None
    me = casefold(ctx.session.nick)
    channels = {casefold(name): name for name in ctx.world.user_channels(ctx.session.conn_id)}
    keys = list(channels)
    rows = ctx.history.targets(keys, min(first, second), max(first, second), limit)
    dms = ctx.history.conversations(me, min(first, second), max(first, second), limit)
    found = [(channels.get(key, key), when) for key, when in rows] + dms
    batch = ctx.session.new_batch_id() if ctx.has("batch") else ""
    if batch:
        ctx.send(Message("BATCH", (f"+{batch}", "draft/chathistory-targets"), ctx.settings.name))
    for name, when in sorted(found, key=lambda item: item[1])[:limit]:
        tags = {"batch": batch} if batch else {}
        ctx.send(Message("CHATHISTORY", ("TARGETS", name, format_time(when)), ctx.settings.name, tags))
    if batch:
        ctx.send(Message("BATCH", (f"-{batch}",), ctx.settings.name))
