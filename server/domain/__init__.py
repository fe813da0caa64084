"""The chat domain: users, channels, rules and the command table. No sockets, threads or clocks."""

from __future__ import annotations

from . import handlers
from .commands import COMMANDS, dispatch
from .context import Context
from .session import Session
from .settings import ServerSettings
from .world import Outcome, World

__all__ = ["COMMANDS", "Context", "Outcome", "ServerSettings", "Session", "World", "dispatch", "handlers"]
