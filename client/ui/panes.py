"""One message pane per IRC window: word-wrapped rows drawn cell by cell, following the tail unless scrolled up.

The pane draws into the screen itself instead of through a prompt-toolkit Window, because a
Window advances one code point at a time: a grapheme cluster such as a family emoji would take 6
columns in prompt-toolkit's model and 2 on the terminal, and everything right of it would shift.
"""

from __future__ import annotations

from collections.abc import Callable

from prompt_toolkit.formatted_text import StyleAndTextTuples
from prompt_toolkit.layout.containers import Container
from prompt_toolkit.layout.dimension import Dimension
from prompt_toolkit.layout.mouse_handlers import MouseHandlers
from prompt_toolkit.layout.screen import Char, Screen, WritePosition
from prompt_toolkit.mouse_events import MouseEvent, MouseEventType

from ..state import Line, Window
from .render import line_fragments, line_indent
from .wrap import Cell, Row, cells, wrap

__all__ = ["MessageView", "Pane", "RowsView", "draw_rows", "unread_rule"]

WHEEL_ROWS = 3
UNREAD = "--- unread "


def unread_rule(width: int) -> Row:
    """The row above the first unread line: "--- unread ---..." across the pane."""
    return [Cell("class:unread", ch, 1) for ch in (UNREAD + "-" * width)[:width]]


class Pane:
    """The view of one Window: its lines wrapped for the last drawn width, and where it is scrolled to."""

    def __init__(self, window: Window) -> None:
        self.window = window
        self.width = 0
        self.height = 0
        self.rows: list[Row] = []
        self._owners: list[tuple[Line, int]] = []
        self._starts: dict[int, int] = {}
        self._cache: dict[int, tuple[Line, list[Row]]] = {}
        self._built = (-1, -1)
        # The line (and row within it) at the top of the view while scrolled up; None follows the tail.
        self.anchor: tuple[Line, int] | None = None
        self.container = MessageView(self)

    def layout(self, width: int) -> None:
        """Wrap the window's lines for width, reusing the rows of lines already wrapped at that width."""
        if self._built == (self.window.version, width):
            return
        if width != self.width:
            self._cache.clear()
        self.width = width
        cache: dict[int, tuple[Line, list[Row]]] = {}
        rows: list[Row] = []
        owners: list[tuple[Line, int]] = []
        starts: dict[int, int] = {}
        marker = self.window.marker
        for line in self.window.lines:
            if line is marker:
                owners.append((line, -1))  # the rule belongs to the line below it, for scroll anchors
                rows.append(unread_rule(width))
            cached = self._cache.get(id(line))
            wrapped = cached[1] if cached is not None and cached[0] is line else \
                wrap(line_fragments(line), width, line_indent(line))
            cache[id(line)] = (line, wrapped)
            starts[id(line)] = len(rows)
            owners.extend((line, sub) for sub in range(len(wrapped)))
            rows.extend(wrapped)
        self._cache, self.rows, self._owners, self._starts = cache, rows, owners, starts
        self._built = (self.window.version, width)

    def top(self) -> int:
        """Index of the first row in view."""
        last_page = max(0, len(self.rows) - self.height)
        if self.anchor is None:
            return last_page
        line, sub = self.anchor
        start = self._starts.get(id(line))
        if start is None or self._owners[start][0] is not line:
            return 0  # the anchored line fell off the top of the scrollback
        return min(start + sub, last_page)

    @property
    def at_bottom(self) -> bool:
        """True when following the tail, so new lines keep the view at the end."""
        return self.anchor is None

    @property
    def lines_below(self) -> int:
        return max(0, len(self.rows) - self.top() - self.height)

    def scroll(self, rows: int) -> None:
        """Move the view by rows (negative: up); reaching the end follows the tail again."""
        if self.width:  # lines may have come since the last draw: scroll over what there is now
            self.layout(self.width)
        top = max(0, self.top() + rows)
        if top + self.height >= len(self.rows):
            self.anchor = None
        elif self._owners:
            self.anchor = self._owners[top]

    def page(self, direction: int) -> None:
        """Scroll one page up (-1) or down (+1), keeping two rows of context."""
        self.scroll(direction * max(1, (self.height or 20) - 2))

    def to_bottom(self) -> None:
        self.anchor = None


def draw_rows(screen: Screen, write_position: WritePosition, rows: list[Row], parent_style: str) -> None:
    """Draw rows cell by cell from the top left of write_position; blank what is left."""
    x0, y0 = write_position.xpos, write_position.ypos
    width, height = write_position.width, write_position.height
    blank = Char(" ", parent_style)
    screen.height = max(screen.height, y0 + height)  # the renderer only outputs rows up to this
    for y in range(height):
        buffer_row = screen.data_buffer[y0 + y]
        x = 0
        for cell in rows[y] if y < len(rows) else []:
            if x + cell.width > width:
                break
            char = Char(cell.text, f"{parent_style} {cell.style}")
            char.width = cell.width  # Char measures code points; the terminal draws the cluster
            buffer_row[x0 + x] = char
            for extra in range(1, cell.width):
                buffer_row[x0 + x + extra] = Char("", parent_style)
            x += cell.width
        for rest in range(x, width):
            buffer_row[x0 + rest] = blank


class RowsView(Container):
    """Formatted text (lines split on newlines) drawn by grapheme cluster: the side lists and the bars.

    ``on_click(row)`` is told which row a click released on.
    """

    def __init__(self, get_fragments: Callable[[], StyleAndTextTuples], *, width: int | None = None,
                 height: int | None = None, style: str = "", on_click: Callable[[int], None] | None = None) -> None:
        self.get_fragments = get_fragments
        self.width = width
        self.height = height
        self.style = style
        self.on_click = on_click

    def rows(self) -> list[Row]:
        lines: list[StyleAndTextTuples] = [[]]
        for frag in self.get_fragments():
            style, text = frag[0], frag[1]
            parts = text.split("\n")
            for i, part in enumerate(parts):
                if i:
                    lines.append([])
                if part:
                    lines[-1].append((style, part))
        if not lines[-1]:
            lines.pop()
        return [cells(line) for line in lines]

    def reset(self) -> None:
        pass

    def preferred_width(self, max_available_width: int) -> Dimension:
        return Dimension() if self.width is None else Dimension.exact(self.width)

    def preferred_height(self, width: int, max_available_height: int) -> Dimension:
        return Dimension() if self.height is None else Dimension.exact(self.height)

    def get_children(self) -> list[Container]:
        return []

    def write_to_screen(self, screen: Screen, mouse_handlers: MouseHandlers, write_position: WritePosition,
                        parent_style: str, erase_bg: bool, z_index: int | None) -> None:
        draw_rows(screen, write_position, self.rows(), f"{parent_style} {self.style}".strip())
        on_click = self.on_click
        if on_click is not None:
            y0 = write_position.ypos

            def click(event: MouseEvent) -> None:
                if event.event_type == MouseEventType.MOUSE_UP:
                    on_click(event.position.y - y0)

            x0 = write_position.xpos
            mouse_handlers.set_mouse_handler_for_range(x0, x0 + write_position.width, y0,
                                                       y0 + write_position.height, click)


class MessageView(Container):
    """Draws a Pane's rows, one grapheme cluster per screen cell with the width the terminal gives it."""

    def __init__(self, pane: Pane) -> None:
        self.pane = pane

    def reset(self) -> None:
        pass

    def preferred_width(self, max_available_width: int) -> Dimension:
        return Dimension()

    def preferred_height(self, width: int, max_available_height: int) -> Dimension:
        return Dimension()

    def get_children(self) -> list[Container]:
        return []

    def write_to_screen(self, screen: Screen, mouse_handlers: MouseHandlers, write_position: WritePosition,
                        parent_style: str, erase_bg: bool, z_index: int | None) -> None:
        pane = self.pane
        pane.height = write_position.height
        pane.layout(write_position.width)
        top = pane.top()
        draw_rows(screen, write_position, pane.rows[top : top + write_position.height], parent_style)
        x0, y0 = write_position.xpos, write_position.ypos
        mouse_handlers.set_mouse_handler_for_range(x0, x0 + write_position.width, y0, y0 + write_position.height,
                                                   self._mouse)

    def _mouse(self, event: MouseEvent) -> None:
        if event.event_type == MouseEventType.SCROLL_UP:
            self.pane.scroll(-WHEEL_ROWS)
        elif event.event_type == MouseEventType.SCROLL_DOWN:
            self.pane.scroll(WHEEL_ROWS)
