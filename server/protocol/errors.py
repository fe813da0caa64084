"""Protocol errors: every way a line from the wire can be refused.

Each error carries the numeric (or FAIL code) the server answers with, so the
I/O layer maps an error to a reply without knowing why it happened::

    ProtocolError
     +-- InputTooLong        417 ERR_INPUTTOOLONG (body over 512 bytes, or no line end in time)
     +-- TagsTooLong         417 ERR_INPUTTOOLONG (tag section over 8191 bytes)
     +-- BadCharacter        NUL byte in a line
     +-- MalformedMessage    no command, bad command, or bad tag syntax
     +-- InvalidUtf8         bytes that are not UTF-8, when the caller asks for strictness
"""

from __future__ import annotations

__all__ = [
    "BadCharacter",
    "InputTooLong",
    "InvalidUtf8",
    "MalformedMessage",
    "ProtocolError",
    "TagsTooLong",
]


class ProtocolError(ValueError):
    """A line that cannot become a Message. Anything else raised by the parser is a bug."""

    numeric: str | None = None
    fail_code: str = "INVALID_MESSAGE"
    command: str = "*"  # the command the line named, where it could be read: the FAIL names it
    # The line's batch tag ("" for none), where its raw tags could be read; None for a line dropped unread.
    batch: str | None = None


class InputTooLong(ProtocolError):
    numeric = "417"
    fail_code = "INPUT_TOO_LONG"


class TagsTooLong(InputTooLong):
    pass


class BadCharacter(ProtocolError):
    fail_code = "BAD_CHARACTER"


class MalformedMessage(ProtocolError):
    pass


class InvalidUtf8(ProtocolError):
    fail_code = "INVALID_UTF8"
