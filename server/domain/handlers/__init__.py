"""Command handlers, one module per group; importing this package fills the command table."""

from __future__ import annotations

from . import (
           channels,
           history,
           messaging,
           metadata,
           monitor,
           operators,
           queries,
           read_markers,
           redaction,
           registration,
           rename,
)

__all__ = ["channels", "history", "messaging", "metadata", "monitor", "operators", "queries", "read_markers",
           "redaction", "registration", "rename"]
