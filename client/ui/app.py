"""The full-screen Application: layout, key bindings, and the glue between input, state and network."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from prompt_toolkit.application import Application
from prompt_toolkit.buffer import Buffer
from prompt_toolkit.history import FileHistory, History, InMemoryHistory
from prompt_toolkit.input import Input
from prompt_toolkit.layout import Layout
from prompt_toolkit.output import Output

from ..actions import Context
from ..commands import is_secret, parse_input
from ..config import Settings
from ..net import Network
from ..session import Identity, Session
from ..state import ClientState, LineKind, WindowKind
from .completion import ChatCompleter
from .inputline import InputLine
from .keeper import Keeper
from .keys import build_keys
from .lastlog import Lastlog
from .layout import build_root, prompt_text
from .panes import Pane
from .perform import KEYS_HELP, perform
from .render import STYLE

__all__ = ["KEYS_HELP", "ChatApp"]

QUIT_AGAIN_SECONDS = 2.0

def _history(path: Path | None) -> History:
    if path is None:
        return InMemoryHistory()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(exist_ok=True)
    except OSError:
        return InMemoryHistory()
    return FileHistory(str(path))


class ChatApp:
    """The client as one object: state, session, network and screen."""

    def __init__(self, settings: Settings, *, input: Input | None = None, output: Output | None = None) -> None:
        self.settings = settings
        self.state = ClientState(nick=settings.nick, server=settings.host)
        identity = Identity(settings.nick, settings.username, settings.realname, settings.password,
                            settings.account, settings.account_password, list(settings.channels),
                            secure=settings.tls, allow_plaintext_password=settings.allow_plaintext_password)
        self.session = Session(self.state, identity)
        self.net = Network(self.session, settings.host, settings.port, tls=settings.tls,
                           tls_insecure=settings.tls_insecure,
                           tls_ca=str(settings.tls_ca) if settings.tls_ca else None,
                           reconnect_max=settings.reconnect_max, on_change=self.refresh)
        self.keeper = Keeper(settings, self.session, self.net)
        self.panes: dict[int, Pane] = {}
        self.pending_paste: list[str] | None = None
        self.lastlog: Lastlog | None = None
        self.searching: str | None = None  # while Ctrl-R searches: the input line it put aside
        self._quit_armed_at = -QUIT_AGAIN_SECONDS  # when Ctrl-C on an empty line was last pressed
        # The prompt is drawn by the input line itself, fixed at the left: the text scrolls under it.
        self.input = InputLine(prompt=lambda: prompt_text(self), history=_history(settings.history_file),
                               completer=ChatCompleter(self.state), accept_handler=self._accept)
        self.input.buffer.on_text_changed += self._search_changed
        self.app: Application[None] = Application(
            layout=Layout(build_root(self), focused_element=self.input),
            key_bindings=build_keys(self), style=STYLE, full_screen=True, mouse_support=True,
            input=input, output=output,
        )
        self.refresh()

    # -- panes and search -------------------------------------------------------

    def shown_pane(self) -> Pane:
        """The lastlog overlay when one is open on this window, otherwise the window's own pane."""
        if self.lastlog is not None and self.lastlog.source is self.state.current_window:
            return self.lastlog.pane
        return self.current_pane()

    def start_search(self) -> None:
        """Ctrl-R: the input line becomes the search text; matches show as you type."""
        if self.searching is None:
            self.searching = self.input.text
            self.lastlog = Lastlog(self.state.current_window)
            self.input.buffer.reset()
        self.app.invalidate()

    def _search_changed(self, _: Buffer) -> None:
        if self.searching is not None and self.lastlog is not None:
            self.lastlog.update(self.input.text)

    def close_search(self, *, keep: bool = False) -> None:
        """Leave Ctrl-R (the typed line comes back); keep: the matches stay shown, else they close."""
        if self.searching is not None:
            saved, self.searching = self.searching, None
            self.input.buffer.reset()
            self.input.buffer.insert_text(saved)
        if not keep:
            self.lastlog = None
        self.app.invalidate()

    def current_pane(self) -> Pane:
        return self._pane_for(self.state.current)

    def _pane_for(self, index: int) -> Pane:
        window = self.state.windows[index]
        pane = self.panes.get(id(window))
        if pane is None or pane.window is not window:
            pane = self.panes[id(window)] = Pane(window)
        return pane

    def refresh(self) -> None:
        """Forget the panes of closed windows and ask for a redraw; panes rewrap themselves when drawn."""
        if self.lastlog is not None and self.lastlog.source is not self.state.current_window:
            self.close_search()  # another window is in view: the search was about the old one
        live = {id(w) for w in self.state.windows}
        for key in [k for k in self.panes if k not in live]:
            del self.panes[key]
        self.keeper.save_read()
        self.app.invalidate()

    # -- input ----------------------------------------------------------------

    def _accept(self, buffer: Buffer) -> bool:
        if self.searching is not None:
            self.close_search(keep=True)
            return True  # keep the restored line in the box
        text = buffer.text
        if is_secret(text):
            buffer.reset()  # emptied before the history is written: a password stays out of it
        self.submit(text)
        return False

    def message_count(self, lines: list[str]) -> int:
        """How many messages lines become: a long line is cut into several to fit the server's limit."""
        window = self.state.current_window
        target = window.name if window.kind is not WindowKind.SERVER else "*"
        return sum(1 if line.startswith("/") and not line.startswith("//") else
                   len(self.session.pieces(target, line)) for line in lines)

    def submit(self, text: str, *, ask: bool = False) -> None:
        """Run typed or pasted text; many messages (or ask, for a paste not ended by Enter) wait for a yes."""
        lines = [line for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n") if line.strip()]
        count = self.message_count(lines)
        if lines and (ask or (count > 1 and count > self.settings.paste_confirm_lines)):
            self.pending_paste = lines
            self.app.invalidate()
            return
        for line in lines:
            self.execute(line)

    def confirm_paste(self, send: bool) -> None:
        lines, self.pending_paste = self.pending_paste or [], None
        if send:
            for line in lines:
                self.execute(line)
        else:
            self.note(f"Paste of {len(lines)} lines cancelled", kind=LineKind.INFO)
        self.refresh()

    def note(self, text: str, *, kind: LineKind = LineKind.INFO) -> None:
        self.session.info(self.state.current_window, text, kind=kind)

    def execute(self, line: str) -> None:
        window = self.state.current_window
        ctx = Context(None if window.kind is WindowKind.SERVER else window.name,
                      window.kind is WindowKind.CHANNEL)
        for action in parse_input(line, ctx):
            perform(self, action)
        self.refresh()

    async def quit(self, reason: str = "Leaving") -> None:
        self.state.mark_current_read()  # the window in view was read: saved and sent before QUIT
        self.keeper.save_read()
        await self.net.quit(reason)
        if self.app.is_running:
            self.app.exit()

    @property
    def quit_armed(self) -> bool:
        """Whether a Ctrl-C on an empty line was pressed within the last QUIT_AGAIN_SECONDS."""
        return time.monotonic() - self._quit_armed_at < QUIT_AGAIN_SECONDS

    def arm_quit(self) -> None:
        """A first Ctrl-C on an empty line: say how to quit, and forget it after QUIT_AGAIN_SECONDS."""
        self._quit_armed_at = time.monotonic()
        asyncio.get_running_loop().call_later(QUIT_AGAIN_SECONDS, self.app.invalidate)
        self.app.invalidate()

    def switch(self, index: int) -> None:
        if self.state.switch(index):
            self.refresh()

    # -- running --------------------------------------------------------------

    async def _network(self) -> None:
        try:
            await self.net.run()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the UI must survive a network bug, and show it as a line
            self.session.info(self.state.server_window, f"Network task failed: {exc!r}", kind=LineKind.ERROR)
            self.state.status = "disconnected"
            self.refresh()

    def _start_network(self) -> None:
        self.app.create_background_task(self._network())

    async def run_async(self) -> None:
        """Run the screen and the network until the user quits."""
        self.session.info(self.state.server_window,
                          f"chat-client: connecting to {self.settings.host}:{self.settings.port} as "
                          f"{self.settings.nick}; type /help for commands and keys")
        try:
            await self.app.run_async(pre_run=self._start_network)
        finally:
            self.net.stop()
            self.state.mark_current_read()
            self.keeper.save_read()
