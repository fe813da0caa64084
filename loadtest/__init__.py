"""chat-loadtest: drive many IRC connections from several processes and measure the server."""

from __future__ import annotations

from .params import WORKLOADS, Params
from .runner import RunResult, run

__all__ = ["WORKLOADS", "Params", "RunResult", "run"]
