"""What the client keeps outside itself: read positions (file, and MARKREAD) and the log files."""

from __future__ import annotations

from ..config import Settings
from ..logs import ChatLog
from ..net import Network
from ..readmarks import ReadMarkers
from ..session import Session
from ..state import Line, LineKind, Window

__all__ = ["Keeper"]


class Keeper:
    """Saves read positions and writes logs; a failure is said once in the server window, never raised."""

    def __init__(self, settings: Settings, session: Session, net: Network) -> None:
        self.session = session
        self.state = session.state
        self.net = net
        network = f"{settings.host.lower()}:{settings.port}"
        self.read_markers = ReadMarkers(settings.read_markers_file, network)
        self.state.read_times = self.read_markers.load()
        self._read_save_failed = False
        self.chat_log = ChatLog(settings.log_dir, network) if settings.log_dir is not None else None
        if self.chat_log is not None:
            self.state.on_line = self.log_line

    def log_line(self, window: Window, line: Line, replayed: bool) -> None:
        if self.chat_log is None:
            return
        try:
            self.chat_log.write(window, line, replayed=replayed)
        except OSError as exc:
            self.chat_log = None  # one line about it, not one per message
            self.session.info(self.state.server_window, f"Logging stopped: {exc}", kind=LineKind.ERROR)

    def save_read(self) -> None:
        """Keep the read positions that moved: in the local file, and on the server when it takes them."""
        changed = self.state.take_read_changes()
        if not changed:
            return
        if self.net.connected:
            self.net.send(self.session.markread(changed))
        try:
            self.read_markers.save({w.key: w.read_time for w in changed if w.read_time is not None})
        except OSError as exc:
            if not self._read_save_failed:  # once: the same failure would repeat on every switch
                self._read_save_failed = True
                self.session.info(self.state.server_window, f"Cannot save read positions: {exc}",
                                  kind=LineKind.ERROR)
