"""The input line: prompt and text drawn by grapheme cluster, scrolled so the cursor is always in view.

prompt-toolkit's own Window measures the text one code point at a time: after a family emoji (6
cells in its model, 2 on the terminal) the cursor sat 4 columns right of where the terminal
draws it, and a long line scrolled the prompt away. Here the prompt stays put at the left, the
text scrolls under it by what the terminal draws, and Left/Right/Backspace/Delete step over whole
clusters.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import wcwidth
from prompt_toolkit.buffer import Buffer
from prompt_toolkit.completion import Completer
from prompt_toolkit.data_structures import Point
from prompt_toolkit.formatted_text import StyleAndTextTuples
from prompt_toolkit.history import History
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent
from prompt_toolkit.layout.containers import Window
from prompt_toolkit.layout.controls import BufferControl
from prompt_toolkit.layout.mouse_handlers import MouseHandlers
from prompt_toolkit.layout.screen import Screen, WritePosition
from prompt_toolkit.mouse_events import MouseEvent, MouseEventType

from .panes import draw_rows
from .wrap import Cell, Row, cells

__all__ = ["InputLine", "InputView", "cluster_starts", "input_view"]

TEXT_STYLE = "class:input"


@dataclass(frozen=True)
class _Cluster:
    start: int  # code point offset in the text
    text: str
    width: int  # terminal columns; 0 for what draws nothing


def _clusters(text: str) -> list[_Cluster]:
    out: list[_Cluster] = []
    offset = 0
    for cluster in wcwidth.iter_graphemes(text):
        width = 1 if cluster.isascii() and cluster.isprintable() else max(0, wcwidth.width(cluster))
        out.append(_Cluster(offset, cluster, width))
        offset += len(cluster)
    return out


def cluster_starts(text: str) -> list[int]:
    """Code point offsets where each grapheme cluster starts, and len(text) at the end."""
    return [c.start for c in _clusters(text)] + [len(text)]


@dataclass(frozen=True)
class InputView:
    """One drawn input line: its cells, the cursor's column in it, and the text's scroll in columns."""

    row: Row
    cursor_x: int
    scroll: int
    offsets: tuple[int, ...]  # per column of row: the text offset a click there puts the cursor at


def input_view(prompt: StyleAndTextTuples, text: str, cursor: int, width: int, scroll: int) -> InputView:
    """Lay out prompt and text in width columns; scroll (columns of text hidden at the left) follows the cursor.

    The prompt takes at most half the line and never scrolls. The text scrolls so the cursor (and
    the cluster under it) is in view, jumping back a third of the room when the cursor leaves at
    the left; a wide cluster cut by either edge is drawn as blanks.
    """
    width = max(1, width)
    prompt_row: Row = []
    used = 0
    for cell in cells(prompt):
        if used + cell.width > width // 2:
            break
        prompt_row.append(cell)
        used += cell.width
    room = width - used
    clusters = _clusters(text)
    column = 0
    cursor_col = 0
    under = 1  # columns of the cluster under the cursor (1 at the end of the text)
    for cluster in clusters:
        if cluster.start + len(cluster.text) <= cursor:
            column += cluster.width
            continue
        if cluster.start <= cursor:
            cursor_col, under = column, max(1, cluster.width)
        break
    else:
        cursor_col = column
    total = sum(c.width for c in clusters)
    scroll = min(max(0, scroll), max(0, total + 1 - room))  # no room wasted right of the text's end
    if cursor_col < scroll:
        scroll = max(0, cursor_col - room // 3)
    elif cursor_col + under > scroll + room:
        scroll = cursor_col + under - room
    row: Row = list(prompt_row)
    offsets: list[int] = [0] * used
    column = 0
    for cluster in clusters:
        left, right = column - scroll, column - scroll + cluster.width
        column += cluster.width
        if right <= 0 or not cluster.width:
            continue
        if left >= room:
            break
        if left < 0 or right > room:  # cut by an edge: blanks where it would be
            row += [Cell(TEXT_STYLE, " ", 1)] * (min(right, room) - max(left, 0))
            offsets += [cluster.start] * (min(right, room) - max(left, 0))
            continue
        row.append(Cell(TEXT_STYLE, cluster.text, cluster.width))
        offsets += [cluster.start] * cluster.width
    offsets += [len(text)] * (width - len(offsets))
    return InputView(row, used + cursor_col - scroll, scroll, tuple(offsets))


class _InputWindow(Window):
    """A one-row Window that draws its buffer with input_view instead of prompt-toolkit's per-code-point copy."""

    def __init__(self, control: BufferControl, prompt: Callable[[], StyleAndTextTuples]) -> None:
        super().__init__(control, height=1, style="class:input", dont_extend_height=True)
        self.control = control
        self.prompt = prompt
        self.scroll_columns = 0
        self.view: InputView | None = None

    def _write_to_screen_at_index(self, screen: Screen, mouse_handlers: MouseHandlers,
                                  write_position: WritePosition, parent_style: str, erase_bg: bool) -> None:
        if write_position.height <= 0 or write_position.width <= 0:
            return
        screen.visible_windows_to_write_positions[self] = write_position
        document = self.control.buffer.document
        view = input_view(self.prompt(), document.text, document.cursor_position, write_position.width,
                          self.scroll_columns)
        self.view, self.scroll_columns = view, view.scroll
        draw_rows(screen, write_position, [view.row], f"{parent_style} class:input".strip())
        point = Point(x=write_position.xpos + view.cursor_x, y=write_position.ypos)
        screen.set_cursor_position(self, point)
        screen.set_menu_position(self, point)
        screen.show_cursor = True
        x0 = write_position.xpos
        mouse_handlers.set_mouse_handler_for_range(x0, x0 + write_position.width, write_position.ypos,
                                                   write_position.ypos + 1, partial(self._click, x0))

    def _click(self, x0: int, event: MouseEvent) -> None:
        if event.event_type == MouseEventType.MOUSE_UP and self.view is not None:
            column = event.position.x - x0
            if 0 <= column < len(self.view.offsets):
                self.control.buffer.cursor_position = self.view.offsets[column]


class InputLine:
    """The focused one-line input: a Buffer (history, completion, accept) shown by _InputWindow."""

    def __init__(self, *, prompt: Callable[[], StyleAndTextTuples], history: History, completer: Completer,
                 accept_handler: Callable[[Buffer], bool]) -> None:
        self.buffer = Buffer(multiline=False, history=history, completer=completer, complete_while_typing=False,
                             accept_handler=accept_handler)
        self.control = BufferControl(self.buffer, focusable=True, key_bindings=self._cluster_keys())
        self.window = _InputWindow(self.control, prompt)

    @property
    def text(self) -> str:
        return self.buffer.text

    def __pt_container__(self) -> Window:
        return self.window

    def _cluster_keys(self) -> KeyBindings:
        """Cursor moves and deletes by grapheme cluster, so one emoji is one key press."""
        kb = KeyBindings()
        buffer = self.buffer

        def before(offset: int) -> int:
            return max([s for s in cluster_starts(buffer.text) if s < offset], default=0)

        def after(offset: int) -> int:
            return min([s for s in cluster_starts(buffer.text) if s > offset], default=len(buffer.text))

        @kb.add("left")
        def _left(event: KeyPressEvent) -> None:
            buffer.cursor_position = before(buffer.cursor_position)

        @kb.add("right")
        def _right(event: KeyPressEvent) -> None:
            buffer.cursor_position = after(buffer.cursor_position)

        @kb.add("backspace")
        def _backspace(event: KeyPressEvent) -> None:
            cursor = buffer.cursor_position
            if cursor:
                buffer.delete_before_cursor(cursor - before(cursor))

        @kb.add("delete")
        def _delete(event: KeyPressEvent) -> None:
            cursor = buffer.cursor_position
            if cursor < len(buffer.text):
                buffer.delete(after(cursor) - cursor)

        return kb
