"""chat-loadtest: drive many IRC connections from several processes and measure the server."""

from __future__ import annotations

import server  # noqa: F401  (first: it guards our hot modules against a stale compiled build)

from .params import WORKLOADS, Params
from .runner import RunResult, run

__all__ = ["WORKLOADS", "Params", "RunResult", "run"]
