"""Pure client state: windows, their lines, unread and mention counts, read positions, nick lists."""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum, IntEnum

from server.protocol import casefold, is_channel

__all__ = [
    "MAX_LINES",
    "Activity",
    "ClientState",
    "Line",
    "LineKind",
    "Member",
    "Window",
    "WindowKind",
    "sanitize",
]

MAX_LINES = 5000
SERVER_WINDOW = "*server*"

_FORMATTING = re.compile(r"\x03(?:\d{1,2}(?:,\d{1,2})?)?|[\x02\x0f\x11\x16\x1d\x1e\x1f]")
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_NICK_CHARS = r"A-Za-z0-9\[\]\\`_^{|}\-"


def sanitize(text: str) -> str:
    """Drop mIRC formatting codes and control characters, so a line renders as one row of text."""
    text = _FORMATTING.sub("", text).replace("\t", "    ")
    return _CONTROL.sub("", text)


class WindowKind(Enum):
    SERVER = "server"
    CHANNEL = "channel"
    QUERY = "query"


class LineKind(Enum):
    MESSAGE = "message"
    ACTION = "action"
    NOTICE = "notice"
    EVENT = "event"
    INFO = "info"
    ERROR = "error"


class Activity(IntEnum):
    """How important the unseen lines of a window are (WeeChat's notify levels)."""

    NONE = 0
    LOW = 1
    MESSAGE = 2
    MENTION = 3


@dataclass(slots=True)
class Line:
    time: datetime
    kind: LineKind
    text: str
    nick: str | None = None
    own: bool = False
    mention: bool = False
    msgid: str | None = None


@dataclass(slots=True)
class Member:
    nick: str
    prefixes: str = ""


@dataclass(eq=False)
class Window:
    """One IRC window: the server window, a channel or a query."""

    name: str
    kind: WindowKind
    lines: deque[Line] = field(default_factory=lambda: deque(maxlen=MAX_LINES))
    unread: int = 0
    mentions: int = 0
    activity: Activity = Activity.NONE
    members: dict[str, Member] = field(default_factory=dict)
    topic: str = ""
    joined: bool = False
    speakers: list[str] = field(default_factory=list)
    msgids: set[str] = field(default_factory=set)
    dropped: int = 0
    version: int = 0
    # The time of the last line read: when the user left the window, from an earlier run, or
    # from the server's MARKREAD (another client of the same user).
    read_time: datetime | None = None
    first_unseen: Line | None = None  # the first line that raised the activity while elsewhere
    marker: Line | None = None  # the first unread line, drawn under a "--- unread ---" rule

    @property
    def key(self) -> str:
        return casefold(self.name)

    def add(self, line: Line, *, by_time: bool = False) -> bool:
        """Append a line (replayed history: insert it by time); False if its msgid was seen already."""
        if line.msgid is not None:
            if line.msgid in self.msgids:
                return False
            self.msgids.add(line.msgid)
        if len(self.lines) == self.lines.maxlen:
            old = self.lines[0]
            if old.msgid is not None:
                self.msgids.discard(old.msgid)
            self.dropped += 1
            if old is self.marker:
                self.marker = None
        if by_time and self.lines and line.time < self.lines[-1].time:
            index = len(self.lines)
            while index > 0 and self.lines[index - 1].time > line.time:
                index -= 1
            if len(self.lines) == self.lines.maxlen:
                self.lines.popleft()
                index = max(0, index - 1)
            self.lines.insert(index, line)
        else:
            self.lines.append(line)
        self.version += 1
        return True

    def place_marker(self, line: Line | None) -> None:
        """Put the unread rule above line (None: no rule)."""
        if line is not None and not any(candidate is line for candidate in self.lines):
            line = None  # it fell off the top of the scrollback
        if line is not self.marker:
            self.marker = line
            self.version += 1

    def mark_read(self) -> bool:
        """Everything in the window is read now; True when the read time moved forward."""
        self.first_unseen = None
        if self.marker is not None:
            self.marker = None
            self.version += 1
        # A server's line (it has a msgid) gives a time the server knows, as MARKREAD wants;
        # our own notes ("You joined") carry the local clock.
        last = next((line.time for line in reversed(self.lines) if line.msgid is not None), self.last_time())
        if last is not None and (self.read_time is None or last > self.read_time):
            self.read_time = last
            return True
        return False

    def read_elsewhere(self, when: datetime) -> bool:
        """The server says the user read up to when (another client of theirs); True if that is news."""
        if self.read_time is not None and when <= self.read_time:
            return False
        self.read_time = when
        return True

    def spoke(self, nick: str) -> None:
        """Remember nick as the most recent speaker, for Tab completion."""
        folded = casefold(nick)
        self.speakers = [folded, *[n for n in self.speakers if n != folded][:49]]

    def sorted_members(self, prefix_order: str) -> list[Member]:
        """Members by their highest prefix (in prefix_order, e.g. "@+"), then by casefolded nick."""

        def rank(member: Member) -> tuple[int, str]:
            ranks = [prefix_order.index(p) for p in member.prefixes if p in prefix_order]
            return (min(ranks) if ranks else len(prefix_order), casefold(member.nick))

        return sorted(self.members.values(), key=rank)

    def last_time(self) -> datetime | None:
        return self.lines[-1].time if self.lines else None


@dataclass
class ClientState:
    """Everything the screen shows, updated by the session and read by the UI; no I/O."""

    nick: str
    server: str = ""
    status: str = "disconnected"
    lag: float | None = None
    away: bool = False
    account: str | None = None  # the account the server says we are logged in to (900), if any
    caps: set[str] = field(default_factory=set)
    prefix_modes: str = "ov"
    prefix_symbols: str = "@+"
    windows: list[Window] = field(default_factory=list)
    current: int = 0
    version: int = 0
    # Read times from earlier runs (casefolded window name -> time), for windows opened later.
    read_times: dict[str, datetime] = field(default_factory=dict)
    # Windows whose read time moved since the UI last saved it (and told the server).
    read_changed: list[Window] = field(default_factory=list)
    # Told of every line added (replayed history: True), for the log files; no I/O here.
    on_line: Callable[[Window, Line, bool], None] | None = None

    def __post_init__(self) -> None:
        if not self.windows:
            self.windows.append(Window(SERVER_WINDOW, WindowKind.SERVER))

    @property
    def server_window(self) -> Window:
        return self.windows[0]

    @property
    def current_window(self) -> Window:
        return self.windows[self.current]

    def find(self, name: str) -> Window | None:
        key = casefold(name)
        for window in self.windows:
            if window.kind is not WindowKind.SERVER and window.key == key:
                return window
        return None

    def open(self, name: str, *, switch: bool = False) -> Window:
        """Return the window for a channel or nick, creating it after the others if needed."""
        window = self.find(name)
        if window is None:
            kind = WindowKind.CHANNEL if is_channel(name) else WindowKind.QUERY
            window = Window(name, kind, read_time=self.read_times.get(casefold(name)))
            self.windows.append(window)
        if switch:
            self.switch(self.windows.index(window))
        self.version += 1
        return window

    def close(self, window: Window) -> None:
        if window.kind is WindowKind.SERVER or window not in self.windows:
            return
        index = self.windows.index(window)
        current = self.current_window
        if current is window:
            self._leave(window)
        self.windows.remove(window)
        if current is window:
            self.current = min(index, len(self.windows) - 1)
            self._arrive(self.current_window)
        else:
            self.current = self.windows.index(current)
        self.version += 1

    def switch(self, index: int) -> bool:
        if not 0 <= index < len(self.windows):
            return False
        self._leave(self.current_window)
        self.current = index
        self._arrive(self.windows[index])
        self.version += 1
        return True

    def _leave(self, window: Window) -> None:
        if window.mark_read():
            self.note_read(window)

    def _arrive(self, window: Window) -> None:
        """Coming back to a window that got lines meanwhile (and only then) draws the unread rule."""
        if window.first_unseen is not None:
            window.place_marker(window.first_unseen)
            window.first_unseen = None
        window.unread = 0
        window.mentions = 0
        window.activity = Activity.NONE

    def note_read(self, window: Window) -> None:
        """Remember that window's read time changed, for the UI to save and send."""
        if window.read_time is not None:
            self.read_times[window.key] = window.read_time
        if window not in self.read_changed:
            self.read_changed.append(window)

    def mark_current_read(self) -> None:
        """On quitting: the window in view has been read."""
        self._leave(self.current_window)

    def take_read_changes(self) -> list[Window]:
        changed, self.read_changed = self.read_changed, []
        return changed

    def read_elsewhere(self, name: str, when: datetime) -> None:
        """Another client of the user read name up to when: clear what that covers."""
        window = self.find(name)
        if window is None:
            key = casefold(name)
            if key not in self.read_times or when > self.read_times[key]:
                self.read_times[key] = when
            return
        if not window.read_elsewhere(when):
            return
        self.read_times[window.key] = when
        last = max((line.time for line in window.lines if not line.own), default=None)
        if window is not self.current_window and (last is None or last <= when):
            window.unread = window.mentions = 0
            window.activity = Activity.NONE
            window.first_unseen = None
            window.place_marker(None)
            self.version += 1

    def switch_relative(self, step: int) -> None:
        self.switch((self.current + step) % len(self.windows))

    def most_active(self) -> int | None:
        """Index of the window to jump to with Alt-A: mentions first, then messages, then the rest."""
        best: tuple[int, int] | None = None
        for index, window in enumerate(self.windows):
            if index == self.current or window.activity is Activity.NONE:
                continue
            score = (int(window.activity), -index)
            if best is None or score > best:
                best = score
        return None if best is None else -best[1]

    def is_mention(self, text: str) -> bool:
        """Whether text names our nick as a whole word, compared casefolded."""
        nick = re.escape(casefold(self.nick))
        return re.search(rf"(?<![{_NICK_CHARS}]){nick}(?![{_NICK_CHARS}])", casefold(text)) is not None

    def add_line(self, window: Window, line: Line, *, count: bool = True, by_time: bool = False) -> bool:
        """Add a line to a window and raise its activity when it is not the current one."""
        if not window.add(line, by_time=by_time):
            return False
        self.version += 1
        if self.on_line is not None:
            self.on_line(window, line, by_time)
        if not count or line.own or window is self.current_window:
            return True
        if window.first_unseen is None:
            window.first_unseen = line
        if line.kind in (LineKind.EVENT, LineKind.INFO):
            window.activity = max(window.activity, Activity.LOW)
            return True
        window.unread += 1
        if line.mention or (window.kind is WindowKind.QUERY and line.kind is not LineKind.ERROR):
            window.mentions += 1
            window.activity = Activity.MENTION
        else:
            window.activity = max(window.activity, Activity.MESSAGE)
        return True

    def member_prefixes(self, raw: str) -> tuple[str, str]:
        """Split "@+nick" from NAMES into ("@+", "nick")."""
        index = 0
        while index < len(raw) and raw[index] in self.prefix_symbols:
            index += 1
        return raw[:index], raw[index:]

    def set_prefix(self, window: Window, nick: str, mode: str, adding: bool) -> None:
        member = window.members.get(casefold(nick))
        if member is None or mode not in self.prefix_modes:
            return
        symbol = self.prefix_symbols[self.prefix_modes.index(mode)]
        if adding and symbol not in member.prefixes:
            member.prefixes = "".join(s for s in self.prefix_symbols if s in member.prefixes + symbol)
        elif not adding:
            member.prefixes = member.prefixes.replace(symbol, "")
        window.version += 1

    def windows_with(self, nick: str) -> list[Window]:
        """Channel windows where nick is a member, and the query window with nick."""
        key = casefold(nick)
        return [w for w in self.windows if key in w.members or (w.kind is WindowKind.QUERY and w.key == key)]
