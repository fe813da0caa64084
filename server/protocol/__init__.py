"""Sans-I/O IRC core: messages, framing, case mapping, numerics, errors.

No sockets, threads, selectors or clocks here (a test checks the imports).
Server, client and load tester all parse and build lines with this package.
"""

from __future__ import annotations

from . import numerics
from .batch import wrap_batch
from .casemap import CHANNELLEN, CHANTYPES, NICKLEN, casefold, is_channel, is_valid_channel, is_valid_nick
from .errors import BadCharacter, InputTooLong, InvalidUtf8, MalformedMessage, ProtocolError, TagsTooLong
from .framing import LineBuffer
from .message import Message, escape_tag_value, parse_line
from .parser import MAX_BODY_BYTES, MAX_TAG_BYTES, Parts, parse_parts, unescape_tag_value

__all__ = [
    "CHANNELLEN",
    "CHANTYPES",
    "MAX_BODY_BYTES",
    "MAX_TAG_BYTES",
    "NICKLEN",
    "BadCharacter",
    "InputTooLong",
    "InvalidUtf8",
    "LineBuffer",
    "MalformedMessage",
    "Message",
    "Parts",
    "ProtocolError",
    "TagsTooLong",
    "casefold",
    "escape_tag_value",
    "is_channel",
    "is_valid_channel",
    "is_valid_nick",
    "numerics",
    "parse_line",
    "parse_parts",
    "unescape_tag_value",
    "wrap_batch",
]
