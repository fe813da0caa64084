"""METADATA <target> GET|LIST|SET|CLEAR|SUB|UNSUB|SUBS|SYNC (IRCv3 draft/metadata-3)."""

from __future__ import annotations

import re

from server.protocol import Message, wrap_batch
from server.protocol import numerics as n

from ..commands import command
from ..context import Context
from ..metadata import MAX_KEYS, MAX_SUBS, MAX_VALUE_BYTES

CAP = "draft/metadata-3"
CAP_VALUE = f"maxsub={MAX_SUBS},maxkey={MAX_KEYS}"

_KEY = re.compile(r"[a-z0-9_.\-][a-z0-9_.:\-]*\Z")
_FAILS = {
    "INVALID_TARGET": "Invalid target",
    "KEY_NO_PERMISSION": "You do not have permission to do that",
    "LIMIT_REACHED": "Too many keys",
}


def _fail(ctx: Context, code: str, target: str, key: str = "") -> None:
    if code == "INVALID_TARGET":
        ctx.fail("METADATA", code, target, _FAILS[code])
    else:
        ctx.fail("METADATA", code, target, key or "*", _FAILS[code])


def _batch(ctx: Context, target: str, values: list[tuple[str, str, str | None]]) -> None:
    """Send (target, key, value) replies in a ``metadata`` batch if the client takes batches."""
    batch = ctx.session.new_batch_id() if ctx.has("batch") else ""
    start = len(ctx.out)
    for owner, key, value in values:
        _value(ctx, owner, key, value)
    if batch:
        ctx.out[start:] = wrap_batch(batch, "metadata", (target,), ctx.out[start:], ctx.settings.name)


def _value(ctx: Context, target: str, key: str, value: str | None) -> None:
    if value is None:
        ctx.reply(n.RPL_KEYNOTSET, target, key, "key not set")
    else:
        ctx.reply(n.RPL_KEYVALUE, target, key, "*", value)


def send_whois_metadata(ctx: Context, nick: str) -> None:
    """RPL_WHOISKEYVALUE for each key of a user, to clients that speak metadata."""
    if ctx.has(CAP):
        code, name, pairs = ctx.world.metadata_list(ctx.session.conn_id, nick)
        for key, value in pairs if not code else ():
            ctx.reply(n.RPL_WHOISKEYVALUE, name, key, "*", value or "")


def send_join_metadata(ctx: Context, channel: str) -> None:
    """A joining subscriber learns the channel's and its members' values of the keys it subscribes to."""
    if ctx.has(CAP):
        _, _, found = ctx.world.metadata_sync(ctx.session.conn_id, channel)
        for target, key, value in found:
            _value(ctx, target, key, value)


@command("METADATA", min_params=2)
def handle_metadata(ctx: Context, msg: Message) -> None:
    """METADATA <target> GET|LIST|SET|CLEAR|SUB|UNSUB|SUBS|SYNC [...]: key-value data on users and channels."""
    target, sub = msg.params[0], msg.params[1].upper()
    args = list(msg.params[2:])
    me = ctx.session.conn_id
    keys = [k.lower() for k in args]
    bad = [k for k in keys if not _KEY.match(k)]
    if sub in ("GET", "SET", "SUB", "UNSUB") and not args:
        ctx.fail("METADATA", "NEED_MORE_PARAMS", sub, "Missing parameters")
    elif sub in ("GET", "SUB", "UNSUB") and bad:
        for key in bad:
            ctx.fail("METADATA", "KEY_INVALID", key, "Invalid key")
    elif sub == "GET":
        code, name, pairs = ctx.world.metadata_get(me, target, keys)
        if code:
            _fail(ctx, code, target)
        else:
            _batch(ctx, name, [(name, key, value) for key, value in pairs])
    elif sub == "LIST":
        code, name, pairs = ctx.world.metadata_list(me, target)
        if code:
            _fail(ctx, code, target)
        else:
            _batch(ctx, name, [(name, key, value) for key, value in pairs])
    elif sub == "SET":
        _set(ctx, target, keys[0], args[1] if len(args) > 1 else None)
    elif sub == "CLEAR":
        code, name, cleared, seq = ctx.world.metadata_clear(me, target)
        ctx.seq = max(ctx.seq, seq)
        if code:
            _fail(ctx, code, target)
        else:
            _batch(ctx, name, [(name, key, None) for key in cleared])
    elif sub == "SUB":
        done, refused = ctx.world.metadata_sub(me, keys)
        if done:
            ctx.reply(n.RPL_METADATASUBOK, *done)
        if refused:
            ctx.fail("METADATA", "TOO_MANY_SUBS", refused, f"At most {MAX_SUBS} subscriptions")
    elif sub == "UNSUB":
        ctx.world.metadata_unsub(me, keys)
        ctx.reply(n.RPL_METADATAUNSUBOK, *keys)
    elif sub == "SUBS":
        subs = ctx.world.metadata_subs(me)
        if subs:
            ctx.reply(n.RPL_METADATASUBS, *subs)
    elif sub == "SYNC":
        code, name, found = ctx.world.metadata_sync(me, target)
        if code:
            _fail(ctx, code, target)
        else:
            _batch(ctx, name, list(found))
    else:
        ctx.fail("METADATA", "SUBCOMMAND_INVALID", sub, "Unknown METADATA subcommand")


def _set(ctx: Context, target: str, key: str, value: str | None) -> None:
    if not _KEY.match(key):
        ctx.fail("METADATA", "KEY_INVALID", key, "Invalid key")
        return
    if value is not None and len(key.encode()) + len(value.encode()) > MAX_VALUE_BYTES:
        ctx.fail("METADATA", "INVALID_VALUE", key, f"Key and value must be at most {MAX_VALUE_BYTES} bytes")
        return
    code, name, seq = ctx.world.metadata_set(ctx.session.conn_id, target, key, value)
    ctx.seq = max(ctx.seq, seq)
    if code:
        _fail(ctx, code, target, key)
    else:
        _value(ctx, name, key, value)
