"""Server operators: OPER, KILL, WALLOPS, REHASH, and INFO about the server."""

from __future__ import annotations

import logging
from fnmatch import fnmatchcase
from functools import partial

from server.auth.passwords import DUMMY_HASH, verify_password
from server.protocol import Message
from server.protocol import numerics as n

from ..commands import command
from ..context import Context
from ..settings import OperBlock

__all__ = ["MAX_OPER_FAILURES", "host_allowed"]

log = logging.getLogger(__name__)

# Failed OPER attempts a connection may make; the last one closes it. Ergo closes
# at the first wrong password. Ten forgives typos, and closing (rather than
# answering 464 unchecked) is honest to a user who then types the right one,
# and sends a guesser back through the per-address connection throttle.
MAX_OPER_FAILURES = 10


def host_allowed(block: OperBlock, username: str, host: str) -> bool:
    """Whether ``username@host`` matches one of the block's masks (``*`` and ``?`` globs, any case)."""
    who = f"{username}@{host}".lower()
    return any(fnmatchcase(who, mask.lower().replace("[", "[[]")) for mask in block.hosts)


def _is_oper(ctx: Context) -> bool:
    if ctx.session.oper:
        return True
    ctx.reply(n.ERR_NOPRIVILEGES, "Permission Denied- You're not an IRC operator")
    return False


@command("OPER", min_params=2)
def handle_oper(ctx: Context, msg: Message) -> None:
    """OPER <name> <password>: become a server operator."""
    if ctx.session.oper_failures >= MAX_OPER_FAILURES:  # the connection is on its way out: hash nothing more
        _oper_failed(ctx, n.ERR_PASSWDMISMATCH, "Password incorrect", "attempt after the last allowed one")
        return
    name, password = msg.params[0], msg.params[1]
    block = next((b for b in ctx.settings.opers if b.name == name), None)
    # An unknown name is checked against a hash of the same cost, so that the
    # time of the answer does not tell which names exist. The host is checked
    # only after the password, so that 491 does not tell either.
    encoded = block.password_hash if block is not None else DUMMY_HASH
    ctx.defer(verify_password, (encoded, password), then=partial(_oper_checked, name, block))


def _oper_checked(name: str, block: OperBlock | None, ctx: Context, result: object) -> None:
    session = ctx.session
    if isinstance(result, BaseException):
        log.error("checking the OPER password of %s for %r failed: %r", session.nick, name, result)
        ctx.fail("OPER", "TEMPORARILY_UNAVAILABLE", "The password could not be checked; try again later")
    elif block is None:
        _oper_failed(ctx, n.ERR_PASSWDMISMATCH, "Password incorrect", f"no operator named {name!r}")
    elif result is not True:
        _oper_failed(ctx, n.ERR_PASSWDMISMATCH, "Password incorrect", f"wrong password for {name!r}")
    elif not host_allowed(block, session.username, session.host):
        _oper_failed(ctx, n.ERR_NOOPERHOST, "No O-lines for your host", f"host not allowed for {name!r}")
    elif ctx.world.user(session.conn_id) is not None:  # not gone while the password was checked
        session.oper = block.name
        added, _ = ctx.world.set_user_modes(session.conn_id, "o", "")
        log.info("%s (%s@%s) is now server operator %r", session.nick, session.username, session.host, name)
        ctx.reply(n.RPL_YOUREOPER, "You are now an IRC operator")
        if added:
            ctx.send(Message("MODE", (session.nick, "+" + added), session.source))


def _oper_failed(ctx: Context, numeric: str, text: str, why: str) -> None:
    session = ctx.session
    session.oper_failures += 1
    log.warning("failed OPER by %s (%s@%s): %s [%d of %d]", session.nick, session.username, session.host, why,
                session.oper_failures, MAX_OPER_FAILURES)
    ctx.reply(numeric, text)
    if session.oper_failures >= MAX_OPER_FAILURES:
        log.warning("disconnecting %s (%s@%s): too many failed OPER attempts", session.nick, session.username,
                    session.host)
        ctx.close("Too many failed OPER attempts")


@command("KILL", min_params=2)
def handle_kill(ctx: Context, msg: Message) -> None:
    """KILL <nick> :<reason>: disconnect a user (operators only)."""
    if not _is_oper(ctx):
        return
    nick, reason = msg.params[0], msg.params[1][: ctx.settings.kick_len] or "No reason given"
    if ctx.published(ctx.world.kill(ctx.session.conn_id, nick, reason)):
        log.info("operator %s (%s) killed %s: %s", ctx.session.nick, ctx.session.oper, nick, reason)


@command("WALLOPS", min_params=1)
def handle_wallops(ctx: Context, msg: Message) -> None:
    """WALLOPS :<text>: a message to every user with mode +w (operators only)."""
    if _is_oper(ctx):
        ctx.seq = max(ctx.seq, ctx.world.wallops(ctx.session.conn_id, msg.params[0]))


@command("REHASH")
def handle_rehash(ctx: Context, msg: Message) -> None:
    """REHASH: reload the configuration file (operators only)."""
    if not _is_oper(ctx):
        return
    if ctx.hooks is None:
        ctx.fail("REHASH", "CANNOT_REHASH", "This server cannot reload its configuration")
        return
    problems = ctx.hooks.rehash()
    if not problems:
        log.info("operator %s (%s) reloaded the configuration", ctx.session.nick, ctx.session.oper)
        ctx.reply(n.RPL_REHASHING, ctx.settings.config_file or "*", "Rehashing")
        return
    log.warning("REHASH by %s kept the old configuration: %s", ctx.session.nick, "; ".join(problems))
    for problem in problems:
        ctx.fail("REHASH", "INVALID_CONFIG", f"{problem} (the old configuration is kept)")


@command("INFO")
def handle_info(ctx: Context, msg: Message) -> None:
    """INFO: what software this server runs, and since when."""
    s = ctx.settings
    for line in (
        f"{s.version}: a multi-client IRC chat server written in Python",
        "It speaks the IRC client protocol (RFC 1459/2812, the Modern IRC document) and IRCv3,",
        "keeps one ordered log of every channel's messages, and history across restarts.",
        f"This is {s.name} on the {s.network} network, up since {s.created}.",
        "Type /HELP for the commands it knows.",
    ):
        ctx.reply(n.RPL_INFO, line)
    ctx.reply(n.RPL_ENDOFINFO, "End of /INFO list")
