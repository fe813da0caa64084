"""LineBuffer: turns a byte stream into lines, with a bound on how long a line may grow."""

from __future__ import annotations

from .errors import InputTooLong
from .message import MAX_BODY_BYTES, MAX_TAG_BYTES

__all__ = ["LineBuffer"]


class LineBuffer:
    """Split incoming bytes on CR, LF or CRLF; empty lines are skipped.

    Either CR or LF ends a line, so a lone CR can never hide a second command
    inside a line. A line that grows past ``max_line`` bytes without an end is
    dropped up to its end, and reported once as InputTooLong. The buffer
    remembers how far it has searched, so a slow drip of bytes costs O(n).
    """

    def __init__(self, max_line: int = MAX_BODY_BYTES + MAX_TAG_BYTES) -> None:
        self.max_line = max_line
        self._buf = bytearray()
        self._searched = 0
        self._discarding = False

    def feed(self, data: bytes) -> None:
        self._buf += data

    def __len__(self) -> int:
        return len(self._buf)

    def next_line(self) -> bytes | None:
        """Return the next complete line, or None when more data is needed.

        Raises:
            InputTooLong: once for each line that passed max_line (it is dropped).
        """
        buf = self._buf
        while True:
            end = self._find_end(buf, self._searched)
            if end < 0:
                if len(buf) > self.max_line:
                    del buf[:]
                    self._searched = 0
                    if not self._discarding:
                        self._discarding = True
                        raise InputTooLong("line too long")
                else:
                    self._searched = len(buf)
                return None
            line = bytes(buf[:end])
            del buf[: end + 1]
            self._searched = 0
            if self._discarding:
                self._discarding = False
                continue
            if len(line) > self.max_line:
                raise InputTooLong("line too long")
            if line:
                return line

    @staticmethod
    def _find_end(buf: bytearray, start: int) -> int:
        lf = buf.find(b"\n", start)
        cr = buf.find(b"\r", start, lf if lf >= 0 else len(buf))
        return cr if cr >= 0 else lf

    def lines(self) -> list[bytes | InputTooLong]:
        """Drain every complete line; errors come in their place in the stream."""
        out: list[bytes | InputTooLong] = []
        while True:
            try:
                line = self.next_line()
            except InputTooLong as exc:
                out.append(exc)
                continue
            if line is None:
                return out
            out.append(line)
