"""Command handlers, one module per group; importing this package fills the command table."""

from __future__ import annotations

from . import (
    account_registration,
    channels,
    chanserv,
    history,
    messaging,
    metadata,
    monitor,
    multiline,
    nickserv,
    operators,
    queries,
    read_markers,
    redaction,
    registration,
    rename,
    sasl,
)

__all__ = ["account_registration", "channels", "chanserv", "history", "messaging", "metadata", "monitor", "multiline",
           "nickserv", "operators", "queries", "read_markers", "redaction", "registration", "rename", "sasl"]
