"""Read positions kept between runs: one small JSON file, keyed by network and casefolded window name.

This is the fallback for servers without draft/read-marker (ours has none yet), and it is kept even
with one, so a restart knows at once where the user stopped reading.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from datetime import datetime
from pathlib import Path

__all__ = ["ReadMarkers"]


class ReadMarkers:
    """Loads and saves {network: {window: ISO time}}; a missing or unreadable file means nothing read yet."""

    def __init__(self, path: Path | None, network: str) -> None:
        self.path = path
        self.network = network

    def _read_all(self) -> dict[str, dict[str, str]]:
        if self.path is None:
            return {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(data, dict):
            return {}
        return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, dict)}

    def load(self) -> dict[str, datetime]:
        out: dict[str, datetime] = {}
        for window, text in self._read_all().get(self.network, {}).items():
            with contextlib.suppress(TypeError, ValueError):
                when = datetime.fromisoformat(text)
                if when.tzinfo is not None:
                    out[window] = when
        return out

    def save(self, times: dict[str, datetime]) -> None:
        """Merge times into the file, keeping the later time per window (another chat-client may
        have written meanwhile), and replace the file whole so a crash never leaves half of it."""
        if self.path is None or not times:
            return
        data = self._read_all()
        network = data.setdefault(self.network, {})
        for window, when in times.items():
            old = network.get(window)
            with contextlib.suppress(TypeError, ValueError):
                if old is not None and datetime.fromisoformat(old) >= when:
                    continue
            network[window] = when.isoformat()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".read-markers-", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(data, fh, indent=1, sort_keys=True)
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
