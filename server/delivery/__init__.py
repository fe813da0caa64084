"""Delivery: bounded per-connection send queues, and fan-out of logged events to them."""

from __future__ import annotations

from .fanout import Fanout, Recipient
from .outbound import Outbound, Sink
from .writer import BlockedWriter

__all__ = ["BlockedWriter", "Fanout", "Outbound", "Recipient", "Sink"]
