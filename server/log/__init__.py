"""The shared message log: one interface (MessageLog), several homes."""

from __future__ import annotations

from .base import CommitFollower, MessageLog, SharedLog
from .events import ChannelSettings, Entry, Event
from .memory import LogOverrun, MemoryLog

__all__ = ["ChannelSettings", "CommitFollower", "Entry", "Event", "LogOverrun", "MemoryLog", "MessageLog", "SharedLog"]
