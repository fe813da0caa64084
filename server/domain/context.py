"""Context: what a handler works with, and where it leaves its effects.

Handlers never touch a socket. They answer through ``reply``/``send`` (lines
for this connection only), change the network through ``world`` (which logs
the events others must see; ``published`` records how far), and may ask for
the connection to be closed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from server.accounts import AccountStore
from server.log import Entry
from server.log.history import HistoryQuery
from server.protocol import Message

from .model import Refusal
from .session import Session
from .settings import ServerSettings
from .world import Outcome, World

__all__ = ["Context", "Deferred", "HistoryReader", "ServerHooks"]


class HistoryReader(Protocol):
    """What handlers read history through (a DurableLog, or its Manager proxy)."""

    def history(self, query: HistoryQuery) -> list[Entry]: ...

    def targets(self, keys: list[str], after: float, before: float, limit: int) -> list[tuple[str, float]]: ...

    def conversations(self, nick: str, after: float, before: float, limit: int) -> list[tuple[str, float]]: ...


class ServerHooks(Protocol):
    """What a handler may ask of the server around it (the I/O side answers)."""

    def rehash(self) -> list[str]:
        """Reload the configuration file; the problems found (nothing changed if any)."""
        ...


@dataclass(frozen=True, slots=True)
class Deferred:
    """CPU-heavy work a handler hands off (password hashing), and what to do with its result.

    ``job`` is a module-level function (it is pickled to a worker process) and
    runs outside every chat thread; meanwhile the connection's later input
    waits, so its commands still run in order. ``then`` runs on the
    connection's turn with a fresh Context and the job's result (or the
    exception it raised).
    """

    job: Callable[..., Any]
    args: tuple[Any, ...]
    then: Callable[[Context, Any], None]


class Context:
    def __init__(self, session: Session, world: World, settings: ServerSettings, now: float,
                 history: HistoryReader | None = None, hooks: ServerHooks | None = None,
                 accounts: AccountStore | None = None) -> None:
        self.session = session
        self.world = world
        self.settings = settings
        self.now = now
        self.history = history
        self.hooks = hooks
        self.accounts = accounts  # None: this server keeps no accounts
        self.out: list[Message] = []
        self.seq = 0
        self.close_reason: str | None = None
        self.deferred: Deferred | None = None

    def defer(self, job: Callable[..., Any], args: tuple[Any, ...], then: Callable[[Context, Any], None]) -> None:
        """Run ``job(*args)`` in the CPU pool, then ``then(ctx, result)`` on this connection's turn."""
        self.deferred = Deferred(job, args, then)

    def send(self, message: Message) -> None:
        self.out.append(message)

    def has(self, cap: str) -> bool:
        return cap in self.session.caps

    def fail(self, command: str, code: str, *context: str) -> None:
        """A standard reply: FAIL <command> <code> [context...] :<description>."""
        self.send(Message("FAIL", (command, code, *context), self.settings.name, force_trailing=True))

    def reply(self, numeric: str, *params: str) -> None:
        self.send(Message(numeric, (self.session.nick or "*", *params), self.settings.name, force_trailing=True))

    def notice(self, text: str) -> None:
        self.send(Message("NOTICE", (self.session.nick or "*", text), self.settings.name))

    def refuse(self, *refusals: Refusal) -> None:
        for refusal in refusals:
            self.reply(*refusal)

    def published(self, outcome: Outcome) -> bool:
        """Note what an operation logged and send its refusals; True if it succeeded."""
        self.seq = max(self.seq, outcome.seq)
        self.refuse(*outcome.refusals)
        return outcome.ok

    def close(self, reason: str) -> None:
        self.close_reason = reason
