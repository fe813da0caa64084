"""Carrying out what a typed line asked for (the actions of client/commands.py) against session, net and screen."""

from __future__ import annotations

from typing import TYPE_CHECKING

from server.protocol import Message

from ..actions import (
    Clear,
    Close,
    Help,
    LastlogSearch,
    LocalError,
    LoginAccount,
    Open,
    Quit,
    Raw,
    RegisterAccount,
    Say,
    VerifyAccount,
)
from ..commands import COMMANDS
from ..outgoing import Queued
from ..state import LineKind
from .lastlog import Lastlog

if TYPE_CHECKING:
    from .app import ChatApp

__all__ = ["KEYS_HELP", "perform"]

KEYS_HELP = (
    ("Enter", "send the line"),
    ("Up / Down", "input history (kept between runs; /login and /register lines never are)"),
    ("Tab", "complete a nick, #channel or /command"),
    ("Alt-1..9, Alt-0", "go to window 1..10"),
    ("Ctrl-N / Ctrl-P", "next / previous window"),
    ("Alt-A", "go to the most active window (mentions first)"),
    ("PgUp / PgDn, wheel", "scroll the messages; PgDn at the end returns to live"),
    ("Ctrl-R", "search this window's lines as you type; Enter keeps the result, Esc closes"),
    ("Esc", "close the /lastlog or Ctrl-R result"),
    ("Ctrl-C", "clear the input; on an empty input, twice within 2 s quits"),
)


def _online(chat: ChatApp) -> bool:
    return chat.net.connected and chat.session.registered


def _raw(chat: ChatApp, message: Message) -> None:
    session = chat.session
    if not _online(chat):
        chat.note(session.offline_command(message), kind=LineKind.ERROR)
        return
    if not chat.net.send([message]):
        chat.note(f"Not connected ({chat.state.status}); nothing was sent", kind=LineKind.ERROR)
        return
    if message.command == "JOIN" and message.params:
        session.join_requested(message.params[0])
    elif message.command == "NAMES" and message.params:
        session.names_requested(message.params[0])
    elif message.command == "WHOIS" and message.params:
        session.whois_requested(message.params[-1], chat.state.current_window)
    elif message.command == "AWAY":
        session.away_requested(message.params[0] if message.params else None)


def _say(chat: ChatApp, action: Say) -> None:
    if _online(chat):
        chat.net.send(chat.session.say(action.target, action.text, action=action.action, notice=action.notice))
        return
    waiting = chat.session.queue(Queued(action.target, action.text, action.action, action.notice))
    chat.note(f"Not connected ({chat.state.status}): this line will be sent after the reconnect "
              f"({waiting} waiting)", kind=LineKind.ERROR)


def _help(chat: ChatApp) -> None:
    chat.note("Commands:")
    for spec in COMMANDS.values():
        chat.note(f"  {spec.usage:<30} {spec.help}")
    chat.note("Keys:")
    for key, what in KEYS_HELP:
        chat.note(f"  {key:<20} {what}")


def perform(chat: ChatApp, action: object) -> None:
    """Do one action; key handlers and Enter call this and never wait for the network."""
    session, state = chat.session, chat.state
    if isinstance(action, Say):
        _say(chat, action)
    elif isinstance(action, Raw):
        _raw(chat, action.message)
    elif isinstance(action, Open):
        _, messages = session.open_query(action.name, switch=True)
        if messages:
            chat.net.send(messages)
    elif isinstance(action, Close):
        window = state.find(action.name)
        if window is not None:
            state.close(window)
    elif isinstance(action, Quit):
        chat.app.create_background_task(chat.quit(action.reason))
    elif isinstance(action, Clear):
        window = state.current_window
        window.lines.clear()
        window.msgids.clear()
        window.marker = None
        window.version += 1
    elif isinstance(action, Help):
        _help(chat)
    elif isinstance(action, LastlogSearch):
        chat.close_search()
        chat.lastlog = Lastlog(state.current_window, action.text)
    elif isinstance(action, LoginAccount):
        chat.net.send(session.login(action.account, action.password))
    elif isinstance(action, RegisterAccount):
        chat.net.send(session.register(action.password, action.email))
    elif isinstance(action, VerifyAccount):
        chat.net.send(session.verify(action.account, action.code))
    elif isinstance(action, LocalError):
        chat.note(action.text, kind=LineKind.ERROR)
