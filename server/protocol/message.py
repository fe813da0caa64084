"""The IRC message value, its serialiser, and ``parse_line`` (the parser's parts as a Message)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from .errors import BadCharacter, MalformedMessage
from .parser import MAX_BODY_BYTES, MAX_TAG_BYTES, TAG_KEY, parse_parts

__all__ = ["Message", "escape_tag_value", "parse_line"]

_COMMAND = re.compile(r"_*[A-Za-z][A-Za-z_]*\Z|[0-9]{3}\Z")
_FORBIDDEN_IN_PARAM = re.compile(r"[\x00\r\n]")
_FORBIDDEN_IN_SOURCE = re.compile(r"[\x00\r\n ]")

_ESCAPE_OUT = str.maketrans({";": "\\:", " ": "\\s", "\\": "\\\\", "\r": "\\r", "\n": "\\n"})


def escape_tag_value(value: str) -> str:
    return value.translate(_ESCAPE_OUT)


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
            if not TAG_KEY.match(key):
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


_new = object.__new__
_set_command = vars(Message)["command"].__set__
_set_params = vars(Message)["params"].__set__
_set_source = vars(Message)["source"].__set__
_set_tags = vars(Message)["tags"].__set__
_set_force_trailing = vars(Message)["force_trailing"].__set__


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
