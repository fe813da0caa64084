"""PRIVMSG and NOTICE to channels and nicks, several targets at once."""

from __future__ import annotations

from server.protocol import Message, casefold
from server.protocol import numerics as n

from ..commands import command
from ..context import Context
from .chanserv import run_chanserv
from .nickserv import run_nickserv

MAX_TARGETS = 4
SERVICES = {"nickserv": run_nickserv, "chanserv": run_chanserv}


def _relay(ctx: Context, msg: Message) -> None:
    notice = msg.command in ("NOTICE", "TAGMSG")  # neither causes automatic error replies
    tagmsg = msg.command == "TAGMSG"
    if not msg.params or not msg.params[0]:
        if not notice:
            ctx.reply(n.ERR_NORECIPIENT, f"No recipient given ({msg.command})")
        return
    if not tagmsg and (len(msg.params) < 2 or not msg.params[1]):
        if not notice:
            ctx.reply(n.ERR_NOTEXTTOSEND, "No text to send")
        return
    targets = [t for t in msg.params[0].split(",") if t]
    if len(targets) > MAX_TARGETS:
        if not notice:
            ctx.reply(n.ERR_TOOMANYTARGETS, msg.params[0], f"Too many targets (at most {MAX_TARGETS})")
        return
    client_tags = {k: v for k, v in msg.tags.items() if k.startswith("+")}
    for target in targets:
        text = None if tagmsg else msg.params[1]
        service = SERVICES.get(casefold(target))
        if service is not None:
            if msg.command == "PRIVMSG" and text is not None:
                service(ctx, text)
            continue
        outcome, away = ctx.world.message(ctx.session.conn_id, msg.command, target, text, client_tags)
        ctx.seq = max(ctx.seq, outcome.seq)
        if notice:
            continue  # NOTICE never causes an automatic reply
        ctx.refuse(*outcome.refusals)
        if outcome.ok and away:
            ctx.reply(n.RPL_AWAY, target, away)


@command("PRIVMSG")
def handle_privmsg(ctx: Context, msg: Message) -> None:
    """PRIVMSG <target>[,<target>...] :<text>: send a message to channels or nicks."""
    _relay(ctx, msg)


@command("NOTICE")
def handle_notice(ctx: Context, msg: Message) -> None:
    """NOTICE <target>[,<target>...] :<text>: like PRIVMSG, but never answered automatically."""
    _relay(ctx, msg)


@command("TAGMSG")
def handle_tagmsg(ctx: Context, msg: Message) -> None:
    """@+tag=value TAGMSG <target>: send only client tags (reactions, typing) to message-tags clients."""
    _relay(ctx, msg)
