"""TailingLog: a log that lives in another process, as a worker uses it.

It forwards appends and history queries to the log's home (the Manager's
proxy, one round trip each), and keeps ``SharedLog``'s delivery contract by
tailing: one thread per worker waits on the log from its cursor and hands
each batch to the follower, in log order. Committing is the home's business.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Protocol

from server.log import CommitFollower, Entry, Event, LogOverrun
from server.log.history import HistoryQuery

__all__ = ["RemoteLog", "TailingLog"]

log = logging.getLogger(__name__)


class RemoteLog(Protocol):
    """What a remote home answers (the Manager's proxy of its DurableLog)."""

    def append(self, events: Sequence[Event]) -> list[Entry]: ...

    def read_after(self, cursor: int, limit: int = 1000) -> list[Entry]: ...

    def wait_after(self, cursor: int, timeout: float, limit: int = 1000) -> list[Entry]: ...

    def last_seq(self) -> int: ...

    def history(self, query: HistoryQuery) -> list[Entry]: ...

    def targets(self, keys: list[str], after: float, before: float, limit: int) -> list[tuple[str, float]]: ...

    def conversations(self, nick: str, after: float, before: float, limit: int) -> list[tuple[str, float]]: ...


class TailingLog:
    def __init__(self, home: RemoteLog, batch: int = 2000) -> None:
        self._home = home
        self._batch = batch

    def append(self, events: Sequence[Event]) -> list[Entry]:
        return self._home.append(events)

    def read_after(self, cursor: int, limit: int = 1000) -> list[Entry]:
        return self._home.read_after(cursor, limit)

    def wait_after(self, cursor: int, timeout: float, limit: int = 1000) -> list[Entry]:
        return self._home.wait_after(cursor, timeout, limit)

    def last_seq(self) -> int:
        return self._home.last_seq()

    def history(self, query: HistoryQuery) -> list[Entry]:
        return self._home.history(query)

    def targets(self, keys: list[str], after: float, before: float, limit: int) -> list[tuple[str, float]]:
        return self._home.targets(keys, after, before, limit)

    def conversations(self, nick: str, after: float, before: float, limit: int) -> list[tuple[str, float]]:
        return self._home.conversations(nick, after, before, limit)

    def commit_now(self) -> None:
        """The home commits what is appended to it; nothing to do here."""

    def follow(self, after: int, follower: CommitFollower) -> Callable[[], None]:
        stopped = threading.Event()

        def tail() -> None:
            cursor = after
            while not stopped.is_set():
                try:
                    entries = self._home.wait_after(cursor, 0.2, self._batch)
                except LogOverrun as exc:
                    log.error("delivery fell behind the in-memory log, skipping: %s", exc)
                    cursor = self._home.last_seq()
                    continue
                except (EOFError, ConnectionError, BrokenPipeError) as exc:
                    if not stopped.is_set():
                        log.error("log unreachable, delivery stops: %r", exc)
                    return
                if entries and not stopped.is_set():
                    follower(entries)
                    cursor = entries[-1].seq

        thread = threading.Thread(target=tail, name="log-tailer", daemon=True)
        thread.start()

        def unfollow() -> None:
            stopped.set()
            if thread is not threading.current_thread():
                thread.join(3)

        return unfollow
