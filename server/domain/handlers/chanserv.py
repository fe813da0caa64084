"""ChanServ, built in: CHANSERV / CS <command>, or PRIVMSG ChanServ :<command>. It answers with NOTICEs.

A registered channel has a founder (an account), who is made operator on
every join, also after a restart, and passes the channel's locks.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from server.protocol import Message, is_channel

from ..commands import command
from ..context import Context

__all__ = ["CHANSERV_SOURCE", "founder_joins", "run_chanserv"]

log = logging.getLogger(__name__)

CHANSERV_SOURCE = "ChanServ!ChanServ@services."

HELP = (
    "ChanServ keeps channel registrations; a channel's founder is made operator on every join.",
    "REGISTER <#channel>: become its founder (you must be logged in and its operator)",
    "INFO <#channel>: who founded it, and when",
    "OP <#channel> [nick]: make yourself (or nick) an operator (founder only)",
    "DROP <#channel>: forget the registration (founder only)",
)


def _notice(ctx: Context, text: str) -> None:
    ctx.send(Message("NOTICE", (ctx.session.nick or "*", text), CHANSERV_SOURCE))


@command("CHANSERV")
def handle_chanserv(ctx: Context, msg: Message) -> None:
    """CHANSERV <command> [args]: channel registration (REGISTER, INFO, OP, DROP, HELP)."""
    run_chanserv(ctx, " ".join(msg.params))


@command("CS")
def handle_cs(ctx: Context, msg: Message) -> None:
    """CS <command> [args]: short for CHANSERV."""
    run_chanserv(ctx, " ".join(msg.params))


def run_chanserv(ctx: Context, text: str) -> None:
    words = text.split()
    if not words:
        _notice(ctx, "Say /msg ChanServ HELP for the commands")
        return
    sub, args = words[0].upper(), words[1:]
    if ctx.accounts is None:
        _notice(ctx, "This server keeps no registrations")
        return
    handler = _COMMANDS.get(sub)
    if handler is None:
        _notice(ctx, f"Unknown command {sub[:20]}; say /msg ChanServ HELP")
    elif sub != "HELP" and (not args or not is_channel(args[0])):
        _notice(ctx, f"Syntax: {sub} <#channel>{' [nick]' if sub == 'OP' else ''}")
    else:
        handler(ctx, args)


def _register(ctx: Context, args: list[str]) -> None:
    accounts = ctx.accounts
    assert accounts is not None
    session = ctx.session
    if not session.account:
        _notice(ctx, "Log in first (/msg NickServ IDENTIFY): a channel is registered to your account")
        return
    members = ctx.world.channel_members(args[0], session.conn_id)
    me = next((m for m in members or () if m.user.conn_id == session.conn_id), None)
    if me is None or "o" not in me.modes:
        _notice(ctx, f"You must be an operator of {args[0][:50]} to register it")
        return
    view = ctx.world.channel(args[0], session.conn_id)
    name = view.name if view is not None else args[0]
    if not accounts.register_channel(name, session.account, ctx.now):
        _notice(ctx, f"{name} is already registered")
        return
    ctx.world.set_channel_registered(name, True)
    log.info("%s (account %s) registered %s", session.nick, session.account, name)
    _notice(ctx, f"{name} is registered to your account {session.account}")


def _info(ctx: Context, args: list[str]) -> None:
    accounts = ctx.accounts
    assert accounts is not None
    registration = accounts.channel(args[0])
    if registration is None:
        _notice(ctx, f"{args[0][:50]} is not registered")
        return
    when = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(registration.registered))
    _notice(ctx, f"{registration.name}: founder {registration.founder}, registered {when}")


def _is_founder(ctx: Context, channel: str) -> bool:
    accounts = ctx.accounts
    assert accounts is not None
    if ctx.session.account and accounts.is_founder(channel, ctx.session.account):
        return True
    _notice(ctx, f"Only the founder of {channel[:50]} may do that (and must be logged in)")
    return False


def _op(ctx: Context, args: list[str]) -> None:
    if not _is_founder(ctx, args[0]):
        return
    nick = args[1] if len(args) > 1 else ctx.session.nick
    outcome = ctx.world.services_op(ctx.session.conn_id, args[0], nick)
    if ctx.published(outcome):
        _notice(ctx, f"{nick} is an operator of {args[0]}")


def _drop(ctx: Context, args: list[str]) -> None:
    accounts = ctx.accounts
    assert accounts is not None
    if _is_founder(ctx, args[0]) and accounts.drop_channel(args[0]):
        ctx.world.set_channel_registered(args[0], False)
        log.info("%s (account %s) dropped the registration of %s", ctx.session.nick, ctx.session.account, args[0])
        _notice(ctx, f"{args[0]} is no longer registered")


def _help(ctx: Context, args: list[str]) -> None:
    for line in HELP:
        _notice(ctx, line)


def founder_joins(ctx: Context, channel: str) -> bool:
    """Whether this connection is logged in to the account that founded ``channel`` (no lookup if logged out)."""
    account = ctx.session.account
    return bool(account) and ctx.accounts is not None and ctx.accounts.is_founder(channel, account)


_COMMANDS: dict[str, Callable[[Context, list[str]], None]] = {
    "REGISTER": _register, "INFO": _info, "OP": _op, "DROP": _drop, "HELP": _help,
}

