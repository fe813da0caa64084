"""CHATHISTORY, and the history batches that it and replay-on-join send."""

from __future__ import annotations

from collections.abc import Sequence

from server.log import Entry
from server.log.events import format_time, parse_time
from server.log.history import HistoryQuery, identity_name, pair_key, pairs_with_nick
from server.log.multiline import MULTILINE, batch_capable, multiline_messages
from server.protocol import Message, casefold, is_channel, wrap_batch

from ..commands import command
from ..context import Context
from ..identity import account_identity

SUBCOMMANDS = ("LATEST", "BEFORE", "AFTER", "AROUND", "BETWEEN", "TARGETS")
PLAYBACK_CAP = "draft/event-playback"


def send_history(ctx: Context, target: str, entries: Sequence[Entry], batch_type: str = "chathistory") -> None:
    """Send entries as this client can take them: in a batch, with time and msgid tags if it asked."""
    batch = ctx.session.new_batch_id() if ctx.has("batch") else ""
    lines: list[Message] = []
    for entry in entries:
        if entry.event.command == MULTILINE:  # its own batch, nested in this one, or its lines
            lines += multiline_messages(entry, ctx.has("server-time"), ctx.has("message-tags"),
                                        ctx.has("account-tag"), batch_capable(ctx.session.caps), batch)
            continue
        lines.append(entry.message(ctx.has("server-time"), ctx.has("message-tags"), batch=batch,
                                   account_tag=ctx.has("account-tag")))
    ctx.out += wrap_batch(batch, batch_type, (target,), lines, ctx.settings.name) if batch else lines


def history_query(ctx: Context, target: str, sub: str, limit: int, first: tuple[str, str] | None,
                  second: tuple[str, str] | None) -> HistoryQuery | None:
    """The query for ``target``'s history as this client may read it, or None if it may read none."""
    key = history_key_for(ctx, target)
    playback = ctx.has(PLAYBACK_CAP)
    if key is not None:
        return HistoryQuery(sub, key, limit, first, second, playback=playback)
    if is_channel(target):
        return None
    me, _ = ctx.world.history_identities(ctx.session.conn_id, "")
    # Nobody holds the nick and no account has it: conversations with whoever held it, not logged in.
    return HistoryQuery(sub, "", limit, first, second, key_patterns=pairs_with_nick(me, target),
                        playback=playback) if me else None


def history_key_for(ctx: Context, target: str) -> str | None:
    """The history a client may read for ``target``, or None: channels they are in, their own conversations.

    A conversation is between two history identities (pair_key): the account of
    whoever is logged in, from any connection and after a restart; else that one
    connection. So nobody reads another's private messages by taking their nick.
    """
    if is_channel(target):
        channel = ctx.world.channel(target, ctx.session.conn_id)
        if channel is None or not channel.viewer_is_member:
            return None
        return casefold(channel.name)
    me, them = ctx.world.history_identities(ctx.session.conn_id, target)
    if not them and ctx.accounts is not None:  # not online: an account of that name, if there is one
        account = ctx.accounts.get(target)
        them = account_identity(account) if account is not None else ""
    return pair_key(me, them) if me and them else None


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
    query = history_query(ctx, target, sub, limit, first, second)
    if query is None:
        ctx.fail("CHATHISTORY", "INVALID_TARGET", sub, target, "Messages could not be retrieved")
        return
    entries = ctx.history.history(query)
    send_history(ctx, target, entries)


def _targets(ctx: Context, first: float, second: float, limit: int) -> None:
    """CHATHISTORY TARGETS: the channels and conversations with messages between two times."""
    assert ctx.history is not None
    me, _ = ctx.world.history_identities(ctx.session.conn_id, "")
    channels = {casefold(name): name for name in ctx.world.user_channels(ctx.session.conn_id)}
    keys = list(channels)
    rows = ctx.history.targets(keys, min(first, second), max(first, second), limit)
    dms = [(identity_name(them), when)
           for them, when in ctx.history.conversations(me, min(first, second), max(first, second), limit)]
    found = [(channels.get(key, key), when) for key, when in rows] + dms
    batch = ctx.session.new_batch_id() if ctx.has("batch") else ""
    tags = {"batch": batch} if batch else {}
    lines = [Message("CHATHISTORY", ("TARGETS", name, format_time(when)), ctx.settings.name, tags)
             for name, when in sorted(found, key=lambda item: item[1])[:limit]]
    ctx.out += wrap_batch(batch, "draft/chathistory-targets", (), lines, ctx.settings.name) if batch else lines
