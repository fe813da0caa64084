"""CAP LS and CAP LIST replies cut to fit IRC's 512 bytes.

The capability list (with its CAP LS 302 values) outgrows one line once the
server's name, the client's nick and the values are long. A client that sent
``CAP LS 302`` reads continuation lines, ``CAP <nick> LS * :<caps>``, up to
the last, which has no ``*``; so does its ``CAP LIST``. An older client knows
no continuation, and only gets names; should even those not fit, it gets
several ordinary lines rather than one a client would cut short.
"""

from __future__ import annotations

from collections.abc import Sequence

from server.protocol import Message

__all__ = ["LINE_BYTES", "cap_lines"]

LINE_BYTES = 512  # CRLF included


def cap_lines(source: str, nick: str, sub: str, tokens: Sequence[str], continued: bool) -> list[Message]:
    """``CAP <nick> <sub> :<tokens>`` in as few lines as fit in LINE_BYTES; with ``continued``, every line but the
    last says ``*`` before its list."""
    room = LINE_BYTES - len(_line(source, nick, sub, "", True).to_bytes())
    chunks: list[str] = []
    current = ""
    for token in tokens:
        joined = f"{current} {token}" if current else token
        if current and len(joined.encode()) > room:
            chunks.append(current)
            current = token
        else:
            current = joined
    chunks.append(current)
    last = len(chunks) - 1
    return [_line(source, nick, sub, chunk, continued and i < last) for i, chunk in enumerate(chunks)]


def _line(source: str, nick: str, sub: str, chunk: str, more: bool) -> Message:
    params = (nick, sub, "*", chunk) if more else (nick, sub, chunk)
    return Message("CAP", params, source, force_trailing=True)
