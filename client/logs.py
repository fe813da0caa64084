"""Plain-text logs: one file per window per day, lines in irssi's format, only ever appended.

    <log_dir>/<network>/<window>/<YYYY-MM-DD>.log

    --- Log opened Wed May 01 12:00:00 2024
    12:00 <bob> hello
    12:01 * bob waves
    12:02 -bob- a notice
    12:03 -!- carol joined
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path

from server.protocol import casefold

from .state import Line, LineKind, Window, WindowKind

__all__ = ["ChatLog", "log_line", "safe_name"]

_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789#&+_-.,!@=")
MAX_NAME_BYTES = 180  # well under the 255 bytes most file systems allow for one name
SERVER_NAME = "-server"  # no nick or channel can start with "-", so this never collides


def safe_name(name: str) -> str:
    """A file name for any channel, nick or host: casefolded (so #Lobby and #lobby share a file),
    every byte outside a small safe set written %XX (so "/", "..", ":" and control codes cannot
    escape or collide), and cut with a hash suffix when too long."""
    out: list[str] = []
    for index, ch in enumerate(casefold(name)):
        if ch in _SAFE and not (index == 0 and ch == "."):
            out.append(ch)
        else:
            out.extend(f"%{byte:02X}" for byte in ch.encode("utf-8"))
    text = "".join(out) or "%00"
    if len(text) > MAX_NAME_BYTES:
        digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:12]
        text = f"{text[:MAX_NAME_BYTES - 13]}~{digest}"
    return text


def log_line(line: Line) -> str | None:
    """The line as written to the log, or None for what is not logged (our own notes and errors)."""
    stamp = line.time.astimezone().strftime("%H:%M")
    nick = line.nick or ""
    if line.kind is LineKind.MESSAGE:
        return f"{stamp} <{nick}> {line.text}"
    if line.kind is LineKind.ACTION:
        return f"{stamp} * {nick} {line.text}"
    if line.kind is LineKind.NOTICE:
        return f"{stamp} -{nick}- {line.text}" if nick else f"{stamp} -!- {line.text}"
    if line.kind is LineKind.EVENT:
        return f"{stamp} -!- {line.text}"
    return None


class ChatLog:
    """Appends lines to the day's file of their window; never truncates or rewrites a file."""

    def __init__(self, root: Path, network: str) -> None:
        self.root = root.expanduser() / safe_name(network)
        self._opened: set[Path] = set()
        self._last: dict[str, datetime] = {}

    def path_for(self, window: Window, when: datetime) -> Path:
        name = SERVER_NAME if window.kind is WindowKind.SERVER else safe_name(window.name)
        return self.root / name / f"{when.astimezone():%Y-%m-%d}.log"

    def write(self, window: Window, line: Line, *, replayed: bool = False) -> bool:
        """Append line; False if it is not logged. Replayed history is logged only when newer than
        the last line logged for the window in this run (missed during a disconnect); at startup
        it is not, as the run that saw it live logged it then. Raises OSError."""
        text = log_line(line)
        if text is None:
            return False
        last = self._last.get(window.key)
        if replayed and (last is None or line.time <= last):
            return False
        if last is None or line.time > last:
            self._last[window.key] = line.time
        path = self.path_for(window, line.time)
        if path not in self._opened:
            path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8", newline="\n") as fh:
            if path not in self._opened:
                fh.write(f"--- Log opened {datetime.now().astimezone():%a %b %d %H:%M:%S %Y}\n")
                self._opened.add(path)
            fh.write(text + "\n")
        return True
