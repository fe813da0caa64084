"""Connection registration: CAP, PASS, NICK, USER, the welcome burst, and PING/PONG/QUIT."""

from __future__ import annotations

from server.accounts import Account
from server.protocol import CHANNELLEN, CHANTYPES, NICKLEN, Message, casefold, is_valid_nick
from server.protocol import numerics as n

from ..cap_lines import cap_lines
from ..client_batch import CAP_VALUE as MULTILINE_CAP_VALUE
from ..commands import command
from ..context import Context
from ..identity import check_then, failure_text, log_in, nick_reserved, nickserv_notice, start_nick_grace
from ..modes import CHANMODES, MAX_MODES
from ..monitor import MONITOR_LIMIT
from .account_registration import CAP as REGISTRATION_CAP
from .account_registration import cap_value as registration_cap_value
from .channels import MAX_KICKS, MAX_NAMES
from .elist import ELIST
from .metadata import CAP as METADATA_CAP
from .metadata import CAP_VALUE as METADATA_CAP_VALUE
from .queries import send_lusers, send_motd

# Capabilities this server offers, with their CAP LS 302 values. Filled in by
# the features that implement them; an unknown REQ is NAKed whole.
SUPPORTED_CAPS: dict[str, str] = {
    "account-notify": "",
    "account-tag": "",
    "away-notify": "",
    "batch": "",
    "cap-notify": "",  # the set never changes while we run, so there is never a NEW or DEL to send
    "draft/account-registration": "",  # its value depends on the settings: account_registration.cap_value
    "draft/channel-rename": "",
    "draft/chathistory": "",
    "draft/event-playback": "",  # CHATHISTORY also plays back topics and kept TAGMSGs (server/log/history.py)
    "draft/message-redaction": "",
    METADATA_CAP: METADATA_CAP_VALUE,
    "draft/multiline": MULTILINE_CAP_VALUE,
    "draft/read-marker": "",
    "echo-message": "",
    "extended-join": "",
    "extended-monitor": "",
    "invite-notify": "",
    "labeled-response": "",
    "message-tags": "",
    "multi-prefix": "",
    "sasl": "PLAIN,SCRAM-SHA-256",
    "server-time": "",
    "setname": "",
    "userhost-in-names": "",
}


def isupport(ctx: Context) -> list[str]:
    s = ctx.settings
    return [
        "CASEMAPPING=rfc1459",
        f"CHANTYPES={CHANTYPES}",
        f"CHANMODES={CHANMODES}",
        f"CHANNELLEN={CHANNELLEN}",
        f"NICKLEN={NICKLEN}",
        f"TOPICLEN={s.topic_len}",
        f"KICKLEN={s.kick_len}",
        f"AWAYLEN={s.away_len}",
        "PREFIX=(ov)@+",
        f"MODES={MAX_MODES}",
        f"NETWORK={s.network}",
        f"TARGMAX=PRIVMSG:4,NOTICE:4,JOIN:,PART:,NAMES:{MAX_NAMES},WHOIS:1,KICK:{MAX_KICKS}",
        "STATUSMSG=@+",
        f"CHATHISTORY={s.history_limit}",
        "MSGREFTYPES=msgid,timestamp",
        "UTF8ONLY",
        f"MONITOR={MONITOR_LIMIT}",
        "WHOX",
        "BOT=B",
        "EXCEPTS=e",
        "INVEX=I",
        "EXTBAN=,am",
        "ACCOUNTEXTBAN=a",
        f"ELIST={ELIST}",
    ]


def complete_registration(ctx: Context) -> None:
    session = ctx.session
    if not session.ready_to_register:
        return
    if ctx.settings.password is not None and session.password != ctx.settings.password:
        ctx.reply(n.ERR_PASSWDMISMATCH, "Password incorrect")
        ctx.close("Bad password")
        return
    if session.sasl is not None:  # SASL 3.1: completing registration aborts an exchange in progress
        session.sasl = None
        ctx.reply(n.ERR_SASLABORTED, "SASL authentication aborted")
    if ctx.settings.password is None and session.password and ctx.accounts is not None and not session.account:
        # PASS account:password (or PASS password, for the account named as the nick): log in first.
        name, sep, password = session.password.partition(":")
        name, password = (name, password) if sep else (session.nick, session.password)
        session.password = None
        check_then(ctx, name, password, _pass_checked)
        return
    if session.account:
        ctx.world.set_account(session.conn_id, session.account, session.account_key)
    ctx.world.register(session.conn_id, session.username, session.realname, ctx.now)
    session.registered = True
    s = ctx.settings
    ctx.reply(n.RPL_WELCOME, f"Welcome to the {s.network} IRC network, {session.source}")
    ctx.reply(n.RPL_YOURHOST, f"Your host is {s.name}, running version {s.version}")
    ctx.reply(n.RPL_CREATED, f"This server was created {s.created}")
    ctx.reply(n.RPL_MYINFO, s.name, s.version, "BiowZ", "CIbeiklmnostv", "Ibeklov")
    tokens = isupport(ctx)
    for i in range(0, len(tokens), 12):
        ctx.reply(n.RPL_ISUPPORT, *tokens[i : i + 12], "are supported by this server")
    send_lusers(ctx)
    send_motd(ctx)
    if session.tls:  # +Z: connected through TLS; nobody can set or clear it
        added, _ = ctx.world.set_user_modes(session.conn_id, "Z", "")
        ctx.send(Message("MODE", (session.nick, f"+{added}"), session.source))
    start_nick_grace(ctx)


def _pass_checked(ctx: Context, account: Account | None, why: str) -> None:
    if account is not None:
        log_in(ctx, account)
    else:
        nickserv_notice(ctx, f"PASS login failed: {failure_text(why)}")
    complete_registration(ctx)


@command("CAP", min_params=1, pre_registration=True)
def handle_cap(ctx: Context, msg: Message) -> None:
    """CAP LS [302] | LIST | REQ :caps | END: negotiate capabilities."""
    sub = msg.params[0].upper()
    nick = ctx.session.nick or "*"
    if sub == "LS":
        if not ctx.session.registered:
            ctx.session.cap_negotiating = True
        version = msg.params[1] if len(msg.params) > 1 else ""
        with_values = version.isdigit() and int(version) >= 302
        if with_values:
            ctx.session.cap_302 = True
        values = {**SUPPORTED_CAPS, REGISTRATION_CAP: registration_cap_value(ctx.settings)}
        listing = [f"{cap}={value}" if value and with_values else cap for cap, value in values.items()]
        for line in cap_lines(ctx.settings.name, nick, "LS", listing, with_values):
            ctx.send(line)
    elif sub == "LIST":
        for line in cap_lines(ctx.settings.name, nick, "LIST", sorted(ctx.session.caps), ctx.session.cap_302):
            ctx.send(line)
    elif sub == "REQ":
        if not ctx.session.registered:
            ctx.session.cap_negotiating = True
        wanted = msg.params[1].split() if len(msg.params) > 1 else []
        names = [w.removeprefix("-") for w in wanted]
        verdict = "ACK" if wanted and all(name in SUPPORTED_CAPS for name in names) else "NAK"
        if verdict == "ACK":
            caps = set(ctx.session.caps)
            for item in wanted:  # in order: "echo-message -echo-message" ends with it off
                if item.startswith("-"):
                    caps.discard(item[1:])
                else:
                    caps.add(item)
            ctx.session.caps = frozenset(caps)
        ctx.send(Message("CAP", (nick, verdict, " ".join(wanted)), ctx.settings.name))
    elif sub == "END":
        ctx.session.cap_negotiating = False
        complete_registration(ctx)
    else:
        ctx.reply(n.ERR_INVALIDCAPCMD, sub, "Invalid CAP command")


@command("PASS", min_params=1, pre_registration=True)
def handle_pass(ctx: Context, msg: Message) -> None:
    """PASS <password>: the server password, before NICK and USER."""
    if ctx.session.registered:
        ctx.reply(n.ERR_ALREADYREGISTERED, "You may not reregister")
        return
    ctx.session.password = msg.params[0]


@command("NICK", pre_registration=True)
def handle_nick(ctx: Context, msg: Message) -> None:
    """NICK <nickname>: choose or change your nickname."""
    if not msg.params or not msg.params[0]:
        ctx.reply(n.ERR_NONICKNAMEGIVEN, "No nickname given")
        return
    nick = msg.params[0]
    if not is_valid_nick(nick):
        ctx.reply(n.ERR_ERRONEUSNICKNAME, nick, "Erroneous nickname")
        return
    session = ctx.session
    renaming = casefold(nick) != casefold(session.nick)
    if renaming and (session.registered or casefold(nick) in ("nickserv", "chanserv")) and nick_reserved(ctx, nick):
        ctx.reply(n.ERR_NICKNAMEINUSE, nick, "Nickname is reserved by a registered account")
        return
    if ctx.published(ctx.world.set_nick(session.conn_id, nick, session.host, ctx.now)):
        session.nick = nick
        if session.registered and renaming:
            session.nick_deadline = 0.0  # the nick left was the one to log in for; this one is free or ours
        complete_registration(ctx)


@command("USER", min_params=4, pre_registration=True)
def handle_user(ctx: Context, msg: Message) -> None:
    """USER <username> 0 * :<realname>: finish registering."""
    if ctx.session.registered or ctx.session.username:
        ctx.reply(n.ERR_ALREADYREGISTERED, "You may not reregister")
        return
    if not msg.params[3]:  # an empty realname is refused like a missing one (Modern: USER)
        ctx.reply(n.ERR_NEEDMOREPARAMS, msg.command, "Not enough parameters")
        return
    username = "".join(ch for ch in msg.params[0] if ch.isalnum() or ch in "-_.")[:10] or "user"
    ctx.session.username = "~" + username
    ctx.session.realname = msg.params[3]
    complete_registration(ctx)


@command("PING", min_params=1, pre_registration=True)
def handle_ping(ctx: Context, msg: Message) -> None:
    """PING <token>: the server answers PONG with the same token."""
    ctx.send(Message("PONG", (ctx.settings.name, msg.params[0]), ctx.settings.name))


@command("PONG", pre_registration=True)
def handle_pong(ctx: Context, msg: Message) -> None:
    """PONG <token>: the answer to the server's PING (any input proves liveness)."""


@command("QUIT", pre_registration=True)
def handle_quit(ctx: Context, msg: Message) -> None:
    """QUIT [:reason]: leave the server."""
    reason = msg.params[0] if msg.params else ""
    ctx.close(f"Quit: {reason}" if reason else "Quit")
