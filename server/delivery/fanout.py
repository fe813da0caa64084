"""Fanout: hands each logged event to the local connections that must see it.

One Fanout per worker process. It follows the log (``SharedLog.follow``) in log order,
so every member of a channel sees that channel's events in the same order.
Channel membership here is derived from the log itself (JOIN adds, PART,
KICK and QUIT remove), which keeps routing consistent with that order.

Under the broadcast lock it only encodes (once per entry) and appends bytes
to bounded queues; sends happen after the lock is released.

While a connection runs a labelled command it may ``hold`` its delivery: its
own events (the echo, its JOIN or NICK) are kept as Messages for the core to
wrap in the one labelled response, and whatever reaches it after the first of
them waits behind that response, which ``release`` queues in their place.
No hold, no cost: the delivery loop looks at holds only while one exists.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Sequence
from collections.abc import Set as AbstractSet
from typing import Final, Generic, Protocol, TypeVar

from server.log import Entry, Event
from server.log.multiline import MULTILINE, batch_capable, multiline_messages
from server.protocol import Message

from .outbound import Outbound

__all__ = ["Fanout", "Recipient"]

log = logging.getLogger(__name__)

DELIVERY_SLICE = 128

# Events only clients that asked for them get.
REQUIRED_CAP = {"TAGMSG": "message-tags", "AWAY": "away-notify", "SETNAME": "setname",
                "REDACT": "draft/message-redaction", "ACCOUNT": "account-notify", "MARKREAD": "draft/read-marker"}
MESSAGES = ("PRIVMSG", "NOTICE", "TAGMSG", MULTILINE)
RENAME_CAP = "draft/channel-rename"
# Events that do not take the one-line-per-wire-format path: RENAME's lines depend on more than the wire
# format (each recipient's are made apart); a multiline message has a wire format of its own.
QUEUED_APART: Final = frozenset({"RENAME", MULTILINE})


class Recipient(Protocol):
    conn_id: str
    outbound: Outbound

    @property
    def caps(self) -> AbstractSet[str]: ...

    def abort(self, reason: str) -> None: ...


R = TypeVar("R", bound=Recipient)


# How a recipient wants lines: server-time, message-tags, extended-join (for a multiline message: as one
# batch), account-tag.
Wire = tuple[bool, bool, bool, bool]


def _wire_formats(caps: AbstractSet[str]) -> tuple[Wire, Wire, Wire]:
    """A recipient's wire format for a JOIN, for a multiline message, and for any other line (where
    extended-join changes nothing)."""
    time, tags, account = "server-time" in caps, "message-tags" in caps, "account-tag" in caps
    return (time, tags, "extended-join" in caps, account), (time, tags, batch_capable(caps), account), (
        time, tags, False, account)


def _multiline_bytes(entry: Entry, wire: Wire) -> bytes:
    """A multiline message's lines in ``wire``'s format: a batch, or the lines one by one."""
    return b"".join(m.to_bytes() for m in multiline_messages(entry, wire[0], wire[1], wire[3], wire[2]))


class _Hold:
    """One connection's delivery held back while its labelled command runs."""

    __slots__ = ("after_seq", "later", "later_bytes", "own", "own_seq")

    def __init__(self, after_seq: int) -> None:
        self.after_seq = after_seq  # its own events up to here answered earlier commands
        self.own: list[Message] = []  # its own events since: the labelled response
        self.own_seq = 0  # the newest of them (a message to oneself arrives twice: echo, then delivery)
        self.later: list[bytes] = []  # what reached it after the first of them
        self.later_bytes = 0


class Fanout(Generic[R]):
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self._conns: dict[str, R] = {}
        self._members: dict[str, set[str]] = {}  # casefolded channel -> local conn ids
        self._killed: list[tuple[R, str]] = []  # KILLed here, to be aborted once the lock is released
        self._holds: dict[str, _Hold] = {}  # conn id -> its held delivery, during a labelled command
        # conn id -> (the caps they were read from, its wire format for a JOIN, for anything else): a
        # session's caps are replaced, never changed in place, so "is" tells when to read them again.
        self._wires: dict[str, tuple[AbstractSet[str], Wire, Wire, Wire]] = {}
        self._delivered = 0
        self._progress = threading.Condition(threading.Lock())

    # -- local connections ---------------------------------------------------

    def add(self, conn: R) -> None:
        with self.lock:
            self._conns[conn.conn_id] = conn

    def remove(self, conn: R) -> None:
        with self.lock:
            self._conns.pop(conn.conn_id, None)
            self._holds.pop(conn.conn_id, None)
            self._wires.pop(conn.conn_id, None)
            empty = not self._conns
        if empty:
            with self._progress:
                self._progress.notify_all()

    def wait_empty(self, timeout: float) -> bool:
        """Block until every local connection has gone (at shutdown)."""
        with self._progress:
            return self._progress.wait_for(lambda: not self._conns, timeout)

    def connections(self) -> list[R]:
        with self.lock:
            return list(self._conns.values())

    def __len__(self) -> int:
        return len(self._conns)

    # -- labelled responses ----------------------------------------------------

    def hold(self, conn_id: str, after_seq: int) -> None:
        """Keep back ``conn_id``'s own events logged after ``after_seq``, and what follows them, until release."""
        with self.lock:
            if conn_id in self._conns:  # a connection closing meanwhile must not leave a hold behind
                self._holds[conn_id] = _Hold(after_seq)

    def held(self, conn_id: str) -> list[Message]:
        """The own events held so far (call once the command's entries are delivered)."""
        with self.lock:
            hold = self._holds.get(conn_id)
            return list(hold.own) if hold is not None else []

    def release(self, conn: R, lines: list[bytes]) -> bool:
        """Queue ``lines`` (the labelled response) and then what waited behind it; False if the SendQ overflowed."""
        with self.lock:
            hold = self._holds.pop(conn.conn_id, None)
            data = lines + hold.later if hold is not None else lines
            return not data or conn.outbound.put(b"".join(data))

    def _held_back(self, hold: _Hold, entry: Entry, conn_id: str, line: bytes,
                   wire: Wire, limit: int) -> list[bytes] | None:
        """What to queue for a held connection instead of ``line`` (lock held): None, the line itself; an empty
        list while it is held back. What waits behind the response counts against the SendQ's ``limit``:
        past it, it all goes to the SendQ in order, which then overflows as for any client that falls behind."""
        seq = entry.seq
        if seq > hold.after_seq and seq != hold.own_seq and entry.event.origin == conn_id:
            if entry.event.command == MULTILINE:
                hold.own.extend(multiline_messages(entry, wire[0], wire[1], wire[3], wire[2]))
            else:
                hold.own.append(entry.message(wire[0], wire[1], wire[2], account_tag=wire[3]))
            hold.own_seq = seq
            return []
        if not hold.own or hold.later_bytes < 0:
            return None
        if hold.later_bytes + len(line) <= limit:
            hold.later.append(line)
            hold.later_bytes += len(line)
            return []
        spilled, hold.later, hold.later_bytes = [*hold.later, line], [], -1
        return spilled

    # -- progress ------------------------------------------------------------

    @property
    def delivered(self) -> int:
        return self._delivered

    def start_at(self, seq: int) -> None:
        with self._progress:
            self._delivered = seq

    def wait_delivered(self, seq: int, timeout: float) -> bool:
        """Block until every entry up to ``seq`` has been queued to its recipients."""
        with self._progress:
            return self._progress.wait_for(lambda: self._delivered >= seq, timeout)

    # -- delivery ------------------------------------------------------------

    def deliver(self, entries: Sequence[Entry]) -> None:
        """Fan entries out in slices, flushing after each, so that a burst from the log
        neither holds the lock long nor fills a fast reader's SendQ before it is flushed."""
        for start in range(0, len(entries), DELIVERY_SLICE):
            self._deliver_slice(entries[start : start + DELIVERY_SLICE])

    def _deliver_slice(self, entries: Sequence[Entry]) -> None:
        if not entries:
            return
        # Each recipient's lines of the slice are joined and queued with one
        # put: per delivery only a list append, per recipient one lock.
        queued: dict[str, list[bytes]] = {}
        touched: list[R] = []
        overflowed: list[R] = []
        with self.lock:
            conns = self._conns
            holds = self._holds
            wires = self._wires
            for entry in entries:
                command = entry.event.command
                multiline = False
                if command in QUEUED_APART:
                    if command != MULTILINE:
                        self._queue_rename(entry, queued)
                        continue
                    multiline = True  # one batch for clients with draft/multiline, separate lines for others
                required = REQUIRED_CAP.get(command)
                if required is None and entry.event.channels and command == "INVITE":
                    required = "invite-notify"  # a copy for the channel's operators (invite-notify)
                is_join = command == "JOIN"
                plain = not (is_join or multiline)
                lines: dict[Wire, bytes] = {}  # encoded once per wire format
                for conn_id in self._route(entry):
                    conn = conns.get(conn_id)
                    if conn is None:
                        continue
                    caps = conn.caps
                    if required is not None and required not in caps:
                        continue
                    known = wires.get(conn_id)
                    if known is None or known[0] is not caps:
                        known = wires[conn_id] = (caps, *_wire_formats(caps))
                    wire = known[3] if plain else (known[1] if is_join else known[2])
                    line = lines.get(wire)
                    if line is None:
                        if multiline:
                            line = lines[wire] = _multiline_bytes(entry, wire)
                        else:
                            line = lines[wire] = entry.message(wire[0], wire[1], wire[2],
                                                               account_tag=wire[3]).to_bytes()
                    if holds:
                        hold = holds.get(conn_id)
                        if hold is not None:
                            instead = self._held_back(hold, entry, conn_id, line, wire, conn.outbound.limit)
                            if instead is not None:
                                if instead:
                                    queued.setdefault(conn_id, []).extend(instead)
                                continue
                    mine = queued.get(conn_id)
                    if mine is None:
                        queued[conn_id] = [line]
                    else:
                        mine.append(line)
            for conn_id, mine in queued.items():
                conn = conns[conn_id]
                if conn.outbound.put(mine[0] if len(mine) == 1 else b"".join(mine)):
                    touched.append(conn)
                elif conn.outbound.overflowed:
                    overflowed.append(conn)
            killed: list[tuple[R, str]] | None = None
            if self._killed:
                killed, self._killed = self._killed, []
        with self._progress:
            self._delivered = entries[-1].seq
            self._progress.notify_all()
        for conn in touched:
            conn.outbound.flush()
        for conn in overflowed:
            conn.abort("SendQ exceeded")
        if killed is not None:
            for conn, reason in killed:
                conn.abort(reason)  # its close says ERROR :<reason>; others get the QUIT logged after the KILL

    def _queue_rename(self, entry: Entry, queued: dict[str, list[bytes]]) -> None:
        """A channel's new name (lock held): its local members move in the index, and each gets
        RENAME if it has the cap, else a PART of the old name and a JOIN of the new, as itself."""
        event = entry.event
        old_key, new_key = event.channels
        members = self._members.pop(old_key, set())
        if members:
            self._members.setdefault(new_key, set()).update(members)
        sources = dict(item.split(" ", 1) for item in event.extra)  # conn id -> its nick!user@host
        old, new, reason = event.params
        for conn_id in members:
            conn = self._conns.get(conn_id)
            if conn is None:
                continue
            wire = ("server-time" in conn.caps, "message-tags" in conn.caps)
            if RENAME_CAP in conn.caps:
                line = entry.message(*wire).to_bytes()
            elif old_key == new_key:  # a change of case only: no fallback (channel-rename)
                continue
            else:
                source = sources.get(conn_id, event.source)
                part = Event("PART", source, (old, reason) if reason else (old,), conn_id, (old_key,))
                join = Event("JOIN", source, (new,), conn_id, (new_key,))
                line = b"".join(Entry(entry.seq, entry.msgid, entry.time, e).message(*wire).to_bytes()
                                for e in (part, join))
            queued.setdefault(conn_id, []).append(line)

    def _route(self, entry: Entry) -> Iterable[str]:
        """Who sees ``entry``; also applies its membership change. Lock held."""
        event = entry.event
        command, origin = event.command, event.origin
        if command in MESSAGES:
            echo = origin in self._conns and "echo-message" in self._conns[origin].caps
            if not event.channels:
                if origin == event.target_conn and event.params[0].startswith(("@", "+")):  # a STATUSMSG's echo
                    return (origin,) if echo else ()
                # To oneself with echo-message: the echo, then the delivery.
                return (origin, event.target_conn) if echo else (event.target_conn,)
            return [cid for cid in self._members.get(event.channels[0], ()) if echo or cid != origin]
        if command == "JOIN":
            if origin in self._conns:
                self._members.setdefault(event.channels[0], set()).add(origin)
            return list(self._members.get(event.channels[0], ()))
        if command in ("PART", "KICK"):
            members = self._members.get(event.channels[0], set())
            seen = list(members)
            self._discard(event.channels[0], event.target_conn if command == "KICK" else origin)
            return seen
        if event.target_conn and command in ("AWAY", "SETNAME", "ACCOUNT"):  # a copy for a MONITOR watcher
            watcher = self._conns.get(event.target_conn)
            return (event.target_conn,) if watcher is not None and "extended-monitor" in watcher.caps else ()
        if command in ("QUIT", "NICK", "AWAY", "SETNAME", "ACCOUNT"):
            seen_set: set[str] = set()
            for channel in event.channels:
                seen_set.update(self._members.get(channel, ()))
            if command in ("QUIT", "AWAY", "ACCOUNT"):  # the user learns of their own account by 900/901
                seen_set.discard(origin)
            else:
                seen_set.add(origin)
            if command == "QUIT":
                for channel in event.channels:
                    self._discard(channel, origin)
            return seen_set
        if command == "KILL":  # no line: the victim's connection is closed, with the reason
            victim = self._conns.get(event.target_conn)
            if victim is not None:
                self._killed.append((victim, event.params[-1]))
            return ()
        if event.target_conn:
            return (event.target_conn,)
        return list(self._members.get(event.channels[0], ())) if event.channels else ()

    def _discard(self, channel: str, conn_id: str) -> None:
        members = self._members.get(channel)
        if members is not None:
            members.discard(conn_id)
            if not members:
                del self._members[channel]
