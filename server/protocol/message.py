"""The IRC message value and its one parser and serialiser.

A line is ``[@tags ][:source ]COMMAND[ params][ :trailing]``. Limits follow
the Modern IRC document: 512 bytes for everything after the tags (CRLF
included), 8191 bytes for the tag section (its ``@`` and trailing space
included).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from .errors import BadCharacter, InputTooLong, InvalidUtf8, MalformedMessage, TagsTooLong

__all__ = [
    "MAX_BODY_BYTES",
    "MAX_TAG_BYTES",
    "Message",
    "Parts",
    "escape_tag_value",
    "parse_line",
    "parse_parts",
    "unescape_tag_value",
]

MAX_BODY_BYTES = 512
MAX_TAG_BYTES = 8191

_COMMAND = re.compile(r"[A-Za-z]+\Z|[0-9]{3}\Z")
_TAG_KEY = re.compile(r"\+?([A-Za-z0-9.-]+/)?[A-Za-z0-9-]+\Z")
_FORBIDDEN_IN_PARAM = re.compile(r"[\x00\r\n]")
_FORBIDDEN_IN_SOURCE = re.compile(r"[\x00\r\n ]")

_ESCAPES = {":": ";", "s": " ", "\\": "\\", "r": "\r", "n": "\n"}
_ESCAPE_OUT = str.maketrans({";": "\\:", " ": "\\s", "\\": "\\\\", "\r": "\\r", "\n": "\\n"})


def escape_tag_value(value: str) -> str:
    return value.translate(_ESCAPE_OUT)


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


@dataclass(frozen=True, slots=True)
class Message:
    """One IRC message. Validates itself, so an unsendable Message cannot exist."""

    command: str
    params: tuple[str, ...] = ()
    source: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    # Write the last parameter with a colon even when it need not have one, as
    # servers do for text and numerics: some clients expect it there.
    force_trailing: bool = field(default=False, compare=False)

    def __post_init__(self) -> None:
        if not _COMMAND.match(self.command):
            raise MalformedMessage(f"bad command {self.command!r}")
        if self.command != self.command.upper():
            object.__setattr__(self, "command", self.command.upper())
        if not isinstance(self.params, tuple):
            object.__setattr__(self, "params", tuple(self.params))
        for i, param in enumerate(self.params):
            if _FORBIDDEN_IN_PARAM.search(param):
                raise BadCharacter("NUL, CR or LF in a parameter")
            last = i == len(self.params) - 1
            if not last and (not param or param[0] == ":" or " " in param):
                raise MalformedMessage("only the last parameter may be empty, start with ':' or hold spaces")
        if self.source is not None and (not self.source or _FORBIDDEN_IN_SOURCE.search(self.source)):
            raise MalformedMessage("bad source")
        for key in self.tags:
            if not _TAG_KEY.match(key):
                raise MalformedMessage(f"bad tag key {key!r}")

    def with_tags(self, tags: Mapping[str, str]) -> Message:
        return Message(self.command, self.params, self.source, tags, self.force_trailing)

    def to_line(self) -> str:
        """Serialise without the line ending."""
        parts: list[str] = []
        if self.tags:
            parts.append(
                "@"
                + ";".join(
                    f"{key}={escape_tag_value(value)}" if value else key
                    for key, value in self.tags.items()
                )
            )
        if self.source is not None:
            parts.append(":" + self.source)
        parts.append(self.command)
        if self.params:
            *middle, last = self.params
            parts.extend(middle)
            if self.force_trailing or not last or last[0] == ":" or " " in last:
                last = ":" + last
            parts.append(last)
        return " ".join(parts)

    def to_bytes(self) -> bytes:
        """Serialise as one wire line, CRLF included."""
        return self.to_line().encode("utf-8", "replace") + b"\r\n"


def _parse_tags(raw: str) -> dict[str, str]:
    tags: dict[str, str] = {}
    for item in raw.split(";"):
        if not item:
            continue
        key, _, value = item.partition("=")
        if not _TAG_KEY.match(key):
            raise MalformedMessage(f"bad tag key {key!r}")
        tags[key] = unescape_tag_value(value)
    return tags


_new = object.__new__
_set_command = vars(Message)["command"].__set__
_set_params = vars(Message)["params"].__set__
_set_source = vars(Message)["source"].__set__
_set_tags = vars(Message)["tags"].__set__
_set_force_trailing = vars(Message)["force_trailing"].__set__


# What parse_parts returns: (command, params, source, tags).
Parts = tuple[str, tuple[str, ...], str | None, dict[str, str]]


def parse_line(line: bytes | str, *, max_body: int = MAX_BODY_BYTES, max_tags: int = MAX_TAG_BYTES,
               strict_utf8: bool = False) -> Message:
    """Parse one line (without its line ending) into a Message.

    Invalid UTF-8 is replaced with U+FFFD, or refused with InvalidUtf8 when
    ``strict_utf8`` is set (a UTF8ONLY server).

    Raises:
        ProtocolError: a subclass saying why the line was refused; nothing else.
    """
    command, params, source, tags = parse_parts(line, max_body=max_body, max_tags=max_tags,
                                                strict_utf8=strict_utf8)
    # The parts are already checked: skip __post_init__, which would repeat
    # exactly those checks; the slots' own descriptors set the fields, as a
    # frozen dataclass's __init__ would.
    msg: Message = _new(Message)
    _set_command(msg, command)
    _set_params(msg, params)
    _set_source(msg, source)
    _set_tags(msg, tags)
    _set_force_trailing(msg, False)
    return msg


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
    if raw[:1] == b"@":
        tag_section, sep, body = raw.partition(b" ")
        if len(tag_section) + 1 > max_tags:
            raise TagsTooLong("tag section too long")
        if not sep:
            raise MalformedMessage("tags without a command")
        body = body.lstrip(b" ")
    else:
        tag_section = b""
        body = raw.lstrip(b" ") if raw[:1] == b" " else raw
    if len(body) + 2 > max_body:
        raise InputTooLong("line too long")
    if strict_utf8:
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidUtf8("line is not valid UTF-8") from None
    tags = _parse_tags(tag_section[1:].decode("utf-8", "replace")) if tag_section else {}
    text = body.decode("utf-8", "replace")

    source: str | None = None
    if text[:1] == ":":
        prefix, _, text = text.partition(" ")
        source = prefix[1:] or None
        if text[:1] == " ":
            text = text.lstrip(" ")
    command, _, rest = text.partition(" ")
    if not (command.isascii() and (command.isalpha() or (len(command) == 3 and command.isdigit()))):
        raise MalformedMessage(f"bad command {command!r}" if command else "missing command")
    params: tuple[str, ...] = ()
    if rest:
        if rest[:1] == ":":
            params = (rest[1:],)
        else:
            # Middle parameters are words; the first word that starts with ':'
            # begins the trailing one, which runs to the end of the line.
            middle, colon, trailing = rest.partition(" :")
            words = middle.split(" ")
            if "" in words:
                words = [word for word in words if word]
            if colon:
                words.append(trailing)
            params = tuple(words)
    return command.upper(), params, source, tags
