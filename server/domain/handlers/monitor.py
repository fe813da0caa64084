"""MONITOR: be told when nicks come online and go offline (IRCv3 monitor, extended-monitor)."""

from __future__ import annotations

from collections.abc import Iterable

from server.protocol import Message, is_valid_nick
from server.protocol import numerics as n

from ..commands import command
from ..context import Context
from ..monitor import MONITOR_LIMIT

# Room for the list in one reply line: 512 less the prefix, numeric, nick and separators.
LIST_ROOM = 400


def _lists(items: Iterable[str]) -> list[str]:
    """Comma-joined lists of ``items``, each short enough for one line."""
    out: list[str] = []
    current = ""
    for item in items:
        if current and len(current) + 1 + len(item) > LIST_ROOM:
            out.append(current)
            current = ""
        current = f"{current},{item}" if current else item
    if current:
        out.append(current)
    return out


def _report(ctx: Context, online: list[str], offline: list[str]) -> None:
    for chunk in _lists(online):
        ctx.reply(n.RPL_MONONLINE, chunk)
    for chunk in _lists(offline):
        ctx.reply(n.RPL_MONOFFLINE, chunk)


@command("MONITOR", min_params=1)
def handle_monitor(ctx: Context, msg: Message) -> None:
    """MONITOR + nick[,nick...] | - nick[,...] | C | L | S: watch nicks come online and go offline."""
    sub = msg.params[0]
    me = ctx.session.conn_id
    targets = [t for t in msg.params[1].split(",") if t] if len(msg.params) > 1 else []
    if sub in ("+", "-") and not targets:
        ctx.reply(n.ERR_NEEDMOREPARAMS, "MONITOR", "Not enough parameters")
    elif sub == "+":
        valid = [t for t in targets if is_valid_nick(t)]
        for bad in (t for t in targets if not is_valid_nick(t)):  # masks too: MONITOR watches nicks only
            ctx.reply(n.ERR_ERRONEUSNICKNAME, bad, "Erroneous nickname")
        online, offline, refused = ctx.world.monitor_add(me, valid)
        _report(ctx, online, offline)
        if refused:
            ctx.reply(n.ERR_MONLISTFULL, str(MONITOR_LIMIT), ",".join(refused), "Monitor list is full")
    elif sub == "-":
        ctx.world.monitor_remove(me, targets)
    elif sub.upper() == "C":
        ctx.world.monitor_clear(me)
    elif sub.upper() == "L":
        for chunk in _lists(ctx.world.monitor_list(me)):
            ctx.reply(n.RPL_MONLIST, chunk)
        ctx.reply(n.RPL_ENDOFMONLIST, "End of MONITOR list")
    elif sub.upper() == "S":
        _report(ctx, *ctx.world.monitor_status(me))
    else:
        ctx.reply(n.ERR_UNKNOWNCOMMAND, "MONITOR", f"Unknown MONITOR subcommand {sub}")
