"""chat-server: a multi-client IRC server."""

from .compiled import install_guard

install_guard()
