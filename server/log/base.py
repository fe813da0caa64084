"""MessageLog: the one interface to the ordered, shared log of events."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol, runtime_checkable

from .events import Entry, Event

__all__ = ["CommitFollower", "MessageLog", "PushingLog"]


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


@runtime_checkable
class PushingLog(Protocol):
    """A log in this process that can hand each batch it commits straight to one follower.

    A reader in another thread would have to be woken for every batch; a
    follower is called by the thread that committed it, one handoff fewer
    between a message's commit and its delivery. Neither method means
    anything across processes (the Manager does not expose them).
    """

    def follow(self, after: int, follower: CommitFollower) -> None:
        """Hand ``follower`` every batch committed from now on, in log order, and first what
        was committed after ``after`` before this call."""
        ...

    def commit_now(self) -> None:
        """Commit what is pending in the calling thread, if the log does so and nobody else is."""
        ...
