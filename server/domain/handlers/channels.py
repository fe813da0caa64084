"""Channel commands: JOIN, PART, TOPIC, NAMES, LIST, KICK, INVITE, MODE."""

from __future__ import annotations

from server.log.history import HistoryQuery
from server.protocol import Message, casefold, is_channel
from server.protocol import numerics as n

from ..channel_rules import LIST_REPLIES
from ..commands import command
from ..context import Context
from ..model import ChannelView, member_prefix
from ..modes import parse_mode_changes
from .chanserv import founder_joins
from .elist import parse_list_filter
from .history import send_history
from .metadata import send_join_metadata
from .read_markers import CAP as READ_MARKER_CAP
from .read_markers import send_marker

MAX_KICKS = 4  # nicks one KICK may name (ISUPPORT TARGMAX=KICK:4)
MAX_NAMES = 10  # channels one NAMES may name


def send_topic(ctx: Context, channel: ChannelView) -> None:
    if not channel.topic:
        ctx.reply(n.RPL_NOTOPIC, channel.name, "No topic is set")
        return
    ctx.reply(n.RPL_TOPIC, channel.name, channel.topic)
    ctx.reply(n.RPL_TOPICWHOTIME, channel.name, channel.topic_by.split("!")[0], str(int(channel.topic_time)))


def send_names(ctx: Context, channel: ChannelView | None, name: str, end: bool = True) -> None:
    if channel is not None and channel.visible:
        all_prefixes = "multi-prefix" in ctx.session.caps
        symbol = "@" if channel.secret else "="
        line: list[str] = []
        length = 0  # of " ".join(line), plus one
        names = list(channel.names)
        if "userhost-in-names" in ctx.session.caps:  # the full nick!user@host: one more look, for these clients only
            members = ctx.world.channel_members(channel.name, ctx.session.conn_id) or []
            names = [(m.user.source, m.modes) for m in members]
        for nick, modes in names:
            item = member_prefix(modes, all_prefixes) + nick
            line.append(item)
            length += len(item) + 1
            if length > 400:
                ctx.reply(n.RPL_NAMREPLY, symbol, channel.name, " ".join(line))
                line, length = [], 0
        if line:
            ctx.reply(n.RPL_NAMREPLY, symbol, channel.name, " ".join(line))
        name = channel.name
    if end:
        ctx.reply(n.RPL_ENDOFNAMES, name, "End of /NAMES list")


@command("JOIN", min_params=1)
def handle_join(ctx: Context, msg: Message) -> None:
    """JOIN <#channel>[,<#channel>...] [<key>[,<key>...]] | JOIN 0: enter channels."""
    if msg.params[0] == "0":
        ctx.published(ctx.world.part_all(ctx.session.conn_id))
        return
    keys = msg.params[1].split(",") if len(msg.params) > 1 else []
    for i, name in enumerate(msg.params[0].split(",")):
        if not name:
            continue
        outcome, channel = ctx.world.join(ctx.session.conn_id, name, keys[i] if i < len(keys) else "", ctx.now,
                                          founder_joins(ctx, name))
        if ctx.published(outcome) and channel is not None:
            if channel.topic:
                send_topic(ctx, channel)
            if ctx.has(READ_MARKER_CAP):  # before the end of NAMES, says draft/read-marker
                send_marker(ctx, channel.name, ctx.world.read_marker(ctx.session.conn_id, channel.name))
            send_names(ctx, channel, channel.name)
            send_join_metadata(ctx, channel.name)
            replay(ctx, channel.name, outcome.seq)


def replay(ctx: Context, name: str, join_seq: int) -> None:
    """The last messages before this join, for clients that do not fetch history themselves."""
    if ctx.history is None or ctx.settings.join_replay <= 0 or ctx.has("draft/chathistory"):
        return
    query = HistoryQuery("LATEST", casefold(name), ctx.settings.join_replay, up_to_seq=join_seq)
    entries = ctx.history.history(query)
    if entries:
        send_history(ctx, name, entries)


@command("PART", min_params=1)
def handle_part(ctx: Context, msg: Message) -> None:
    """PART <#channel>[,<#channel>...] [:reason]: leave channels."""
    reason = msg.params[1] if len(msg.params) > 1 else ""
    for name in msg.params[0].split(","):
        if name:
            ctx.published(ctx.world.part(ctx.session.conn_id, name, reason))


@command("TOPIC", min_params=1)
def handle_topic(ctx: Context, msg: Message) -> None:
    """TOPIC <#channel> [:topic]: show or set a channel's topic."""
    name = msg.params[0]
    if len(msg.params) > 1:
        topic = msg.params[1][: ctx.settings.topic_len]
        ctx.published(ctx.world.set_topic(ctx.session.conn_id, name, topic, ctx.now))
        return
    channel = ctx.world.channel(name, ctx.session.conn_id)
    if channel is None:
        ctx.reply(n.ERR_NOSUCHCHANNEL, name, "No such channel")
    elif not channel.visible:
        ctx.reply(n.ERR_NOTONCHANNEL, name, "You're not on that channel")
    else:
        send_topic(ctx, channel)


@command("NAMES")
def handle_names(ctx: Context, msg: Message) -> None:
    """NAMES [#channel]: list who is in a channel."""
    if not msg.params:
        for name in ctx.world.user_channels(ctx.session.conn_id):
            send_names(ctx, ctx.world.channel(name, ctx.session.conn_id), name)
        return
    names = [name for name in msg.params[0].split(",") if name][:MAX_NAMES]
    for name in names:  # several channels: their names, then one end naming them all (Modern: NAMES)
        send_names(ctx, ctx.world.channel(name, ctx.session.conn_id), name, end=len(names) == 1)
    if len(names) != 1:
        ctx.reply(n.RPL_ENDOFNAMES, msg.params[0], "End of /NAMES list")


@command("LIST")
def handle_list(ctx: Context, msg: Message) -> None:
    """LIST [#chan|mask|!mask|<n|>n|C<m|C>m|T<m|T>m[,...]]: list channels, their member counts and topics."""
    try:
        wanted = parse_list_filter(msg.params[0], ctx.now) if msg.params else None
    except ValueError:
        ctx.reply(n.RPL_LISTEND, "End of /LIST (a search term was not understood)")
        return
    ctx.reply(n.RPL_LISTSTART, "Channel", "Users  Name")
    for channel in sorted(ctx.world.channels(ctx.session.conn_id), key=lambda c: c.name.lower()):
        if (wanted is None or wanted(channel)) and channel.visible:
            ctx.reply(n.RPL_LIST, channel.name, str(channel.size), channel.topic)
    ctx.reply(n.RPL_LISTEND, "End of /LIST")


@command("KICK", min_params=2)
def handle_kick(ctx: Context, msg: Message) -> None:
    """KICK <#channel>[,...] <nick>[,...] [:reason]: remove people from a channel (operators only)."""
    reason = msg.params[2][: ctx.settings.kick_len] if len(msg.params) > 2 else ""
    channels, nicks = msg.params[0].split(","), msg.params[1].split(",")[:MAX_KICKS]
    # One channel and several nicks, or as many channels as nicks, in pairs (Modern: KICK).
    pairs = zip(channels if len(channels) == len(nicks) else [channels[0]] * len(nicks), nicks, strict=True)
    for name, nick in pairs:
        if name and nick:
            ctx.published(ctx.world.kick(ctx.session.conn_id, name, nick, reason))


@command("INVITE")
def handle_invite(ctx: Context, msg: Message) -> None:
    """INVITE <nick> <#channel>: invite someone into a channel | INVITE: the channels you are invited to."""
    if not msg.params:
        for name in ctx.world.invites(ctx.session.conn_id):
            ctx.reply(n.RPL_INVITELIST, name)
        ctx.reply(n.RPL_ENDOFINVITELIST, "End of /INVITE list")
        return
    if len(msg.params) < 2:
        ctx.reply(n.ERR_NEEDMOREPARAMS, "INVITE", "Not enough parameters")
        return
    nick, name = msg.params[0], msg.params[1]
    if ctx.published(ctx.world.invite(ctx.session.conn_id, nick, name)):
        ctx.reply("341", nick, name)


def _valid_key(key: str) -> bool:
    return bool(key) and not any(ch in " ,\x00\r\n\t\v\f" for ch in key)


@command("MODE", min_params=1)
def handle_mode(ctx: Context, msg: Message) -> None:
    """MODE <target> [modes [args]]: show or change channel or user modes."""
    target = msg.params[0]
    if not is_channel(target):
        _user_mode(ctx, msg)
        return
    if len(msg.params) == 1:
        modes = ctx.world.channel_modes(target, ctx.session.conn_id)
        channel = ctx.world.channel(target, ctx.session.conn_id)
        if modes is None or channel is None:
            ctx.reply(n.ERR_NOSUCHCHANNEL, target, "No such channel")
            return
        ctx.reply(n.RPL_CHANNELMODEIS, channel.name, *modes)
        ctx.reply(n.RPL_CREATIONTIME, channel.name, str(int(channel.created)))
        return
    changes, unknown = parse_mode_changes(msg.params[1], list(msg.params[2:]))
    for letter in unknown:
        ctx.reply(n.ERR_UNKNOWNMODE, letter, "is unknown mode char to me")
    bad_keys = [c for c in changes if c.letter == "k" and c.add and not _valid_key(c.arg)]
    for _ in bad_keys:  # a key must be usable in JOIN: no spaces, commas or control characters (RFC 2812)
        ctx.reply(n.ERR_INVALIDMODEPARAM, target, "k", "*", "Invalid key: no spaces, commas or control characters")
    changes = [c for c in changes if c not in bad_keys]
    if bad_keys and not changes:
        return
    missing = [c for c in changes if c.letter in "ov" and c.arg and ctx.world.user_by_nick(c.arg) is None]
    if missing and ctx.world.channel(target, ctx.session.conn_id) is not None:
        # +o/+v of a nick nobody has is 401, as for any other command naming one (Modern: MODE);
        # the rest of the changes still apply.
        for change in missing:
            ctx.reply(n.ERR_NOSUCHNICK, change.arg, "No such nick/channel")
        changes = [c for c in changes if c not in missing]
        if not changes:
            return
    outcome, lists = ctx.world.change_modes(ctx.session.conn_id, target, changes, ctx.now)
    ctx.published(outcome)
    if outcome.ok:
        for letter, entries in lists:
            entry_numeric, end_numeric, end_text = LIST_REPLIES[letter]
            for mask, setter, when in entries:
                ctx.reply(entry_numeric, target, mask, setter, str(int(when)))
            ctx.reply(end_numeric, target, end_text)


def _user_mode(ctx: Context, msg: Message) -> None:
    if casefold(msg.params[0]) != casefold(ctx.session.nick):
        if ctx.world.user_by_nick(msg.params[0]) is None:
            ctx.reply(n.ERR_NOSUCHNICK, msg.params[0], "No such nick/channel")
        else:
            ctx.reply(n.ERR_USERSDONTMATCH, "Can't change mode for other users")
        return
    if len(msg.params) == 1:
        user = ctx.world.user(ctx.session.conn_id)
        ctx.reply(n.RPL_UMODEIS, "+" + (user.modes if user else ""))
        return
    add, remove, sign = "", "", "+"
    for letter in msg.params[1]:
        if letter in "+-":
            sign = letter
        elif letter in "iwB":  # B: a bot (IRCv3 bot-mode)
            if sign == "+":
                add += letter
            else:
                remove += letter
        elif letter == "Z":  # set by the server for TLS connections, by nobody else
            continue
        elif letter != "o":  # +o only comes from OPER; -o is allowed
            ctx.reply(n.ERR_UMODEUNKNOWNFLAG, "Unknown MODE flag")
            return
        elif sign == "-":
            remove += letter
    added, removed = ctx.world.set_user_modes(ctx.session.conn_id, add, remove)
    if "o" in removed:
        ctx.session.oper = ""  # -o is how an operator stops being one
    changed = (f"+{added}" if added else "") + (f"-{removed}" if removed else "")
    if changed:
        ctx.send(Message("MODE", (ctx.session.nick, changed), ctx.session.source))
