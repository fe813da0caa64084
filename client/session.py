"""The sans-I/O IRC session: incoming messages applied to ClientState, and what the user says sent out."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from server.protocol import Message, casefold, is_channel

from .login import mask_secret
from .outgoing import Outgoing, Queued
from .registration import WANTED_CAPS, Identity, nick_of, parse_time
from .state import ClientState, Line, LineKind, Member, Window, WindowKind, sanitize

__all__ = ["WANTED_CAPS", "Identity", "Queued", "Session"]

HISTORY_LINES = 100
READ_MARKER = "draft/read-marker"


def format_time(when: datetime) -> str:
    """server-time's format: UTC with milliseconds and a Z."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


class Session(Outgoing):
    """Feeds server messages into ClientState and answers with messages to send; does no I/O."""

    def __init__(self, state: ClientState, identity: Identity,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        super().__init__(state, identity, now)
        self._retry_line: Line | None = None
        self._retry_attempts = 0
        self._batches: dict[str, tuple[str, str]] = {}
        self._history_floor: dict[str, datetime | None] = {}
        self._history_new: dict[str, list[Line]] = {}  # per batch: replayed lines newer than the floor
        self._join_prior: dict[str, datetime | None] = {}  # a joined window's last line before the join

    # -- connection lifecycle -------------------------------------------------

    def start(self) -> list[Message]:
        self._batches.clear()
        self._whois.clear()
        return super().start()

    def disconnected(self, reason: str) -> None:
        """Note a lost connection; channel windows stay open (with no nick list) and are rejoined on reconnect."""
        self.registered = False
        self.state.lag = None
        for window in self.state.windows:
            if window.kind is WindowKind.CHANNEL and window.joined:
                window.joined = False
                self.autojoin_add(window.name)
            if window.members:
                window.members.clear()  # who is there is unknown until the rejoin's NAMES
                window.version += 1
        # The status bar already says it; a Disconnected line must not make any window look unread.
        for window in self.state.windows:
            self.info(window, f"Disconnected: {reason}", kind=LineKind.ERROR, count=False)
        self._retry_line = None
        self.state.version += 1

    def connect_failed(self, reason: str) -> None:
        """One status line for failed attempts, rewritten each time: no new lines, no unread count."""
        window = self.state.server_window
        line = self._retry_line
        if line is not None and window.lines and window.lines[-1] is line:
            self._retry_attempts += 1
            line.text = sanitize(f"{reason} (attempt {self._retry_attempts})")
            line.time = self.now()
            window.version += 1
            self.state.version += 1
            return
        self._retry_attempts = 1
        self._retry_line = Line(self.now(), LineKind.ERROR, sanitize(f"{reason} (attempt 1)"))
        self.state.add_line(window, self._retry_line, count=False)

    def welcomed(self) -> list[Message]:
        """Once registered: rejoin the open channels, mark away again, send queued private lines."""
        self._retry_line = None
        out: list[Message] = super().welcomed()  # Login: NickServ IDENTIFY when there is no SASL
        channels = [c for c in self.autojoin if c]
        if self.state.current == 0 and channels:
            self._switch_on_join.add(casefold(channels[0]))
        if channels:
            out.append(Message("JOIN", (",".join(channels),)))
        if self.away_message:
            # The server forgot; the status bar still says away, so make it true again.
            out.append(Message("AWAY", (self.away_message,)))
        for window in self.state.windows:  # what was said to us while we were away
            if window.kind is WindowKind.QUERY:
                out += self.fetch_history(window.name)
        return out + self._flush_joins() + self.ready_for_private()

    def fetch_history(self, target: str) -> list[Message]:
        """Ask for the latest lines of a channel or conversation, when the server keeps history."""
        if self.registered and ("chathistory" in self.state.caps or "draft/chathistory" in self.state.caps):
            return [Message("CHATHISTORY", ("LATEST", target, "*", str(HISTORY_LINES)))]
        return []

    def open_query(self, nick: str, *, switch: bool = False) -> tuple[Window, list[Message]]:
        """The private window with nick; a new one asks for the conversation's history, as a join does."""
        window = self.state.find(nick)
        if window is not None:
            if switch:
                self.state.switch(self.state.windows.index(window))
            return window, []
        window = self.state.open(nick, switch=switch)
        if window.kind is not WindowKind.QUERY:
            return window, []
        # The server sends a channel's read marker on join; a nick's must be asked for.
        ask = [Message("MARKREAD", (nick,))] if self.registered and READ_MARKER in self.state.caps else []
        return window, ask + self.fetch_history(nick)

    def markread(self, windows: list[Window]) -> list[Message]:
        """Tell the server (draft/read-marker) how far the user read these windows."""
        if not self.registered or READ_MARKER not in self.state.caps:
            return []
        return [Message("MARKREAD", (w.name, "timestamp=" + format_time(w.read_time)))
                for w in windows if w.read_time is not None and w.kind is not WindowKind.SERVER]

    def _on_MARKREAD(self, msg: Message) -> list[Message]:
        if len(msg.params) >= 2 and msg.params[1].startswith("timestamp="):
            when = parse_time({"time": msg.params[1].removeprefix("timestamp=")}, lambda: datetime.min)
            if when is not datetime.min:
                self.state.read_elsewhere(msg.params[0], when)
        return []

    def autojoin_add(self, name: str) -> None:
        if casefold(name) not in {casefold(c) for c in self.autojoin}:
            self.autojoin.append(name)

    # -- incoming -------------------------------------------------------------

    def handle(self, msg: Message) -> list[Message]:
        """Apply one message from the server; return what to send back."""
        handler = getattr(self, "_on_" + msg.command, None)
        if handler is not None:
            result: list[Message] = handler(msg)
        elif msg.command.isdigit():
            result = self._numeric(msg)
        else:
            result = []
        self.state.version += 1
        return result

    def _history_batch(self, msg: Message) -> str | None:
        batch = msg.tags.get("batch")
        if batch and batch in self._batches and self._batches[batch][0].endswith("chathistory"):
            return self._batches[batch][1]
        return None

    def _add(self, window: Window, line: Line, msg: Message) -> None:
        """Add a message line; replayed history is unread only when newer than what we had seen."""
        target = self._history_batch(msg)
        count = True
        if target is not None:
            floor = self._history_floor.get(casefold(target))
            count = floor is not None and line.time > floor
            line.mention = line.mention and count
        added = self.state.add_line(window, line, count=count, by_time=target is not None)
        batch = msg.tags.get("batch")
        if added and count and target is not None and batch in self._history_new:
            self._history_new[batch].append(line)

    def _on_BATCH(self, msg: Message) -> list[Message]:
        if not msg.params:
            return []
        ref = msg.params[0]
        if ref.startswith("+") and len(msg.params) >= 2:
            target = msg.params[2] if len(msg.params) > 2 else ""
            self._batches[ref[1:]] = (msg.params[1].lower(), target)
            if msg.params[1].lower().endswith("chathistory"):
                self._history_floor[casefold(target)] = self._floor(target)
                self._history_new[ref[1:]] = []
        elif ref.startswith("-"):
            _, target = self._batches.pop(ref[1:], ("", ""))
            new = self._history_new.pop(ref[1:], [])
            window = self.state.find(target)
            if new and window is not None and window.marker is None:
                window.place_marker(min(new, key=lambda line: line.time))
        return []

    def _floor(self, target: str) -> datetime | None:
        """Replayed lines after this time are new to the user: the later of what the window held
        before the join (or now) and the read position from an earlier run or the server."""
        window = self.state.find(target)
        if window is None:
            return None
        prior = self._join_prior.pop(window.key, window.last_time())
        known = [t for t in (prior, window.read_time) if t is not None]
        return max(known) if known else None


    def _on_PRIVMSG(self, msg: Message) -> list[Message]:
        return self._message(msg, notice=False)

    def _on_NOTICE(self, msg: Message) -> list[Message]:
        return self._message(msg, notice=True)

    def _message(self, msg: Message, *, notice: bool) -> list[Message]:
        if len(msg.params) < 2:
            return []
        target, text = msg.params[0], msg.params[1]
        nick = nick_of(msg.source)
        own = casefold(nick) == casefold(self.state.nick)
        from_server = msg.source is None or ("!" not in msg.source and "." in msg.source)
        window: Window
        out: list[Message] = []
        if is_channel(target):
            window = self.state.find(target) or self.state.open(target)
        elif own:
            window, out = self.open_query(target)
        elif notice and (from_server or self.state.find(nick) is None):
            window = self.state.server_window
        else:
            window, out = self.open_query(nick)
        if self._history_batch(msg) is not None:
            out = []  # a replayed line reopening a closed query must not ask for the history again
        if own and self.is_nickserv(target):
            text = mask_secret(text)  # our echoed REGISTER/IDENTIFY must not show the password
        kind = LineKind.NOTICE if notice else LineKind.MESSAGE
        if text.startswith("\x01"):
            ctcp = text.strip("\x01")
            verb, _, rest = ctcp.partition(" ")
            if verb.upper() != "ACTION":
                if not notice:
                    self.info(self.state.server_window, f"CTCP {verb.upper()} from {nick}")
                return out
            kind, text = LineKind.ACTION, rest
        line = Line(
            parse_time(dict(msg.tags), self.now), kind, sanitize(text), nick or None, own=own,
            mention=not own and self.state.is_mention(text), msgid=msg.tags.get("msgid"),
        )
        if not own and nick and window.kind is not WindowKind.SERVER:
            window.spoke(nick)
        self._add(window, line, msg)
        return out

    def _on_JOIN(self, msg: Message) -> list[Message]:
        if not msg.params:
            return []
        channel = msg.params[0]
        nick = nick_of(msg.source)
        if casefold(nick) == casefold(self.state.nick):
            switch = casefold(channel) in self._switch_on_join
            self._switch_on_join.discard(casefold(channel))
            existing = self.state.find(channel)
            self._join_prior[casefold(channel)] = existing.last_time() if existing is not None else None
            window = self.state.open(channel, switch=switch)
            window.joined = True
            window.members.clear()
            self._names_pending.discard(window.key)
            self.info(window, f"You joined {channel}", kind=LineKind.EVENT, count=False)
            out = self.fetch_history(channel) if self._history_batch(msg) is None else []
            return out + self._flush_queued(lambda target: casefold(target) == window.key)
        found = self.state.find(channel)
        if found is None:
            return []
        window = found
        if self._history_batch(msg) is None:
            window.members[casefold(nick)] = window.members.get(casefold(nick)) or Member(nick)
            window.version += 1
        self._add(window, Line(parse_time(dict(msg.tags), self.now), LineKind.EVENT, f"{nick} joined",
                               msgid=msg.tags.get("msgid")), msg)
        return []

    def _on_PART(self, msg: Message) -> list[Message]:
        if not msg.params:
            return []
        channel = msg.params[0]
        nick = nick_of(msg.source)
        window = self.state.find(channel)
        if window is None:
            return []
        if self._history_batch(msg) is None and casefold(nick) == casefold(self.state.nick):
            window.joined = False
            self.autojoin = [c for c in self.autojoin if casefold(c) != window.key]
            self.state.close(window)
            return []
        reason = f" ({sanitize(msg.params[1])})" if len(msg.params) > 1 and msg.params[1] else ""
        if self._history_batch(msg) is None:
            window.members.pop(casefold(nick), None)
            window.version += 1
        self._add(window, Line(parse_time(dict(msg.tags), self.now), LineKind.EVENT, f"{nick} left{reason}",
                               msgid=msg.tags.get("msgid")), msg)
        return []

    def _on_KICK(self, msg: Message) -> list[Message]:
        if len(msg.params) < 2:
            return []
        channel, victim = msg.params[0], msg.params[1]
        window = self.state.find(channel)
        if window is None:
            return []
        reason = msg.params[2] if len(msg.params) > 2 else ""
        window.members.pop(casefold(victim), None)
        if casefold(victim) == casefold(self.state.nick):
            window.joined = False
            self.info(window, f"You were kicked from {channel} by {nick_of(msg.source)} ({reason})",
                      kind=LineKind.ERROR)
        else:
            self.info(window, f"{victim} was kicked by {nick_of(msg.source)} ({reason})", kind=LineKind.EVENT)
        return []

    def _on_QUIT(self, msg: Message) -> list[Message]:
        nick = nick_of(msg.source)
        reason = sanitize(msg.params[0]) if msg.params else ""
        target = self._history_batch(msg)
        if target is not None:
            window = self.state.find(target)
            if window is not None:
                self._add(window, Line(parse_time(dict(msg.tags), self.now), LineKind.EVENT,
                                       f"{nick} quit ({reason})", msgid=msg.tags.get("msgid")), msg)
            return []
        for window in self.state.windows_with(nick):
            window.members.pop(casefold(nick), None)
            window.version += 1
            self.info(window, f"{nick} quit ({reason})", kind=LineKind.EVENT,
                      when=parse_time(dict(msg.tags), self.now))
        return []

    def _on_NICK(self, msg: Message) -> list[Message]:
        if not msg.params:
            return []
        old, new = nick_of(msg.source), msg.params[0]
        if casefold(old) == casefold(self.state.nick):
            self.state.nick = new
            self.identity.nick = new
            self.info(self.state.server_window, f"You are now known as {new}", kind=LineKind.EVENT)
        for window in self.state.windows_with(old):
            member = window.members.pop(casefold(old), None)
            if member is not None:
                member.nick = new
                window.members[casefold(new)] = member
            if window.kind is WindowKind.QUERY and self.state.find(new) is None:
                window.name = new
            window.version += 1
            self.info(window, f"{old} is now known as {new}", kind=LineKind.EVENT)
        return []

    def _on_TOPIC(self, msg: Message) -> list[Message]:
        if len(msg.params) < 2:
            return []
        window = self.state.find(msg.params[0])
        if window is not None:
            window.topic = sanitize(msg.params[1])
            self.info(window, f"{nick_of(msg.source)} changed the topic to: {window.topic}", kind=LineKind.EVENT)
        return []

    def _on_MODE(self, msg: Message) -> list[Message]:
        if len(msg.params) < 2:
            return []
        target = msg.params[0]
        window = self.state.find(target) if is_channel(target) else None
        if window is None:
            self.info(self.state.server_window, f"Mode {' '.join(msg.params)}", kind=LineKind.EVENT)
            return []
        args = list(msg.params[2:])
        adding = True
        for ch in msg.params[1]:
            if ch in "+-":
                adding = ch == "+"
            elif ch in self.state.prefix_modes and args:
                self.state.set_prefix(window, args.pop(0), ch, adding)
            elif ch in "beIkfjl" and args and (adding or ch != "l"):
                args.pop(0)
        self.info(window, f"{nick_of(msg.source)} sets mode {' '.join(msg.params[1:])}", kind=LineKind.EVENT)
        return []

    def _on_AWAY(self, msg: Message) -> list[Message]:
        return []

    def _on_INVITE(self, msg: Message) -> list[Message]:
        channel = msg.params[-1] if msg.params else ""
        self.info(self.state.current_window, f"{nick_of(msg.source)} invites you to {channel} (/join {channel})")
        return []
