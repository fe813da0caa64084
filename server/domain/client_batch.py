"""A client's draft/multiline batch while it is open: its lines, collected and checked as they come.

A client opens a batch with ``BATCH +ref draft/multiline <target>``, sends
PRIVMSG (or NOTICE) lines tagged ``batch=ref`` and closes it with ``BATCH
-ref`` (handlers/multiline.py). Nothing is relayed before the close; lines
that break a rule or a limit the capability announces end the batch with
``FAIL BATCH <code>``, and its later lines and its close are then dropped
quietly. A connection has at most one batch open, bounded by those limits,
and a batch never closed goes with its connection. Other commands may come
in between and run as usual.

A line the parser refuses never reaches the batch; if it was one of the
batch's lines (its raw tags say ``batch=<ref>``, or it was dropped unread)
the batch ends with ``FAIL BATCH MULTILINE_INVALID`` rather than go out
with that line missing (``end_for_refused_line``).

The connection core asks three things of it: whether a line belongs to the
open batch (``in_open_batch``: such lines are collected at once, their flood
control cost owed), the lines themselves (``take_line``), and the label a
labelled batch's response carries at its close (``with_label``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from server.log.multiline import CAP, CONCAT
from server.protocol import Message, casefold, unescape_tag_value

from .context import Context
from .flood import FREE_COMMANDS
from .session import Session

__all__ = ["CAP_VALUE", "MAX_BYTES", "MAX_LINES", "OpenBatch", "batch_of", "end_for_refused_line", "in_open_batch",
           "is_batch_line", "raw_batch_tag", "take_line", "with_label"]

MAX_BYTES = 4096  # the message's text, a line feed counted between lines that are not concatenated
MAX_LINES = 100
CAP_VALUE = f"max-bytes={MAX_BYTES},max-lines={MAX_LINES}"
COMMANDS = ("PRIVMSG", "NOTICE")


@dataclass(slots=True)
class OpenBatch:
    ref: str
    target: str
    label: str  # the opening's label (labeled-response): the response at the close carries it
    tags: dict[str, str]  # the opening's client-only tags: the message's
    command: str = ""  # PRIVMSG or NOTICE, as the first line says
    texts: list[str] = field(default_factory=list)
    concat: list[bool] = field(default_factory=list)
    size: int = 0
    failed: bool = False  # refused: its remaining lines and its close are dropped without a word

    def abandon(self, ctx: Context, code: str, *context: str) -> None:
        self.failed = True
        self.texts, self.concat = [], []
        ctx.fail("BATCH", code, *context)


def batch_of(session: Session) -> OpenBatch | None:
    batch = session.multiline
    return batch if isinstance(batch, OpenBatch) else None


def in_open_batch(session: Session, msg: Message) -> bool:
    """Whether ``msg`` is a line, or the close, of the batch the client has open (and not failed)."""
    batch = batch_of(session)
    if batch is None or batch.failed:
        return False
    if msg.command == "BATCH":
        return msg.params[:1] == (f"-{batch.ref}",)
    return msg.tags.get("batch") == batch.ref


def is_batch_line(session: Session, msg: Message) -> bool:
    """Whether ``msg``, tagged ``batch``, is taken as a line of a client batch: when the client has one open, or
    has draft/multiline and sends a line a batch holds. Elsewhere the tag means nothing (as before multiline), and
    PING, PONG and QUIT always run as themselves. (The multiline spec says nothing of a tag naming no open batch;
    a multiline client's PRIVMSG so tagged gets FAIL BATCH MULTILINE_INVALID, as Ergo answers it.)"""
    if msg.command in FREE_COMMANDS:
        return False
    return session.multiline is not None or (msg.command in COMMANDS and CAP in session.caps)


def with_label(session: Session, msg: Message) -> Message:
    """``msg``, or if it closes a batch opened with a label, ``msg`` with that label (its response is the batch's)."""
    batch = batch_of(session)
    if batch is None or not batch.label or msg.params[:1] != (f"-{batch.ref}",) or "label" in msg.tags:
        return msg
    return Message(msg.command, msg.params, msg.source, {**msg.tags, "label": batch.label})


def take_line(ctx: Context, msg: Message) -> None:
    """A line tagged ``batch=<ref>``: collected into the open batch, or the batch refused."""
    ref = msg.tags["batch"]
    batch = batch_of(ctx.session)
    if batch is None:
        ctx.fail("BATCH", "MULTILINE_INVALID", f"No batch {ref} is open")
        return
    if batch.failed:
        if ref != batch.ref:
            ctx.fail("BATCH", "MULTILINE_INVALID", f"No batch {ref} is open")
        return
    if ref != batch.ref:
        batch.abandon(ctx, "MULTILINE_INVALID", f"A line of batch {ref} while batch {batch.ref} is open")
        return
    if msg.command not in COMMANDS or (batch.command and msg.command != batch.command):
        batch.abandon(ctx, "MULTILINE_INVALID", f"A multiline batch holds PRIVMSG or NOTICE lines, not {msg.command}")
        return
    target = msg.params[0] if msg.params else "*"
    if casefold(target) != casefold(batch.target):
        batch.abandon(ctx, "MULTILINE_INVALID_TARGET", batch.target, target, "Invalid multiline target")
        return
    text = msg.params[1] if len(msg.params) > 1 else ""
    joined = CONCAT in msg.tags
    if joined and not text:
        batch.abandon(ctx, "MULTILINE_INVALID", "A blank line cannot be concatenated")
        return
    size = batch.size + len(text.encode()) + (1 if batch.texts and not joined else 0)
    if len(batch.texts) >= MAX_LINES:
        batch.abandon(ctx, "MULTILINE_MAX_LINES", str(MAX_LINES), "Multiline batch max-lines exceeded")
        return
    if size > MAX_BYTES:
        batch.abandon(ctx, "MULTILINE_MAX_BYTES", str(MAX_BYTES), "Multiline batch max-bytes exceeded")
        return
    batch.command = msg.command
    batch.texts.append(text)
    batch.concat.append(joined)
    batch.size = size


def raw_batch_tag(line: bytes) -> str:
    """The ``batch`` tag of a line the parser refused, read from its raw tag section ("" if it names none)."""
    if not line.startswith(b"@"):
        return ""
    for item in line[1:].split(b" ", 1)[0].split(b";"):
        key, _, value = item.partition(b"=")
        if key == b"batch":
            return unescape_tag_value(value.decode("utf-8", "replace"))
    return ""


def end_for_refused_line(ctx: Context, ref: str | None) -> None:
    """A line was refused unparsed: if it was a line of the open batch (``ref``), or may have been (None: it was
    dropped unread), the batch ends, so that it never goes out with that line missing."""
    batch = batch_of(ctx.session)
    if batch is None or batch.failed or (ref is not None and ref != batch.ref):
        return
    batch.abandon(ctx, "MULTILINE_INVALID", f"A line of batch {batch.ref} was refused; the batch is dropped")
