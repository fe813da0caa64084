"""ServerSettings: what the domain needs to know about the server it runs in."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["OperBlock", "ServerSettings"]

DEFAULT_MOTD = (
    "Welcome to chat-server.",
    "Type /join #lobby to start chatting, /help for commands.",
)


@dataclass(frozen=True, slots=True)
class OperBlock:
    """An ``[opers.NAME]`` block of the config file: who may become a server operator, and from where.

    ``hosts`` are ``user@host`` glob masks (``*@127.0.0.1``); a user without
    ident has a username starting with ``~``, which ``*`` matches.
    """

    name: str
    password_hash: str  # argon2id, checked by server.auth.check_hash when the config is loaded
    hosts: tuple[str, ...] = ("*@*",)


@dataclass(frozen=True, slots=True)
class ServerSettings:
    name: str = "chat.local"
    network: str = "ChatNet"
    version: str = "chat-server-0.1"
    created: str = "today"
    password: str | None = None
    motd: tuple[str, ...] = field(default=DEFAULT_MOTD)
    topic_len: int = 390
    kick_len: int = 255
    away_len: int = 200
    join_replay: int = 20
    history_limit: int = 100  # most messages one CHATHISTORY request returns
    opers: tuple[OperBlock, ...] = ()
    config_file: str = ""  # what REHASH reloads ("" when the server was started without one)
    nick_grace: float = 30.0  # seconds to log in to the account a nick belongs to, before being renamed
    password_min: int = 8  # the shortest account password taken
    register_before_connect: bool = True  # REGISTER before connection registration completes
    register_email_required: bool = False  # an account needs an email address (not verified: no mail is sent)
