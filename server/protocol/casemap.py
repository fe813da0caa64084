"""RFC 1459 case mapping and the validity rules for nicknames and channel names."""

from __future__ import annotations

import re

__all__ = [
    "CHANNELLEN",
    "CHANTYPES",
    "NICKLEN",
    "casefold",
    "is_channel",
    "is_valid_channel",
    "is_valid_nick",
]

NICKLEN = 30
CHANNELLEN = 50
CHANTYPES = "#&"

# rfc1459: the four characters []\~ are the upper case of {}|^.
_FOLD = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ[]\\~", "abcdefghijklmnopqrstuvwxyz{}|^")

_NICK = re.compile(r"[A-Za-z\[\]\\`_^{|}][A-Za-z0-9\[\]\\`_^{|}-]*\Z")
_CHANNEL_FORBIDDEN = re.compile(r"[\x00\x07\r\n ,:]")


def casefold(name: str) -> str:
    """Fold a nick or channel name so that names equal under rfc1459 compare equal."""
    return name.translate(_FOLD)


def is_valid_nick(nick: str, max_len: int = NICKLEN) -> bool:
    return 0 < len(nick) <= max_len and _NICK.match(nick) is not None


def is_valid_channel(name: str, max_len: int = CHANNELLEN) -> bool:
    return (
        1 < len(name) <= max_len
        and name[0] in CHANTYPES
        and _CHANNEL_FORBIDDEN.search(name) is None
    )


def is_channel(target: str) -> bool:
    """True when a message target names a channel rather than a nick."""
    return target[:1] in CHANTYPES
