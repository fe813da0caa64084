"""The full-screen Application: layout, key bindings, and the glue between input, state and network."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from prompt_toolkit.application import Application, get_app
from prompt_toolkit.buffer import Buffer
from prompt_toolkit.filters import Condition
from prompt_toolkit.formatted_text import StyleAndTextTuples
from prompt_toolkit.history import FileHistory, History, InMemoryHistory
from prompt_toolkit.input import Input
from prompt_toolkit.layout import (
    ConditionalContainer,
    DynamicContainer,
    Float,
    FloatContainer,
    HSplit,
    Layout,
    VSplit,
    Window,
)
from prompt_toolkit.layout.controls import FormattedTextControl
from prompt_toolkit.layout.menus import CompletionsMenu
from prompt_toolkit.output import Output
from prompt_toolkit.widgets import TextArea

from server.protocol import Message

from ..commands import (
    COMMANDS,
    Clear,
    Close,
    Context,
    Help,
    LastlogSearch,
    LocalError,
    Open,
    Quit,
    Raw,
    Say,
    parse_input,
)
from ..config import Settings
from ..net import Network
from ..outgoing import Queued
from ..session import Identity, Session
from ..state import ClientState, LineKind, WindowKind
from .completion import ChatCompleter
from .keeper import Keeper
from .keys import build_keys
from .lastlog import Lastlog
from .panes import Pane, RowsView
from .render import STYLE, fit, nicklist_fragments, window_label, winlist_fragments

__all__ = ["KEYS_HELP", "ChatApp"]

QUIT_AGAIN_SECONDS = 2.0
SIDE_WIDTH = 15
WINLIST_MIN_COLUMNS = 50
NICKLIST_MIN_COLUMNS = 80

KEYS_HELP = (
    ("Enter", "send the line"),
    ("Up / Down", "input history (kept between runs)"),
    ("Tab", "complete a nick, #channel or /command"),
    ("Alt-1..9, Alt-0", "go to window 1..10"),
    ("Ctrl-N / Ctrl-P", "next / previous window"),
    ("Alt-A", "go to the most active window (mentions first)"),
    ("PgUp / PgDn, wheel", "scroll the messages; PgDn at the end returns to live"),
    ("Ctrl-R", "search this window's lines as you type; Enter keeps the result, Esc closes"),
    ("Esc", "close the /lastlog or Ctrl-R result"),
    ("Ctrl-C", "clear the input; on an empty input, twice within 2 s quits"),
)


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
                            settings.sasl_user, settings.sasl_password, list(settings.channels))
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
        # The prompt is its own Window, not the TextArea's prompt: a prompt inside the input scrolls
        # away horizontally with a line wider than the box, and stayed away after the line was sent.
        self.input = TextArea(
            height=1, multiline=False, wrap_lines=False,
            history=_history(settings.history_file), completer=ChatCompleter(self.state),
            complete_while_typing=False, accept_handler=self._accept, style="class:input",
        )
        self.input.buffer.on_text_changed += self._search_changed
        self.app: Application[None] = Application(
            layout=Layout(self._root(), focused_element=self.input),
            key_bindings=build_keys(self), style=STYLE, full_screen=True, mouse_support=True,
            input=input, output=output,
        )
        self.refresh()

    # -- layout ---------------------------------------------------------------

    def _columns(self) -> int:
        return get_app().output.get_size().columns

    def _root(self) -> FloatContainer:
        show_winlist = Condition(lambda: self._columns() >= WINLIST_MIN_COLUMNS)
        show_nicklist = Condition(
            lambda: self._columns() >= NICKLIST_MIN_COLUMNS and self.state.current_window.kind is WindowKind.CHANNEL
        )
        separator = Window(width=1, char="\u2502", style="class:separator")
        body = VSplit([
            ConditionalContainer(RowsView(self._winlist, width=SIDE_WIDTH, on_click=self._winlist_click), show_winlist),
            ConditionalContainer(separator, show_winlist),
            DynamicContainer(lambda: self.shown_pane().container),
            ConditionalContainer(Window(width=1, char="\u2502", style="class:separator"), show_nicklist),
            ConditionalContainer(RowsView(self._nicklist, width=SIDE_WIDTH), show_nicklist),
        ])
        return FloatContainer(
            HSplit([
                RowsView(self._status, height=1, style="class:status"),
                body,
                RowsView(self._topicbar, height=1, style="class:topicbar"),
                VSplit([Window(FormattedTextControl(self._prompt), dont_extend_width=True), self.input],
                       height=1),
            ]),
            floats=[Float(xcursor=True, ycursor=True, content=CompletionsMenu(max_height=8, scroll_offset=1))],
        )

    def _prompt(self) -> StyleAndTextTuples:
        window = self.state.current_window
        name = "server" if window.kind is WindowKind.SERVER else window.name
        return [("bold", "(search) " if self.searching is not None else f"[{name}] ")]

    def _status(self) -> StyleAndTextTuples:
        state = self.state
        lag = f"lag {state.lag * 1000:.0f}ms" if state.lag is not None else "lag -"
        away = " (away)" if state.away else ""
        tls = " tls" if self.settings.tls else ""
        if self.settings.tls and self.settings.tls_insecure:
            tls = " tls (certificate NOT checked)"
        text = (f" chat-client | {self.settings.host}:{self.settings.port}{tls} | {state.nick}{away} | "
                f"{state.status} | {lag}")
        style = "class:status" if state.status == "connected" else "class:status.state.bad"
        return [(style, fit(text, self._columns()))]

    def _topicbar(self) -> StyleAndTextTuples:
        width = self._columns()
        if self.pending_paste is not None:
            lines = len(self.pending_paste)
            count = self.message_count(self.pending_paste)
            text = (f" Send {count} message{'s' if count != 1 else ''} "
                    f"({lines} pasted line{'s' if lines != 1 else ''})? Enter or Ctrl-Y sends, Ctrl-N cancels")
            return [("class:confirm", fit(text, width))]
        if self.quit_armed:
            return [("class:confirm", fit(" Press Ctrl-C again to quit (or type /quit)", width))]
        if self.lastlog is not None:
            return [("class:confirm", fit(self.lastlog.title(self.searching is not None), width))]
        window = self.state.current_window
        label = window_label(self.state.current, window)
        topic = f"  {window.topic}" if window.topic else ""
        if window.kind is WindowKind.CHANNEL and not window.joined:
            topic = "  (not joined)" + topic
        pane = self.shown_pane()
        more = "" if pane.at_bottom else f" -- more: {pane.lines_below} below (PgDn) -- "
        left = fit(f" {label}{topic}", max(0, width - len(more)))
        return [("class:topicbar", left), ("class:topicbar.more", more)]

    def _winlist(self) -> StyleAndTextTuples:
        frags: StyleAndTextTuples = []
        for style, text, _ in winlist_fragments(self.state, SIDE_WIDTH):
            frags.append((style, text + "\n"))
        return frags

    def _winlist_click(self, row: int) -> None:
        if 0 <= row < len(self.state.windows):  # a row of the list is a window, in order
            self.switch(row)

    def _nicklist(self) -> StyleAndTextTuples:
        return nicklist_fragments(self.state, self.state.current_window, SIDE_WIDTH)

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
        self.submit(buffer.text)
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
            self._do(action)
        self.refresh()

    def _send(self, messages: list[Message]) -> bool:
        if self.net.send(messages):
            return True
        self.note(f"Not connected ({self.state.status}); nothing was sent", kind=LineKind.ERROR)
        return False

    def _do(self, action: object) -> None:
        if isinstance(action, Say):
            if self.net.connected and self.session.registered:
                self.net.send(self.session.say(action.target, action.text, action=action.action,
                                               notice=action.notice))
            else:
                waiting = self.session.queue(Queued(action.target, action.text, action.action, action.notice))
                self.note(f"Not connected ({self.state.status}): this line will be sent after the reconnect "
                          f"({waiting} waiting)", kind=LineKind.ERROR)
        elif isinstance(action, Raw):
            message = action.message
            if not (self.net.connected and self.session.registered):
                self.note(self.session.offline_command(message), kind=LineKind.ERROR)
            elif self._send([message]):
                if message.command == "JOIN" and message.params:
                    self.session.join_requested(message.params[0])
                elif message.command == "NAMES" and message.params:
                    self.session.names_requested(message.params[0])
                elif message.command == "WHOIS" and message.params:
                    self.session.whois_requested(message.params[-1], self.state.current_window)
                elif message.command == "AWAY":
                    self.session.away_requested(message.params[0] if message.params else None)
        elif isinstance(action, Open):
            _, messages = self.session.open_query(action.name, switch=True)
            if messages:
                self.net.send(messages)
        elif isinstance(action, Close):
            window = self.state.find(action.name)
            if window is not None:
                self.state.close(window)
        elif isinstance(action, Quit):
            self.app.create_background_task(self.quit(action.reason))
        elif isinstance(action, Clear):
            window = self.state.current_window
            window.lines.clear()
            window.msgids.clear()
            window.marker = None
            window.version += 1
        elif isinstance(action, Help):
            self._help()
        elif isinstance(action, LastlogSearch):
            self.close_search()
            self.lastlog = Lastlog(self.state.current_window, action.text)
        elif isinstance(action, LocalError):
            self.note(action.text, kind=LineKind.ERROR)

    def _help(self) -> None:
        self.note("Commands:")
        for spec in COMMANDS.values():
            self.note(f"  {spec.usage:<30} {spec.help}")
        self.note("Keys:")
        for key, what in KEYS_HELP:
            self.note(f"  {key:<20} {what}")

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
