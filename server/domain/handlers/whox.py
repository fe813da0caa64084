"""WHOX (IRCv3 whox): ``WHO <mask> %<fields>[,<token>]`` answered with 354 lines of just those fields."""

from __future__ import annotations

from dataclasses import dataclass

from server.protocol import numerics as n

from ..context import Context
from ..model import UserView

__all__ = ["FIELD_ORDER", "WhoxRequest", "parse_whox", "send_whox_line"]

# Fields go out in this order whatever order they were asked in.
FIELD_ORDER = "tcuihsnfdlaor"
MAX_TOKEN = 3  # digits: a token is a number of at most three digits


@dataclass(frozen=True, slots=True)
class WhoxRequest:
    fields: str  # the letters asked for, in FIELD_ORDER
    token: str


def parse_whox(option: str) -> WhoxRequest | None:
    """``%tcn,42`` -> a request; None for an old-style WHO option (``o``) or none."""
    if not option.startswith("%"):
        return None
    letters, _, token = option[1:].partition(",")
    if not (token.isdigit() and len(token) <= MAX_TOKEN):
        token = ""
    wanted = set(letters)
    fields = "".join(f for f in FIELD_ORDER if f in wanted and (f != "t" or token))
    return WhoxRequest(fields, token)


def send_whox_line(ctx: Context, request: WhoxRequest, channel: str, user: UserView, flags: str) -> None:
    values = {
        "t": request.token,
        "c": channel,
        "u": user.user,
        "i": user.host,
        "h": user.host,
        "s": ctx.settings.name,
        "n": user.nick,
        "f": flags,
        "d": "0",
        "l": "0",
        "a": getattr(user, "account", "") or "0",  # the accounts branch adds UserView.account
        "o": "n/a",
        "r": user.realname,
    }
    ctx.reply(n.RPL_WHOSPCRPL, *(values[f] for f in request.fields))
