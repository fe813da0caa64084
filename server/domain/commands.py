"""The command table: one handler per command, and the checks every command shares."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from server.protocol import Message
from server.protocol import numerics as n
from server.protocol.message import escape_tag_value

from .context import Context

__all__ = ["COMMANDS", "MAX_CLIENT_TAG_BYTES", "CommandSpec", "command", "dispatch"]

# The tag section a client may send, its "@" and trailing space included: 4094 bytes
# of tag data (message-tags, "Size limits"); the rest of 8191 is for the server's tags.
MAX_CLIENT_TAG_BYTES = 4096

Handler = Callable[[Context, Message], None]


@dataclass(frozen=True, slots=True)
class CommandSpec:
    name: str
    handler: Handler
    min_params: int = 0
    pre_registration: bool = False
    help: str = ""


COMMANDS: dict[str, CommandSpec] = {}


def command(name: str, *, min_params: int = 0, pre_registration: bool = False) -> Callable[[Handler], Handler]:
    """Register a handler; its docstring's first line is the command's HELP text."""

    def register(handler: Handler) -> Handler:
        if name in COMMANDS:
            raise ValueError(f"{name} registered twice")
        doc = (handler.__doc__ or "").strip().splitlines()
        COMMANDS[name] = CommandSpec(name, handler, min_params, pre_registration, doc[0] if doc else "")
        return handler

    return register


def dispatch(ctx: Context, msg: Message) -> None:
    """Run the handler for ``msg`` after the 421, 451 and 461 checks."""
    spec = COMMANDS.get(msg.command)
    if msg.tags and _tag_bytes(msg.tags) > MAX_CLIENT_TAG_BYTES:
        ctx.reply(n.ERR_INPUTTOOLONG, "Input line was too long (tags)")
    elif spec is None:
        ctx.reply(n.ERR_UNKNOWNCOMMAND, msg.command, "Unknown command")
    elif not spec.pre_registration and not ctx.session.registered:
        ctx.reply(n.ERR_NOTREGISTERED, "You have not registered")
    elif len(msg.params) < spec.min_params or (spec.min_params and not msg.params[0]):
        ctx.reply(n.ERR_NEEDMOREPARAMS, msg.command, "Not enough parameters")
    else:
        spec.handler(ctx, msg)


def _tag_bytes(tags: Mapping[str, str]) -> int:
    """The size of a tag section as sent: ``@k=v;k2 `` (values escaped)."""
    return 1 + sum(len(key.encode()) + (1 + len(escape_tag_value(value).encode()) if value else 0) + 1
                   for key, value in tags.items())
