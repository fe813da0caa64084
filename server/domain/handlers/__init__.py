"""Command handlers, one module per group; importing this package fills the command table."""

from __future__ import annotations

from . import (
    account_registration,
    channels,
    chanserv,
    history,
    messaging,
    nickserv,
    operators,
    queries,
    registration,
    sasl,
)

__all__ = ["account_registration", "channels", "chanserv", "history", "messaging", "nickserv", "operators", "queries",
           "registration", "sasl"]
