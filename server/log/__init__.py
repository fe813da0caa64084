"""The shared message log: one interface (MessageLog), several homes."""

from __future__ import annotations

from .base import CommitFollower, MessageLog, SharedLog
from .events import Entry, Event
from .memory import LogOverrun, MemoryLog

__all__ = ["CommitFollower", "Entry", "Event", "LogOverrun", "MemoryLog", "MessageLog", "SharedLog"]
