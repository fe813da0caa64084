"""MessageLog: the one interface to the ordered, shared log of events."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from .events import Entry, Event
from .history import HistoryQuery

__all__ = ["CommitFollower", "MessageLog", "SharedLog"]


class MessageLog(Protocol):
    """An append-only, totally ordered log; delivery tails it from a cursor.

    Sequence numbers start at 1 and have no gaps. A cursor is the seq of the
    last entry a reader has seen (0 before the first).
    """

    def append(self, events: Sequence[Event]) -> list[Entry]:
        """Store events atomically, in order; return them with seq, msgid and time."""
        ...

    def read_after(self, cursor: int, limit: int = 1000) -> list[Entry]:
        """Entries with seq > cursor, oldest first, at most ``limit``."""
        ...

    def wait_after(self, cursor: int, timeout: float, limit: int = 1000) -> list[Entry]:
        """Like read_after, but block up to ``timeout`` seconds until there is one."""
        ...

    def last_seq(self) -> int:
        ...


CommitFollower = Callable[[list[Entry]], None]


class SharedLog(MessageLog, Protocol):
    """The log as a worker uses it, wherever it lives (this process, the Manager, later Redis).

    Besides appending and reading it answers history queries, and it has one
    delivery contract, ``follow``: each home implements it its own way (the
    in-process log hands over each batch it commits; a remote one is tailed
    from a cursor), and nobody asks which home they have.
    """

    def follow(self, after: int, follower: CommitFollower) -> Callable[[], None]:
        """Hand ``follower`` every entry after ``after``, in log order, in batches, one call at a time,
        until the returned function is called."""
        ...

    def commit_now(self) -> None:
        """Commit what this worker appended, in the calling thread, where the home allows it;
        otherwise nothing (the home commits on its own)."""
        ...

    def history(self, query: HistoryQuery) -> list[Entry]: ...

    def targets(self, keys: list[str], after: float, before: float, limit: int) -> list[tuple[str, float]]: ...

    def conversations(self, nick: str, after: float, before: float, limit: int) -> list[tuple[str, float]]: ...
