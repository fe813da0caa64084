"""Session: one connection's own state, from connect through registration to close."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Session"]


@dataclass(slots=True)
class Session:
    conn_id: str
    host: str
    nick: str = ""
    username: str = ""
    realname: str = ""
    registered: bool = False
    cap_negotiating: bool = False
    caps: frozenset[str] = frozenset()  # replaced, not mutated: most clients never ask for one
    cap_302: bool = False  # sent CAP LS 302: reads CAP LS and CAP LIST continuation lines
    password: str | None = None
    closing: str | None = None  # the reason, once the connection is on its way out
    oper: str = ""  # the operator block's name once OPER succeeded (exempt from flood control)
    oper_failures: int = 0  # failed OPER attempts; too many and the connection is closed
    tls: bool = False  # connected through the TLS listener
    batches: int = 0
    account: str = ""  # the account logged in to ("" if none), as it was registered
    account_key: str = ""  # its private history's identity (identity.account_identity)
    sasl: Any = None  # an AUTHENTICATE exchange in progress (handlers/sasl.py's SaslState)
    multiline: Any = None  # the draft/multiline batch the client has open (client_batch.py's OpenBatch)
    nick_deadline: float = 0.0  # wall-clock time by which the registered nick held must be logged in to

    def new_batch_id(self) -> str:
        self.batches += 1
        return f"b{self.batches}"

    @property
    def source(self) -> str:
        return f"{self.nick}!{self.username}@{self.host}"

    @property
    def ready_to_register(self) -> bool:
        return bool(self.nick and self.username and not self.cap_negotiating and not self.registered)
