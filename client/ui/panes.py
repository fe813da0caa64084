"""One message pane per IRC window: a read-only Buffer that follows the tail unless scrolled up."""

from __future__ import annotations

from collections.abc import Callable

from prompt_toolkit.buffer import Buffer
from prompt_toolkit.document import Document
from prompt_toolkit.formatted_text import StyleAndTextTuples, fragment_list_to_text
from prompt_toolkit.layout.containers import Window as PTWindow
from prompt_toolkit.layout.controls import BufferControl
from prompt_toolkit.lexers import Lexer

from ..state import Window
from .render import line_fragments

__all__ = ["Pane"]

INDENT = 6


class _PaneLexer(Lexer):
    """Gives each row of the pane the fragments rendered for its Line."""

    def __init__(self, pane: Pane) -> None:
        self.pane = pane

    def lex_document(self, document: Document) -> Callable[[int], StyleAndTextTuples]:
        frags = self.pane.frags
        lines = document.lines

        def get_line(lineno: int) -> StyleAndTextTuples:
            if lineno < len(frags):
                return frags[lineno]
            return [("", lines[lineno])] if lineno < len(lines) else []

        return get_line


class Pane:
    """The view of one Window; update() rebuilds the text when the Window's version moved."""

    def __init__(self, window: Window) -> None:
        self.window = window
        self.frags: list[StyleAndTextTuples] = []
        self.version = -1
        self.dropped = window.dropped
        self.buffer = Buffer(read_only=True, name=f"pane:{window.name}")
        self.control = BufferControl(self.buffer, lexer=_PaneLexer(self), focusable=False)
        self.container = PTWindow(
            self.control, wrap_lines=True,
            get_line_prefix=lambda lineno, wrap_count: " " * INDENT if wrap_count else "",
        )

    @property
    def at_bottom(self) -> bool:
        """True when the last line is in view, so new lines should keep the view at the tail."""
        doc = self.buffer.document
        if doc.cursor_position_row >= doc.line_count - 1:
            return True
        info = self.container.render_info
        return info is not None and info.bottom_visible and info.last_visible_line() >= doc.line_count - 1

    @property
    def lines_below(self) -> int:
        info = self.container.render_info
        count = self.buffer.document.line_count
        last = info.last_visible_line() if info is not None else self.buffer.document.cursor_position_row
        return max(0, count - 1 - last)

    def update(self) -> None:
        if self.version == self.window.version:
            return
        follow = self.at_bottom
        frags = [line_fragments(line) for line in self.window.lines]
        text = "\n".join(fragment_list_to_text(f) for f in frags)
        if follow:
            position = len(text)
        else:
            shift = self.window.dropped - self.dropped
            row = max(0, self.buffer.document.cursor_position_row - shift)
            position = Document(text).translate_row_col_to_index(row, 0)
        self.frags = frags
        self.version = self.window.version
        self.dropped = self.window.dropped
        self.buffer.set_document(Document(text, position), bypass_readonly=True)

    def page(self, direction: int) -> None:
        """Scroll one page up (-1) or down (+1) by moving the pane's cursor past the visible edge."""
        info = self.container.render_info
        doc = self.buffer.document
        height = info.window_height if info is not None else 20
        if direction < 0:
            top = info.first_visible_line() if info is not None else doc.cursor_position_row
            row = max(0, top - max(1, height - 2))
        else:
            bottom = info.last_visible_line() if info is not None else doc.cursor_position_row
            row = bottom + max(1, height - 2)
        position = len(doc.text) if row >= doc.line_count - 1 else doc.translate_row_col_to_index(row, 0)
        self.buffer.cursor_position = position

    def to_bottom(self) -> None:
        self.buffer.cursor_position = len(self.buffer.text)
