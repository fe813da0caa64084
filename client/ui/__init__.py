"""The prompt-toolkit screen of chat-client."""

from __future__ import annotations

from .app import ChatApp

__all__ = ["ChatApp"]
