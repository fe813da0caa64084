"""Search in a window's lines (/lastlog, Ctrl-R): the matches in an overlay pane, the window's own
pane untouched underneath, so closing the overlay returns to exactly where you were."""

from __future__ import annotations

from server.protocol import casefold

from ..state import Line, Window
from .panes import Pane

__all__ = ["Lastlog", "matching_lines"]


def matching_lines(window: Window, query: str) -> list[Line]:
    """Lines whose nick or text contains query, compared casefolded; an empty query matches none."""
    needle = casefold(query.strip())
    if not needle:
        return []
    return [line for line in window.lines if needle in casefold(f"{line.nick or ''} {line.text}")]


class Lastlog:
    """The overlay: a throwaway Window holding the matching lines, drawn by its own Pane."""

    def __init__(self, source: Window, query: str = "") -> None:
        self.source = source
        self.view = Window(source.name, source.kind)
        self.pane = Pane(self.view)
        self.query = ""
        self.update(query)

    def update(self, query: str) -> None:
        """Show the lines matching query (called on each key while searching with Ctrl-R)."""
        self.query = query
        self.view.lines.clear()
        self.view.lines.extend(matching_lines(self.source, query))
        self.view.version += 1
        self.pane.to_bottom()

    @property
    def matches(self) -> int:
        return len(self.view.lines)

    def title(self, searching: bool) -> str:
        if searching and not self.query.strip():
            return " search: type to find lines in this window; Enter keeps the result, Esc closes"
        what = f"{self.matches} line{'s' if self.matches != 1 else ''} with {self.query.strip()!r}"
        keys = "Enter keeps, Esc closes" if searching else "Esc closes, PgUp/PgDn scroll"
        return f" lastlog {self.source.name}: {what} -- {keys}"
