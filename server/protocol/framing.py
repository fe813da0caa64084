"""LineBuffer: turns a byte stream into lines, with a bound on how long a line may grow."""

from __future__ import annotations

from collections import deque

from .errors import InputTooLong
from .parser import MAX_BODY_BYTES, MAX_TAG_BYTES

__all__ = ["LineBuffer"]


class LineBuffer:
    """Split incoming bytes on LF (or CRLF); empty lines are skipped.

    Only LF ends a line, and one CR right before it is dropped. A CR anywhere
    else stays in its line, for the parser to refuse like a NUL: a bot that
    relays untrusted text and strips LF but not CR can then never be made to
    run the text after the CR as a command. A line that grows past
    ``max_line`` bytes without an end is dropped up to its end, and reported
    once as InputTooLong. The buffer remembers how far it has searched, so a
    slow drip of bytes costs O(n).

    Every complete line in the buffer is split off in one ``bytes.split``
    call, after one ``replace`` of CRLF when the data has a CR: the load
    tester frames millions of lines a second through here.
    """

    __slots__ = ("_buf", "_discarding", "_pending", "_searched", "max_line")

    def __init__(self, max_line: int = MAX_BODY_BYTES + MAX_TAG_BYTES) -> None:
        self.max_line = max_line
        self._buf = bytearray()
        self._searched = 0
        self._discarding = False
        self._pending: deque[bytes | InputTooLong] | None = None  # split off, not yet taken by next_line

    def feed(self, data: bytes) -> None:
        self._buf += data

    def __len__(self) -> int:
        return len(self._buf)

    def lines(self) -> list[bytes | InputTooLong]:
        """Drain every complete line; errors come in their place in the stream."""
        out: list[bytes | InputTooLong] = []
        if self._pending:
            out, self._pending = list(self._pending), None
        buf = self._buf
        searched = self._searched
        if buf.find(b"\n", searched) < 0:
            self._searched = len(buf)
            self._bound_partial(out)
            return out
        end = buf.rfind(b"\n") + 1
        data = bytes(buf[:end])
        del buf[:end]
        if b"\r" in data:
            data = data.replace(b"\r\n", b"\n")
        parts = data.split(b"\n")
        parts.pop()  # the empty piece after the last LF
        self._searched = len(buf)
        if self._discarding:
            # The first line is the end of one already reported as too long.
            self._discarding = False
            del parts[0]
        max_line = self.max_line
        if parts and max(map(len, parts)) > max_line:
            out += [line if len(line) <= max_line else InputTooLong("line too long") for line in parts if line]
        else:
            out += [line for line in parts if line]
        self._bound_partial(out)
        return out

    def _bound_partial(self, out: list[bytes | InputTooLong]) -> None:
        """Drop an unfinished line that is already too long, reporting it once."""
        if len(self._buf) > self.max_line:
            del self._buf[:]
            self._searched = 0
            if not self._discarding:
                self._discarding = True
                out.append(InputTooLong("line too long"))

    def next_line(self) -> bytes | None:
        """Return the next complete line, or None when more data is needed.

        Raises:
            InputTooLong: once for each line that passed max_line (it is dropped).
        """
        if not self._pending:
            self._pending = deque(self.lines())
            if not self._pending:
                return None
        item = self._pending.popleft()
        if isinstance(item, InputTooLong):
            raise item
        return item
