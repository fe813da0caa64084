"""LockedWorld: the World as a home holds it, its operations and views run one at a time.

The domain's World holds no lock: it is rules over state. Whoever holds one
for many threads (this process in thread and pool modes, the Manager in
process mode, a node's replica on Redis) holds this subclass, whose every
public method takes one re-entrant lock. An operation that calls another,
or a view, within itself takes it again at no cost, and a view never sees a
state half changed. The log order agrees with the state because each
operation appends its events while it holds the lock.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterable
from typing import Any

from server.domain import World
from server.domain.world_state import ChannelArchive
from server.log import MessageLog

__all__ = ["LockedWorld", "one_at_a_time"]


class LockedWorld(World):
    """A World whose public methods run one at a time."""

    _NOT_STATE = (*World._NOT_STATE, "_serial")

    def __init__(self, log: MessageLog, archive: ChannelArchive | None = None, server_name: str = "chat.local",
                 registered: Iterable[str] = ()) -> None:
        self._serial = threading.RLock()
        super().__init__(log, archive, server_name=server_name, registered=registered)


def _locked(method: Callable[..., Any]) -> Callable[..., Any]:
    def locked(self: LockedWorld, *args: Any, **kwargs: Any) -> Any:
        with self._serial:
            return method(self, *args, **kwargs)

    return functools.wraps(method)(locked)


def one_at_a_time(cls: type[LockedWorld]) -> None:
    """Make every public method of ``cls`` (its own and inherited) hold the lock while it runs."""
    for name in dir(cls):
        method = getattr(cls, name)
        if not name.startswith("_") and callable(method):
            setattr(cls, name, _locked(method))


one_at_a_time(LockedWorld)
