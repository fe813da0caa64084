"""What an operation raises when the network cannot be reached: the command is refused, not lost."""

from __future__ import annotations

__all__ = ["Unavailable"]


class Unavailable(RuntimeError):
    """The shared state is out of reach (e.g. Redis is down); nothing was changed that anyone will see."""
