"""NickServ, built in: NICKSERV / NS <command>, or PRIVMSG NickServ :<command>. It answers with NOTICEs."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from functools import partial

from server.accounts import Account
from server.accounts.credentials import Credentials, make_credentials
from server.protocol import Message, casefold

from ..commands import command
from ..context import Context
from ..identity import check_then, failure_text, log_in, log_out, log_refusal, nickserv_notice, start_nick_grace

__all__ = ["create_account", "log_in_new", "password_problem", "run_nickserv"]

log = logging.getLogger(__name__)

MAX_PASSWORD = 1000
MAX_EMAIL = 200

HELP = (
    "NickServ keeps accounts; an account owns the nick it was registered with.",
    "REGISTER <password> [email]: register your current nick as an account, and log in",
    "IDENTIFY [account] <password>: log in (or use SASL, or PASS account:password when connecting)",
    "LOGOUT: log out",
    "INFO [account]: when an account was registered",
    "SET PASSWORD <new password>: change your password",
    "GHOST <nick>: disconnect another connection that holds your nick",
    "DROP: delete the account you are logged in to",
)


def password_problem(ctx: Context, password: str) -> str:
    """Why ``password`` will not do for an account ("" if it will)."""
    if len(password) < ctx.settings.password_min:
        return f"Password too short: use at least {ctx.settings.password_min} characters"
    if len(password) > MAX_PASSWORD:
        return f"Password too long: at most {MAX_PASSWORD} characters"
    return ""


def email_problem(ctx: Context, email: str) -> str:
    """Why ``email`` ("" for none given) will not do for a new account ("" if it will): NickServ REGISTER's and
    draft/account-registration's REGISTER's rule."""
    if email and ("@" not in email or len(email) > MAX_EMAIL):
        return f"{email[:50]} is not an email address"
    if not email and ctx.settings.register_email_required:
        return "This server needs an email address to register an account"
    return ""


@command("NICKSERV")
def handle_nickserv(ctx: Context, msg: Message) -> None:
    """NICKSERV <command> [args]: accounts (REGISTER, IDENTIFY, LOGOUT, INFO, SET PASSWORD, GHOST, DROP, HELP)."""
    run_nickserv(ctx, " ".join(msg.params))


@command("NS")
def handle_ns(ctx: Context, msg: Message) -> None:
    """NS <command> [args]: short for NICKSERV."""
    run_nickserv(ctx, " ".join(msg.params))


def run_nickserv(ctx: Context, text: str) -> None:
    words = text.split()
    if not words:
        nickserv_notice(ctx, "Say /msg NickServ HELP for the commands")
        return
    sub, args = words[0].upper(), words[1:]
    if ctx.accounts is None:
        nickserv_notice(ctx, "This server keeps no accounts")
        return
    handler = _COMMANDS.get(sub)
    if handler is None:
        nickserv_notice(ctx, f"Unknown command {sub[:20]}; say /msg NickServ HELP")
        return
    handler(ctx, args)


def _register(ctx: Context, args: list[str]) -> None:
    accounts = ctx.accounts
    assert accounts is not None
    session = ctx.session
    if not args or len(args) > 2:
        nickserv_notice(ctx, "Syntax: REGISTER <password> [email]")
        return
    password, email = args[0], (args[1] if len(args) > 1 else "")
    problem = password_problem(ctx, password)
    if not problem and session.account:
        problem = f"You are already logged in as {session.account}"
    if not problem:
        problem = email_problem(ctx, email)
    if not problem and accounts.exists(session.nick):
        problem = f"{session.nick} is already registered"
    if not problem and accounts.register_wait(session.host, ctx.now) > 0:
        problem = "Too many registrations from your address; try again later"
        log_refusal(ctx, f"registration of {session.nick!r}")
    if problem:
        nickserv_notice(ctx, problem)
        return
    ctx.defer(make_credentials, (password,), partial(create_account, session.nick, email, _registered))


def create_account(name: str, email: str, then: Callable[[Context, str, str], None], ctx: Context,
                   result: object) -> None:
    """Store the new account (made in the hash pool); ``then(ctx, name, error code or "")``."""
    accounts = ctx.accounts
    assert accounts is not None
    if not isinstance(result, Credentials):
        log.error("making credentials for %r failed: %r", name, result)
        then(ctx, name, "TEMPORARILY_UNAVAILABLE")
        return
    error = accounts.create(name, result, email, ctx.now)
    if not error:
        accounts.registered_from(ctx.session.host, ctx.now)
    then(ctx, name, error)


def _registered(ctx: Context, name: str, error: str) -> None:
    if error == "ACCOUNT_EXISTS":
        nickserv_notice(ctx, f"{name} is already registered")
    elif error == "EMAIL_TAKEN":
        nickserv_notice(ctx, "That email address is already used by another account")
    elif error:
        nickserv_notice(ctx, "Registration is unavailable right now; try again later")
    else:
        log_in_new(ctx, name, lambda: nickserv_notice(ctx, "Account created"))


def log_in_new(ctx: Context, name: str, announce: Callable[[], None]) -> None:
    """Log in to the account just created (unless it is gone already)."""
    accounts = ctx.accounts
    account = accounts.get(name) if accounts is not None else None
    if account is None:
        nickserv_notice(ctx, "Registration is unavailable right now; try again later")
        return
    announce()
    log_in(ctx, account)


def _identify(ctx: Context, args: list[str]) -> None:
    if not args or len(args) > 2:
        nickserv_notice(ctx, "Syntax: IDENTIFY [account] <password>")
        return
    if ctx.session.account:
        nickserv_notice(ctx, f"You are already logged in as {ctx.session.account}")
        return
    name, password = (args[0], args[1]) if len(args) == 2 else (ctx.session.nick, args[0])
    check_then(ctx, name, password, _identified)


def _identified(ctx: Context, account: Account | None, why: str) -> None:
    if ctx.session.account:
        nickserv_notice(ctx, f"You are already logged in as {ctx.session.account}")
    elif account is None:
        nickserv_notice(ctx, failure_text(why))
    else:
        log_in(ctx, account)
        nickserv_notice(ctx, f"You are now logged in as {account.name}")


def _logout(ctx: Context, args: list[str]) -> None:
    if not ctx.session.account:
        nickserv_notice(ctx, "You are not logged in")
        return
    log_out(ctx)
    nickserv_notice(ctx, "You are now logged out")
    start_nick_grace(ctx)


def _info(ctx: Context, args: list[str]) -> None:
    accounts = ctx.accounts
    assert accounts is not None
    name = args[0] if args else (ctx.session.account or ctx.session.nick)
    account = accounts.get(name)
    if account is None:
        nickserv_notice(ctx, f"{name[:50]} is not registered")
        return
    registered = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(account.registered))
    nickserv_notice(ctx, f"Account {account.name}, registered {registered}")
    if account.email and casefold(ctx.session.account) == casefold(account.name):
        nickserv_notice(ctx, f"Email: {account.email}")


def _set(ctx: Context, args: list[str]) -> None:
    if len(args) != 2 or args[0].upper() != "PASSWORD":
        nickserv_notice(ctx, "Syntax: SET PASSWORD <new password>")
        return
    if not ctx.session.account:
        nickserv_notice(ctx, "Log in first")
        return
    problem = password_problem(ctx, args[1])
    if problem:
        nickserv_notice(ctx, problem)
        return
    ctx.defer(make_credentials, (args[1],), partial(_password_made, ctx.session.account))


def _password_made(name: str, ctx: Context, result: object) -> None:
    accounts = ctx.accounts
    assert accounts is not None
    if isinstance(result, Credentials) and accounts.set_credentials(name, result):
        log.info("account %s changed its password", name)
        nickserv_notice(ctx, "Password changed")
    else:
        nickserv_notice(ctx, "The password could not be changed; try again later")


def _ghost(ctx: Context, args: list[str]) -> None:
    session = ctx.session
    if len(args) != 1:
        nickserv_notice(ctx, "Syntax: GHOST <nick>")
        return
    if not session.account:
        nickserv_notice(ctx, "Log in first")
        return
    found = ctx.world.user_by_nick(args[0])
    if found is None or found[0].conn_id == session.conn_id:
        nickserv_notice(ctx, f"{args[0][:50]} is not online (or is you)")
        return
    holder = found[0]
    if casefold(holder.nick) != casefold(session.account) and casefold(holder.account) != casefold(session.account):
        nickserv_notice(ctx, f"{holder.nick} is not your nick")
        return
    if ctx.published(ctx.world.kill(session.conn_id, holder.nick, f"GHOST command used by {session.nick}")):
        log.info("%s (account %s) ghosted %s", session.nick, session.account, holder.nick)
        nickserv_notice(ctx, f"{holder.nick} has been disconnected")


def _drop(ctx: Context, args: list[str]) -> None:
    accounts = ctx.accounts
    assert accounts is not None
    name = ctx.session.account
    if not name:
        nickserv_notice(ctx, "Log in to the account you want to drop first")
        return
    for channel in accounts.channels_of(name):
        ctx.world.set_channel_registered(channel, False)
    accounts.drop(name)
    log_out(ctx)
    nickserv_notice(ctx, f"Account {name} dropped")


def _help(ctx: Context, args: list[str]) -> None:
    for line in HELP:
        nickserv_notice(ctx, line)


_COMMANDS: dict[str, Callable[[Context, list[str]], None]] = {
    "REGISTER": _register, "IDENTIFY": _identify, "LOGIN": _identify, "LOGOUT": _logout, "INFO": _info,
    "SET": _set, "GHOST": _ghost, "DROP": _drop, "HELP": _help,
}
