"""Key bindings: window switching, scrolling, paste confirmation, and Ctrl-C that asks before quitting."""

from __future__ import annotations

from typing import TYPE_CHECKING

from prompt_toolkit.filters import Condition
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent
from prompt_toolkit.keys import Keys

if TYPE_CHECKING:
    from .app import ChatApp

__all__ = ["build_keys"]


def build_keys(chat: ChatApp) -> KeyBindings:
    """Every key of the client; handlers only change state and never wait for the network."""
    kb = KeyBindings()
    confirming = Condition(lambda: chat.pending_paste is not None)
    overlay = Condition(lambda: chat.lastlog is not None)

    for digit in "1234567890":
        @kb.add("escape", digit)
        def _goto(event: KeyPressEvent, digit: str = digit) -> None:
            chat.switch(int(digit) - 1 if digit != "0" else 9)

    @kb.add("c-n", filter=~confirming)
    def _next(event: KeyPressEvent) -> None:
        chat.state.switch_relative(1)
        chat.refresh()

    @kb.add("c-p")
    def _prev(event: KeyPressEvent) -> None:
        chat.state.switch_relative(-1)
        chat.refresh()

    @kb.add("escape", "a")
    def _active(event: KeyPressEvent) -> None:
        index = chat.state.most_active()
        if index is not None:
            chat.switch(index)

    @kb.add("pageup")
    def _page_up(event: KeyPressEvent) -> None:
        chat.shown_pane().page(-1)

    @kb.add("pagedown")
    def _page_down(event: KeyPressEvent) -> None:
        chat.shown_pane().page(1)

    @kb.add("c-r")
    def _search(event: KeyPressEvent) -> None:
        chat.start_search()

    @kb.add("escape", filter=overlay)
    @kb.add("c-g", filter=overlay)
    def _close_search(event: KeyPressEvent) -> None:
        chat.close_search()

    @kb.add("c-y", filter=confirming)
    def _paste_yes(event: KeyPressEvent) -> None:
        chat.confirm_paste(True)

    @kb.add("enter", filter=confirming)
    def _paste_enter(event: KeyPressEvent) -> None:
        chat.confirm_paste(True)

    @kb.add("c-n", filter=confirming)
    def _paste_no(event: KeyPressEvent) -> None:
        chat.confirm_paste(False)

    @kb.add("c-c")
    def _interrupt(event: KeyPressEvent) -> None:
        if chat.pending_paste is not None:
            chat.confirm_paste(False)
        elif chat.lastlog is not None:
            chat.close_search()
        elif chat.input.text:
            chat.input.buffer.reset()
        elif chat.quit_armed:
            chat.app.create_background_task(chat.quit("Leaving"))
        else:
            # One Ctrl-C too many (the first cleared the line) must not end the session.
            chat.arm_quit()

    @kb.add(Keys.BracketedPaste)
    def _paste(event: KeyPressEvent) -> None:
        data = event.data.replace("\r\n", "\n").replace("\r", "\n")
        if "\n" not in data.strip("\n"):
            chat.input.buffer.insert_text(data.strip("\n"))
            return
        buffer = chat.input.buffer
        text = buffer.document.text_before_cursor + data + buffer.document.text_after_cursor
        buffer.reset()
        # Without a final newline the user has not pressed Enter yet: ask instead of sending.
        chat.submit(text, ask=not data.endswith("\n"))

    return kb
