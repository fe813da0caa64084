"""The one IRC line parser: ``parse_parts`` splits a line into its checked parts.

A line is ``[@tags ][:source ]COMMAND[ params][ :trailing]``. Limits follow
the Modern IRC document: 512 bytes for everything after the tags (CRLF
included), 8191 bytes for the tag section (its ``@`` and trailing space
included).

Every line the server and the load tester receive comes through here, so this
module is written to be compiled as it stands by mypyc (``make`` does it where
a C compiler is present; see ``server/compiled.py``): no code in it may depend
on being interpreted.
"""

from __future__ import annotations

import re
from typing import Final

from .errors import BadCharacter, InputTooLong, InvalidUtf8, MalformedMessage, TagsTooLong

__all__ = ["MAX_BODY_BYTES", "MAX_TAG_BYTES", "TAG_KEY", "Parts", "parse_parts", "unescape_tag_value"]

MAX_BODY_BYTES: Final = 512
MAX_TAG_BYTES: Final = 8191

TAG_KEY: Final = re.compile(r"\+?([A-Za-z0-9.-]+/)?[A-Za-z0-9-]+\Z")
_ESCAPES: Final = {":": ";", "s": " ", "\\": "\\", "r": "\r", "n": "\n"}

# What parse_parts returns: (command, params, source, tags).
Parts = tuple[str, tuple[str, ...], str | None, dict[str, str]]

# The commands that make up nearly every line, as sent: found here, they need
# no character checks and no upper-casing.
_COMMON: Final[dict[str, str]] = {name: name for name in (
    "PRIVMSG", "NOTICE", "PING", "PONG", "JOIN", "PART", "QUIT", "NICK", "USER", "MODE", "TOPIC", "CAP",
    "TAGMSG", "WHO", "001", "353", "366")}


def unescape_tag_value(raw: str) -> str:
    if "\\" not in raw:
        return raw
    out: list[str] = []
    chars = iter(raw)
    for ch in chars:
        if ch != "\\":
            out.append(ch)
            continue
        nxt = next(chars, "")
        # An unknown escape drops the backslash; a trailing lone one is dropped.
        out.append(_ESCAPES.get(nxt, nxt))
    return "".join(out)


def _parse_tags(raw: str) -> dict[str, str]:
    tags: dict[str, str] = {}
    for item in raw.split(";"):
        if not item:
            continue
        key, _, value = item.partition("=")
        if not TAG_KEY.match(key):
            raise MalformedMessage(f"bad tag key {key!r}")
        tags[key] = unescape_tag_value(value)
    return tags


def _command_named(body: bytes) -> str:
    """The command word of a line's body (after its tags), if it is one; else "*"."""
    words = body.split(b" ", 2)
    word = words[1] if body.startswith(b":") and len(words) > 1 else words[0]
    return word.decode("ascii").upper() if word.replace(b"_", b"").isalpha() else "*"


def parse_parts(line: bytes | str, *, max_body: int = MAX_BODY_BYTES, max_tags: int = MAX_TAG_BYTES,
                strict_utf8: bool = False) -> Parts:
    """The parser itself: ``(command, params, source, tags)`` of one line, as parse_line checks them.

    For a reader that only looks at a field or two of millions of lines (the
    load tester) and need not pay for a Message each; everything else wants
    parse_line. Raises what parse_line raises.
    """
    # Every received line, in the server and in the load tester, comes through
    # here; the checks below are ordered and written for the common line.
    raw = line if isinstance(line, bytes) else line.encode("utf-8", "surrogateescape")
    if 0 in raw:
        raise BadCharacter("NUL byte in line")
    if 13 in raw or 10 in raw:
        raise BadCharacter("CR or LF inside a line")
    if raw.startswith(b"@"):
        tag_section, sep, body = raw.partition(b" ")
        if len(tag_section) + 1 > max_tags:
            raise TagsTooLong("tag section too long")
        if not sep:
            raise MalformedMessage("tags without a command")
        body = body.lstrip(b" ")
    else:
        tag_section = b""
        body = raw.lstrip(b" ") if raw.startswith(b" ") else raw
    if len(body) + 2 > max_body:
        raise InputTooLong("line too long")
    if strict_utf8:
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            error = InvalidUtf8("line is not valid UTF-8")
            error.command = _command_named(body)  # UTF8ONLY: FAIL <command> INVALID_UTF8
            raise error from None
    tags = _parse_tags(tag_section[1:].decode("utf-8", "replace")) if tag_section else {}
    text = body.decode("utf-8", "replace")

    # Positions, not partitions: each field is sliced out once, and a line
    # costs no intermediate strings or tuples.
    n = len(text)
    pos = 0
    source: str | None = None
    if text.startswith(":"):
        pos = text.find(" ")
        if pos < 0:
            pos = n
        source = text[1:pos] or None
        while pos < n and text[pos] == " ":
            pos += 1
    end = text.find(" ", pos)
    if end < 0:
        end = n
    command = text[pos:end]
    known = _COMMON.get(command)
    if known is not None:
        command = known
    elif command.isascii() and (command.replace("_", "").isalpha() or (len(command) == 3 and command.isdigit())):
        # Letters, underscores allowed (NONEXISTENT_COMMAND, ergo's NICKSERV_HELP...):
        # an unknown one is the dispatcher's 421, not a malformed line.
        command = command.upper()
    else:
        raise MalformedMessage(f"bad command {command!r}" if command else "missing command")
    pos = end + 1
    if pos >= n:
        return command, (), source, tags
    if text[pos] == ":":
        return command, (text[pos + 1:],), source, tags
    # Middle parameters are words; the first word that starts with ':' begins
    # the trailing one, which runs to the end of the line.
    colon = text.find(" :", pos)
    if colon < 0:
        middle = text[pos:]
        if " " not in middle:
            return command, (middle,), source, tags
    else:
        middle = text[pos:colon]
        if " " not in middle and middle:
            return command, (middle, text[colon + 2:]), source, tags
    words = [word for word in middle.split(" ") if word]
    if colon >= 0:
        words.append(text[colon + 2:])
    return command, tuple(words), source, tags
