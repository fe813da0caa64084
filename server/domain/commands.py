"""The command table: one handler per command, and the checks every command shares."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from server.protocol import Message
from server.protocol import numerics as n

from .context import Context

__all__ = ["COMMANDS", "CommandSpec", "command", "dispatch"]

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
    if spec is None:
        ctx.reply(n.ERR_UNKNOWNCOMMAND, msg.command, "Unknown command")
    elif not spec.pre_registration and not ctx.session.registered:
        ctx.reply(n.ERR_NOTREGISTERED, "You have not registered")
    elif len(msg.params) < spec.min_params or (spec.min_params and not msg.params[0]):
        ctx.reply(n.ERR_NEEDMOREPARAMS, msg.command, "Not enough parameters")
    else:
        spec.handler(ctx, msg)
