"""draft/multiline messages in the log: one entry for the whole message, and the lines each client gets for it.

A multiline message is one event (one seq, one msgid, one time), so it is
delivered, kept in history and redacted as one message. Its event is
``Event(MULTILINE, source, (target, command, breaks, *texts), ...)``: the
command its lines carry (PRIVMSG or NOTICE), then one letter per line, ``c``
where the line continues the one before it (``draft/multiline-concat``) and
``n`` where it starts a new one, then the lines' texts. Plain strings, so the
event is stored and sent between processes like any other.

A client with ``draft/multiline`` (and ``batch``) gets it as a
``draft/multiline`` batch, the msgid and time on the batch's opening; any
other client gets its non-blank lines as separate messages, the msgid on the
first (the spec's fallback: the sender's line composition is kept, not
rejoined, so that no line outgrows IRC's 512 bytes).
"""

from __future__ import annotations

from collections.abc import Sequence
from collections.abc import Set as AbstractSet

from server.protocol import Message, wrap_batch

from .events import Entry, Event, format_time

__all__ = ["BATCH_TYPE", "CAP", "CONCAT", "MULTILINE", "batch_capable", "multiline_messages", "multiline_params",
           "multiline_parts"]

MULTILINE = "MULTILINE"  # the event's command: no client ever sees it
CAP = "draft/multiline"
BATCH_TYPE = "draft/multiline"
CONCAT = "draft/multiline-concat"


def multiline_params(target: str, command: str, texts: Sequence[str], concat: Sequence[bool]) -> tuple[str, ...]:
    return (target, command, "".join("c" if joined else "n" for joined in concat), *texts)


def multiline_parts(event: Event) -> tuple[str, str, list[tuple[str, bool]]]:
    """(target, command, [(text, continues the line before)]) of a multiline event."""
    target, command, breaks, *texts = event.params
    return target, command, [(text, mark == "c") for text, mark in zip(texts, breaks, strict=True)]


def batch_capable(caps: AbstractSet[str]) -> bool:
    """Whether a client takes a multiline message as one batch (else it gets the lines one by one)."""
    return CAP in caps and "batch" in caps


def multiline_messages(entry: Entry, server_time: bool, message_tags: bool, account_tag: bool, as_batch: bool,
                       batch: str = "") -> list[Message]:
    """The lines a client gets for a multiline entry, inside the batch ``batch`` if one is given."""
    event = entry.event
    target, command, lines = multiline_parts(event)
    tags: dict[str, str] = {}  # what would go on a single message: on the batch, or on the fallback lines
    if message_tags:
        tags.update(event.tags)
    if server_time:
        tags["time"] = format_time(entry.time)
    if account_tag and event.account:
        tags["account"] = event.account
    if as_batch:
        ref = f"ml{entry.seq}"  # one entry, one batch: never open twice at once on a connection
        body = [Message(command, (target, text), event.source, {"batch": ref, CONCAT: ""} if joined else {"batch": ref},
                        force_trailing=True) for text, joined in lines]
        return wrap_batch(ref, BATCH_TYPE, (target,), body, event.source,
                          {**tags, "msgid": entry.msgid} if message_tags else tags, outer=batch)
    outer = {"batch": batch} if batch else {}
    out: list[Message] = []
    for text, _ in lines:
        if not text:
            continue  # blank lines are for multiline clients only (the spec's fallback)
        first = message_tags and not out
        out.append(Message(command, (target, text), event.source,
                           {**outer, **tags, "msgid": entry.msgid} if first else {**outer, **tags},
                           force_trailing=True))
    return out
