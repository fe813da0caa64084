"""The screen's layout and its bars: status at the top, window list, messages, nick list, topic bar, input.

Everything here reads the ChatApp and its state when drawn; nothing changes them except a click
in the window list.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from prompt_toolkit.application import get_app
from prompt_toolkit.filters import Condition
from prompt_toolkit.formatted_text import StyleAndTextTuples
from prompt_toolkit.layout import ConditionalContainer, DynamicContainer, Float, FloatContainer, HSplit, VSplit, Window
from prompt_toolkit.layout.menus import CompletionsMenu

from ..state import WindowKind
from .panes import RowsView
from .render import fit, nicklist_fragments, window_label, winlist_fragments
from .wrap import text_width

if TYPE_CHECKING:
    from .app import ChatApp

__all__ = ["SIDE_WIDTH", "build_root", "prompt_text", "status_bar", "topic_bar"]

SIDE_WIDTH = 15
WINLIST_MIN_COLUMNS = 50
NICKLIST_MIN_COLUMNS = 80


def _columns() -> int:
    return get_app().output.get_size().columns


def build_root(chat: ChatApp) -> FloatContainer:
    """Status bar, then window list | messages | nick list, then the topic bar and the input line."""
    state = chat.state
    show_winlist = Condition(lambda: _columns() >= WINLIST_MIN_COLUMNS)
    show_nicklist = Condition(
        lambda: _columns() >= NICKLIST_MIN_COLUMNS and state.current_window.kind is WindowKind.CHANNEL
    )

    def winlist() -> StyleAndTextTuples:
        return [(style, text + "\n") for style, text, _ in winlist_fragments(state, SIDE_WIDTH)]

    def winlist_click(row: int) -> None:
        if 0 <= row < len(state.windows):  # a row of the list is a window, in order
            chat.switch(row)

    body = VSplit([
        ConditionalContainer(RowsView(winlist, width=SIDE_WIDTH, on_click=winlist_click), show_winlist),
        ConditionalContainer(Window(width=1, char="\u2502", style="class:separator"), show_winlist),
        DynamicContainer(lambda: chat.shown_pane().container),
        ConditionalContainer(Window(width=1, char="\u2502", style="class:separator"), show_nicklist),
        ConditionalContainer(RowsView(lambda: nicklist_fragments(state, state.current_window, SIDE_WIDTH),
                                      width=SIDE_WIDTH), show_nicklist),
    ])
    return FloatContainer(
        HSplit([
            RowsView(lambda: status_bar(chat), height=1, style="class:status"),
            body,
            RowsView(lambda: topic_bar(chat), height=1, style="class:topicbar"),
            chat.input,
        ]),
        floats=[Float(xcursor=True, ycursor=True, content=CompletionsMenu(max_height=8, scroll_offset=1))],
    )


def prompt_text(chat: ChatApp) -> StyleAndTextTuples:
    """The prompt left of the input: the window the line goes to, or that Ctrl-R is searching."""
    window = chat.state.current_window
    name = "server" if window.kind is WindowKind.SERVER else window.name
    return [("bold", "(search) " if chat.searching is not None else f"[{name}] ")]


def status_bar(chat: ChatApp) -> StyleAndTextTuples:
    state, settings = chat.state, chat.settings
    lag = f"lag {state.lag * 1000:.0f}ms" if state.lag is not None else "lag -"
    away = " (away)" if state.away else ""
    account = f" [{state.account}]" if state.account else ""
    tls = " tls" if settings.tls else ""
    if settings.tls and settings.tls_insecure:
        tls = " tls (certificate NOT checked)"
    text = (f" chat-client | {settings.host}:{settings.port}{tls} | {state.nick}{account}{away} | "
            f"{state.status} | {lag}")
    style = "class:status" if state.status == "connected" else "class:status.state.bad"
    return [(style, fit(text, _columns()))]


def topic_bar(chat: ChatApp) -> StyleAndTextTuples:
    """The window's name and topic; or a question waiting for a key (paste, quit), or the search's title."""
    width = _columns()
    if chat.pending_paste is not None:
        lines = len(chat.pending_paste)
        count = chat.message_count(chat.pending_paste)
        text = (f" Send {count} message{'s' if count != 1 else ''} "
                f"({lines} pasted line{'s' if lines != 1 else ''})? Enter or Ctrl-Y sends, Ctrl-N cancels")
        return [("class:confirm", fit(text, width))]
    if chat.quit_armed:
        return [("class:confirm", fit(" Press Ctrl-C again to quit (or type /quit)", width))]
    if chat.lastlog is not None:
        return [("class:confirm", fit(chat.lastlog.title(chat.searching is not None), width))]
    window = chat.state.current_window
    label = window_label(chat.state.current, window)
    topic = f"  {window.topic}" if window.topic else ""
    if window.kind is WindowKind.CHANNEL and not window.joined:
        topic = "  (not joined)" + topic
    pane = chat.shown_pane()
    more = "" if pane.at_bottom else f" -- more: {pane.lines_below} below (PgDn) -- "
    left = fit(f" {label}{topic}", max(0, width - text_width(more)))
    return [("class:topicbar", left), ("class:topicbar.more", more)]
