"""Read-only queries: WHO, WHOIS, WHOWAS, USERHOST, LUSERS, MOTD, AWAY, VERSION, TIME, HELP."""

from __future__ import annotations

import time
from fnmatch import fnmatchcase

from server.protocol import Message, casefold, is_channel
from server.protocol import numerics as n

from ..commands import COMMANDS, command
from ..context import Context
from ..model import UserView, served_by


def send_lusers(ctx: Context) -> None:
    users, unknown, opers, channels = ctx.world.counts()
    ctx.reply(n.RPL_LUSERCLIENT, f"There are {users} users and 0 invisible on 1 servers")
    ctx.reply(n.RPL_LUSEROP, str(opers), "operator(s) online")
    ctx.reply(n.RPL_LUSERUNKNOWN, str(unknown), "unknown connection(s)")
    ctx.reply(n.RPL_LUSERCHANNELS, str(channels), "channels formed")
    ctx.reply(n.RPL_LUSERME, f"I have {users} clients and 0 servers")
    ctx.reply(n.RPL_LOCALUSERS, str(users), str(users), f"Current local users {users}")
    ctx.reply(n.RPL_GLOBALUSERS, str(users), str(users), f"Current global users {users}")


def send_motd(ctx: Context) -> None:
    if not ctx.settings.motd:
        ctx.reply(n.ERR_NOMOTD, "MOTD File is missing")
        return
    ctx.reply(n.RPL_MOTDSTART, f"- {ctx.settings.name} Message of the day - ")
    for line in ctx.settings.motd:
        ctx.reply(n.RPL_MOTD, f"- {line}")
    ctx.reply(n.RPL_ENDOFMOTD, "End of /MOTD command.")


@command("LUSERS")
def handle_lusers(ctx: Context, msg: Message) -> None:
    """LUSERS: how many users, operators and channels there are."""
    send_lusers(ctx)


@command("MOTD")
def handle_motd(ctx: Context, msg: Message) -> None:
    """MOTD: show the message of the day."""
    send_motd(ctx)


def _who_line(ctx: Context, channel: str, user: UserView, prefix: str) -> None:
    flags = ("G" if user.away else "H") + ("*" if "o" in user.modes else "") + prefix
    ctx.reply(n.RPL_WHOREPLY, channel, user.user, user.host, ctx.settings.name, user.nick, flags,
              f"0 {user.realname}")


@command("WHO")
def handle_who(ctx: Context, msg: Message) -> None:
    """WHO <#channel|mask>: list users in a channel or matching a mask."""
    mask = msg.params[0] if msg.params else "*"
    me = ctx.session.conn_id
    if is_channel(mask):
        members = ctx.world.channel_members(mask, me)
        all_prefixes = "multi-prefix" in ctx.session.caps
        # Each reply names the channel as it is spelled, not as the query spelled it.
        channel = ctx.world.channel(mask, me) if members else None
        name = channel.name if channel else mask
        for member in members or ():
            _who_line(ctx, name, member.user, member.prefix(all_prefixes))
    else:
        pattern = casefold(mask)
        for user in ctx.world.users():
            if not fnmatchcase(casefold(user.nick), pattern):
                continue
            # +i hides a user from a mask, but not from their exact nick or from someone they share
            # a channel with (https://modern.ircdocs.horse/#invisible-user-mode).
            if ("i" in user.modes and user.conn_id != me and casefold(user.nick) != pattern
                    and not ctx.world.shares_channel(me, user.conn_id)):
                continue
            _who_line(ctx, "*", user, "")
    ctx.reply(n.RPL_ENDOFWHO, mask, "End of /WHO list")


@command("WHOIS", min_params=1)
def handle_whois(ctx: Context, msg: Message) -> None:
    """WHOIS <nick>: who someone is and where they are."""
    nick = msg.params[-1].split(",")[0]
    found = ctx.world.user_by_nick(nick)
    if found is None:
        ctx.reply(n.ERR_NOSUCHNICK, nick, "No such nick/channel")
    else:
        user, channels = found
        ctx.reply(n.RPL_WHOISUSER, user.nick, user.user, user.host, "*", user.realname)
        if channels:
            ctx.reply(n.RPL_WHOISCHANNELS, user.nick, " ".join(channels))
        ctx.reply(n.RPL_WHOISSERVER, user.nick, ctx.settings.name, f"{ctx.settings.network}, {served_by(user.conn_id)}")
        if "o" in user.modes:
            ctx.reply(n.RPL_WHOISOPERATOR, user.nick, "is an IRC operator")
        if user.away:
            ctx.reply(n.RPL_AWAY, user.nick, user.away)
        if "Z" in user.modes:
            ctx.reply(n.RPL_WHOISSECURE, user.nick, "is using a secure connection")
        ctx.reply(n.RPL_WHOISIDLE, user.nick, "0", str(int(user.signon)), "seconds idle, signon time")
        nick = user.nick
    ctx.reply(n.RPL_ENDOFWHOIS, nick, "End of /WHOIS list")


@command("USERHOST", min_params=1)
def handle_userhost(ctx: Context, msg: Message) -> None:
    """USERHOST <nick> [<nick>...]: up to five users' hosts, whether they are operators and away."""
    replies = []
    for nick in msg.params[:5]:
        found = ctx.world.user_by_nick(nick)
        if found is not None:
            user = found[0]
            oper = "*" if "o" in user.modes else ""
            replies.append(f"{user.nick}{oper}={'-' if user.away else '+'}{user.user}@{user.host}")
    ctx.reply(n.RPL_USERHOST, " ".join(replies))


@command("WHOWAS")
def handle_whowas(ctx: Context, msg: Message) -> None:
    """WHOWAS <nick> [count]: who last held a nick (newest first)."""
    if not msg.params or not msg.params[0]:
        ctx.reply(n.ERR_NONICKNAMEGIVEN, "No nickname given")
        return
    nick = msg.params[0].split(",")[0]
    try:
        count = int(msg.params[1]) if len(msg.params) > 1 else 0
    except ValueError:
        count = 0  # not a number: as the RFCs say of a non-positive one, a full search
    found = ctx.world.whowas(nick, count)
    for was in found:
        ctx.reply(n.RPL_WHOWASUSER, was.nick, was.user, was.host, "*", was.realname)
        ctx.reply(n.RPL_WHOISSERVER, was.nick, ctx.settings.name, ctx.settings.network)
    if not found:
        ctx.reply(n.ERR_WASNOSUCHNICK, nick, "There was no such nickname")
    ctx.reply(n.RPL_ENDOFWHOWAS, nick, "End of WHOWAS")


@command("AWAY")
def handle_away(ctx: Context, msg: Message) -> None:
    """AWAY [:message]: mark yourself away, or back without a message."""
    text = msg.params[0][: ctx.settings.away_len] if msg.params else ""
    ctx.seq = max(ctx.seq, ctx.world.set_away(ctx.session.conn_id, text))
    if text:
        ctx.reply(n.RPL_NOWAWAY, "You have been marked as being away")
    else:
        ctx.reply(n.RPL_UNAWAY, "You are no longer marked as being away")


@command("SETNAME", min_params=1)
def handle_setname(ctx: Context, msg: Message) -> None:
    """SETNAME :<realname>: change your realname (needs the setname capability)."""
    realname = msg.params[0]
    if not ctx.has("setname"):
        ctx.fail("SETNAME", "CANNOT_CHANGE_REALNAME", "Request the setname capability first")
    elif not realname or len(realname) > 100:
        ctx.fail("SETNAME", "INVALID_REALNAME", "Realname must be 1 to 100 characters")
    else:
        ctx.seq = max(ctx.seq, ctx.world.set_realname(ctx.session.conn_id, realname))


@command("VERSION")
def handle_version(ctx: Context, msg: Message) -> None:
    """VERSION: the server's software version."""
    ctx.reply(n.RPL_VERSION, ctx.settings.version, ctx.settings.name, "chat-server in Python")


@command("TIME")
def handle_time(ctx: Context, msg: Message) -> None:
    """TIME: the server's local time."""
    stamp = time.strftime("%A %B %d %Y -- %H:%M:%S %z", time.localtime(ctx.now))
    ctx.reply(n.RPL_TIME, ctx.settings.name, str(int(ctx.now)), "0", stamp)


@command("HELP", pre_registration=True)
def handle_help(ctx: Context, msg: Message) -> None:
    """HELP [command]: list commands, or explain one."""
    wanted = msg.params[0].upper() if msg.params else ""
    specs = [COMMANDS[wanted]] if wanted in COMMANDS else sorted(COMMANDS.values(), key=lambda s: s.name)
    if wanted and wanted not in COMMANDS:
        ctx.reply("524", wanted, "No help available on this topic")
        return
    subject = wanted or "*"
    ctx.reply("704", subject, "Commands:" if not wanted else specs[0].help)
    if not wanted:
        for spec in specs:
            ctx.reply("705", subject, spec.help or spec.name)
    ctx.reply("706", subject, "End of /HELP")


@command("HELPOP", pre_registration=True)
def handle_helpop(ctx: Context, msg: Message) -> None:
    """HELPOP [command]: the same as HELP, by the name some servers and clients use."""
    handle_help(ctx, msg)
