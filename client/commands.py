"""The slash-command table: turns one input line into actions, without doing any of them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from server.protocol import Message, ProtocolError, is_channel, parse_line

from .actions import (
    Action,
    Clear,
    Close,
    Context,
    Help,
    LastlogSearch,
    LocalError,
    LoginAccount,
    Open,
    Quit,
    Raw,
    RegisterAccount,
    Say,
    VerifyAccount,
)

# The actions it returns are client/actions.py's.
__all__ = ["COMMANDS", "CommandSpec", "is_secret", "parse_input", "split_text", "text_limit"]

# Bytes of text per PRIVMSG when nothing is known: 512 minus CRLF, the command, a long target and
# our own source prefix.
TEXT_BYTES = 400
LINE_BYTES = 510  # 512 minus CRLF
HOST_BYTES = 63  # the longest hostname the server may put in our prefix when it relays the line


Handler = Callable[[str, Context], list[Action]]


@dataclass(frozen=True, slots=True)
class CommandSpec:
    name: str
    usage: str
    help: str
    handler: Handler
    secret: bool = False  # the line holds a password: kept out of the input history


def text_limit(nick: str, username: str, target: str, *, action: bool = False) -> int:
    """Bytes of text that fit in one PRIVMSG as the server relays it, with ":nick!~user@host " in front."""
    overhead = len(f":{nick}!~{username}@ PRIVMSG {target} :".encode()) + HOST_BYTES
    return max(64, LINE_BYTES - overhead - (len("\x01ACTION \x01") if action else 0))


def split_text(text: str, limit: int = TEXT_BYTES) -> list[str]:
    """Split text into pieces of at most limit UTF-8 bytes, at spaces where possible."""
    pieces: list[str] = []
    while len(text.encode("utf-8")) > limit:
        cut = 0
        size = 0
        for i, ch in enumerate(text):
            size += len(ch.encode("utf-8"))
            if size > limit:
                break
            cut = i + 1
        space = text.rfind(" ", 0, cut)
        if space > cut // 2:
            cut = space
        pieces.append(text[:cut])
        text = text[cut:].lstrip(" ") if space > 0 and cut == space else text[cut:]
    if text or not pieces:
        pieces.append(text)
    return pieces


def _raw(command: str, *params: str) -> list[Action]:
    try:
        return [Raw(Message(command, tuple(params)))]
    except ProtocolError as exc:
        return [LocalError(f"/{command.lower()}: {exc}")]


def _need_window(ctx: Context, what: str) -> str | LocalError:
    if ctx.window is None:
        return LocalError(f"{what}: not in a channel or query window")
    return ctx.window


def _join(args: str, ctx: Context) -> list[Action]:
    words = args.split()
    if not words:
        return [LocalError("usage: /join #channel[,#other] [key]")]
    channels = ",".join(c if is_channel(c) else "#" + c for c in words[0].split(",") if c)
    return _raw("JOIN", channels, *words[1:2])


def _part(args: str, ctx: Context) -> list[Action]:
    words = args.split(" ", 1)
    if words[0] and is_channel(words[0]):
        return _raw("PART", words[0], *(words[1:] if len(words) > 1 and words[1] else []))
    target = _need_window(ctx, "/part")
    if isinstance(target, LocalError):
        return [target]
    if not ctx.is_channel_window:
        return [Close(target)]
    return _raw("PART", target, *([args] if args else []))


def _msg(args: str, ctx: Context) -> list[Action]:
    target, _, text = args.partition(" ")
    if not target or not text:
        return [LocalError("usage: /msg <nick|#channel> <text>")]
    return [Say(target, text)]


def _notice(args: str, ctx: Context) -> list[Action]:
    target, _, text = args.partition(" ")
    if not target or not text:
        return [LocalError("usage: /notice <nick|#channel> <text>")]
    return [Say(target, text, notice=True)]


def _query(args: str, ctx: Context) -> list[Action]:
    nick, _, text = args.partition(" ")
    if not nick or is_channel(nick):
        return [LocalError("usage: /query <nick> [text]")]
    actions: list[Action] = [Open(nick)]
    if text:
        actions.append(Say(nick, text))
    return actions


def _me(args: str, ctx: Context) -> list[Action]:
    target = _need_window(ctx, "/me")
    if isinstance(target, LocalError):
        return [target]
    if not args:
        return [LocalError("usage: /me <action>")]
    return [Say(target, args, action=True)]


def _nick(args: str, ctx: Context) -> list[Action]:
    if not args.strip():
        return [LocalError("usage: /nick <newnick>")]
    return _raw("NICK", args.split()[0])


def _topic(args: str, ctx: Context) -> list[Action]:
    words = args.split(" ", 1)
    if words[0] and is_channel(words[0]):
        return _raw("TOPIC", words[0], *words[1:])
    target = _need_window(ctx, "/topic")
    if isinstance(target, LocalError):
        return [target]
    return _raw("TOPIC", target, *([args] if args else []))


def _names(args: str, ctx: Context) -> list[Action]:
    channel = args.split()[0] if args.split() else ctx.window if ctx.is_channel_window else None
    if channel is None:
        return [LocalError("usage: /names [#channel]")]
    return _raw("NAMES", channel)


def _list(args: str, ctx: Context) -> list[Action]:
    return _raw("LIST", *args.split()[:1])


def _whois(args: str, ctx: Context) -> list[Action]:
    if not args.strip():
        return [LocalError("usage: /whois <nick>")]
    return _raw("WHOIS", args.split()[0])


def _channel_and_rest(args: str, ctx: Context, what: str) -> tuple[str, list[str]] | LocalError:
    """An explicit #channel first, or the channel window the command was typed in."""
    words = args.split()
    if words and is_channel(words[0]):
        return words[0], words[1:]
    if ctx.window is None or not ctx.is_channel_window:
        return LocalError(f"{what}: give a #channel, or type it in a channel window")
    return ctx.window, words


def _kick(args: str, ctx: Context) -> list[Action]:
    found = _channel_and_rest(args, ctx, "/kick")
    if isinstance(found, LocalError):
        return [found]
    channel, words = found
    if not words:
        return [LocalError("usage: /kick [#channel] <nick> [reason]")]
    rest = args.split(None, 1)[1] if args.split()[0] == channel and is_channel(channel) else args
    nick, _, reason = rest.strip().partition(" ")
    return _raw("KICK", channel, nick, *([reason.strip()] if reason.strip() else []))


def _ban_mask(who: str) -> str:
    """A nick becomes nick!*@*; anything with ! or @ is already a mask."""
    return who if "!" in who or "@" in who else f"{who}!*@*"


def _ban(args: str, ctx: Context) -> list[Action]:
    found = _channel_and_rest(args, ctx, "/ban")
    if isinstance(found, LocalError):
        return [found]
    channel, words = found
    if not words:
        return _raw("MODE", channel, "+b")  # with no mask the server lists the bans
    return _raw("MODE", channel, "+" + "b" * len(words), *[_ban_mask(w) for w in words])


def _mode(args: str, ctx: Context) -> list[Action]:
    words = args.split()
    if words and not words[0].startswith(("+", "-")):
        return _raw("MODE", *words)
    target = ctx.window if ctx.window is not None and ctx.is_channel_window else None
    if target is None:
        return [LocalError("usage: /mode <#channel|nick> [+modes [args]], or /mode +modes in a channel window")]
    return _raw("MODE", target, *words)


def _prefix_mode(sign: str, mode: str, name: str) -> Handler:
    def handler(args: str, ctx: Context) -> list[Action]:
        found = _channel_and_rest(args, ctx, f"/{name}")
        if isinstance(found, LocalError):
            return [found]
        channel, nicks = found
        if not nicks:
            return [LocalError(f"usage: /{name} [#channel] <nick> [nick ...]")]
        return _raw("MODE", channel, sign + mode * len(nicks), *nicks)

    return handler


def _invite(args: str, ctx: Context) -> list[Action]:
    words = args.split()
    if not words:
        return [LocalError("usage: /invite <nick> [#channel]")]
    if len(words) > 1:
        return _raw("INVITE", words[0], words[1])
    if ctx.window is None or not ctx.is_channel_window:
        return [LocalError("/invite: give a #channel, or type it in a channel window")]
    return _raw("INVITE", words[0], ctx.window)


def _away(args: str, ctx: Context) -> list[Action]:
    return _raw("AWAY", *([args] if args else []))


def _quit(args: str, ctx: Context) -> list[Action]:
    return [Quit(args or "Leaving")]


def _help(args: str, ctx: Context) -> list[Action]:
    return [Help()]


def _clear(args: str, ctx: Context) -> list[Action]:
    return [Clear()]


def _lastlog(args: str, ctx: Context) -> list[Action]:
    if not args.strip():
        return [LocalError("usage: /lastlog <text> (Ctrl-R searches as you type)")]
    return [LastlogSearch(args.strip())]


def _quote(args: str, ctx: Context) -> list[Action]:
    if not args.strip():
        return [LocalError("usage: /quote <raw IRC line>")]
    try:
        return [Raw(parse_line(args.strip()))]
    except ProtocolError as exc:
        return [LocalError(f"/quote: {exc}")]


def _login(args: str, ctx: Context) -> list[Action]:
    """One word is the password; with more, the first is the account and the rest (spaces too) the password."""
    first, _, rest = args.partition(" ")
    if not first:
        return [LocalError("usage: /login [account] <password>")]
    return [LoginAccount(first, rest.lstrip(" ")) if rest.strip() else LoginAccount(None, first)]


def _register(args: str, ctx: Context) -> list[Action]:
    words = args.split()
    if len(words) not in (1, 2):
        return [LocalError("usage: /register <password> [email]")]
    return [RegisterAccount(words[0], words[1] if len(words) == 2 else None)]


def _verify(args: str, ctx: Context) -> list[Action]:
    words = args.split()
    if len(words) not in (1, 2):
        return [LocalError("usage: /verify [account] <code>")]
    return [VerifyAccount(words[0] if len(words) == 2 else None, words[-1])]


COMMANDS: dict[str, CommandSpec] = {
    spec.name: spec
    for spec in [
        CommandSpec("join", "/join #channel[,#more] [key]", "join channels", _join),
        CommandSpec("j", "/j #channel", "the same as /join", _join),
        CommandSpec("part", "/part [#channel] [reason]", "leave a channel, or close a query", _part),
        CommandSpec("msg", "/msg <target> <text>", "send a message without opening a window", _msg),
        CommandSpec("query", "/query <nick> [text]", "open a private window with nick", _query),
        CommandSpec("me", "/me <action>", "send an action (* you waves)", _me),
        CommandSpec("notice", "/notice <target> <text>", "send a notice", _notice),
        CommandSpec("nick", "/nick <newnick>", "change your nick", _nick),
        CommandSpec("topic", "/topic [#channel] [text]", "show or set the topic", _topic),
        CommandSpec("names", "/names [#channel]", "list the people in a channel", _names),
        CommandSpec("list", "/list [#channel]", "list channels on the server", _list),
        CommandSpec("whois", "/whois <nick>", "show who a nick is", _whois),
        CommandSpec("kick", "/kick [#channel] <nick> [reason]", "remove someone from the channel", _kick),
        CommandSpec("ban", "/ban [#channel] [nick|mask ...]", "ban (a nick bans nick!*@*); none: list bans", _ban),
        CommandSpec("mode", "/mode [target] [+/-modes [args]]", "show or change modes (here if no target)", _mode),
        CommandSpec("op", "/op [#channel] <nick ...>", "make channel operators (+o)", _prefix_mode("+", "o", "op")),
        CommandSpec("deop", "/deop [#channel] <nick ...>", "take operator status (-o)", _prefix_mode("-", "o", "deop")),
        CommandSpec("voice", "/voice [#channel] <nick ...>", "give voice (+v)", _prefix_mode("+", "v", "voice")),
        CommandSpec("devoice", "/devoice [#channel] <nick ...>", "take voice (-v)",
                    _prefix_mode("-", "v", "devoice")),
        CommandSpec("invite", "/invite <nick> [#channel]", "invite someone (here if no channel)", _invite),
        CommandSpec("away", "/away [message]", "set away with a message; no message comes back", _away),
        CommandSpec("quit", "/quit [reason]", "disconnect and leave chat-client", _quit),
        CommandSpec("help", "/help", "show this list", _help),
        CommandSpec("clear", "/clear", "clear the current window", _clear),
        CommandSpec("lastlog", "/lastlog <text>", "show this window's lines with text (Esc closes)", _lastlog),
        CommandSpec("quote", "/quote <line>", "send a raw IRC line", _quote),
        CommandSpec("login", "/login [account] <password>", "log in to an account (SASL, else NickServ)", _login,
                    secret=True),
        CommandSpec("register", "/register <password> [email]", "register your nick as an account", _register,
                    secret=True),
        CommandSpec("verify", "/verify [account] <code>", "confirm a registration with the code sent to you",
                    _verify),
    ]
}


def is_secret(text: str) -> bool:
    """Whether an input line is a command carrying a password (never saved to the history file)."""
    if not text.startswith("/"):
        return False
    spec = COMMANDS.get(text[1:].partition(" ")[0].lower())
    return spec is not None and spec.secret


def parse_input(text: str, ctx: Context) -> list[Action]:
    """Turn one input line into actions: a slash command, or text said to the current window."""
    if not text.strip():
        return []
    if text.startswith("/") and not text.startswith("//"):
        name, _, args = text[1:].partition(" ")
        spec = COMMANDS.get(name.lower())
        if spec is None:
            return [LocalError(f"unknown command /{name}; /help lists the commands")]
        return spec.handler(args.strip(), ctx)
    if text.startswith("//"):
        text = text[1:]
    if ctx.window is None:
        return [LocalError("this is the server window: /join a channel or /query a nick to chat")]
    return [Say(ctx.window, text)]
