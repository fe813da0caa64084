"""What a typed line asks for: plain values the UI carries out (commands.py makes them from text)."""

from __future__ import annotations

from dataclasses import dataclass

from server.protocol import Message

__all__ = [
    "Action",
    "Clear",
    "Close",
    "Context",
    "Help",
    "LastlogSearch",
    "LocalError",
    "LoginAccount",
    "Open",
    "Quit",
    "Raw",
    "RegisterAccount",
    "Say",
    "VerifyAccount",
]


@dataclass(frozen=True, slots=True)
class Context:
    """What a command needs to know about where it was typed."""

    window: str | None
    is_channel_window: bool = False


@dataclass(frozen=True, slots=True)
class Say:
    target: str
    text: str
    action: bool = False
    notice: bool = False


@dataclass(frozen=True, slots=True)
class Raw:
    message: Message


@dataclass(frozen=True, slots=True)
class Open:
    name: str


@dataclass(frozen=True, slots=True)
class Close:
    name: str


@dataclass(frozen=True, slots=True)
class Quit:
    reason: str


@dataclass(frozen=True, slots=True)
class Clear:
    pass


@dataclass(frozen=True, slots=True)
class Help:
    pass


@dataclass(frozen=True, slots=True)
class LastlogSearch:
    text: str


@dataclass(frozen=True, slots=True)
class LocalError:
    text: str


@dataclass(frozen=True, slots=True)
class LoginAccount:
    account: str | None
    password: str


@dataclass(frozen=True, slots=True)
class RegisterAccount:
    password: str
    email: str | None


@dataclass(frozen=True, slots=True)
class VerifyAccount:
    account: str | None
    code: str


Action = (Say | Raw | Open | Close | Quit | Clear | Help | LastlogSearch | LocalError | LoginAccount
          | RegisterAccount | VerifyAccount)
