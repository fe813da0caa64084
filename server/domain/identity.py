"""Logging in and out, and the rule that a registered nick belongs to its account.

Shared by every way in (SASL, PASS account:password, NickServ IDENTIFY,
registration). Checking a password is CPU work: ``check_then`` hands it to the
hash pool through ``ctx.defer`` and calls back on the connection's turn.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from functools import partial

from server.accounts import Account
from server.accounts.credentials import Credentials, check_password
from server.protocol import Message, casefold
from server.protocol import numerics as n

from .context import Context

__all__ = ["NICKSERV", "RESERVED_NICKS", "account_identity", "check_then", "enforce_nick_grace", "failure_text",
           "log_in", "log_out", "log_refusal", "nick_reserved", "nickserv_notice", "start_nick_grace"]

log = logging.getLogger(__name__)

NICKSERV = "NickServ!NickServ@services."
# Nobody may take the services' names.
RESERVED_NICKS = frozenset({"nickserv", "chanserv"})

# A throttled address may keep trying: its refusals are logged once per address in this many seconds.
REFUSAL_LOG_INTERVAL = 10.0
_refusals_logged: dict[str, float] = {}  # host -> when a refusal from it was last logged

# (ctx, the account if the password was right else None, why not: "throttled", "unavailable", "wrong")
Checked = Callable[[Context, Account | None, str], None]


def nickserv_notice(ctx: Context, text: str) -> None:
    ctx.send(Message("NOTICE", (ctx.session.nick or "*", text), NICKSERV))


def log_refusal(ctx: Context, what: str) -> None:
    """Log that ``what`` from this connection's address was refused, unless one was logged a moment ago."""
    host, now = ctx.session.host, ctx.now
    if _refusals_logged.get(host, 0.0) > now - REFUSAL_LOG_INTERVAL:
        return
    if len(_refusals_logged) > 10_000:
        _refusals_logged.clear()
    _refusals_logged[host] = now
    log.warning("%s from %s refused: too many attempts (further refusals for %g s not logged)", what, host,
                REFUSAL_LOG_INTERVAL)


def check_then(ctx: Context, name: str, password: str, then: Checked) -> None:
    """Check ``password`` for account ``name`` in the hash pool, then call ``then`` on this connection's turn.

    An unknown account costs the same hash as a wrong password, so the time of
    the answer does not tell which accounts exist; a throttled one costs none.
    """
    accounts = ctx.accounts
    if accounts is None:
        then(ctx, None, "unavailable")
        return
    host = ctx.session.host
    wait = accounts.login_wait(name, host, ctx.now)
    if wait > 0:
        log_refusal(ctx, f"login to {name!r}")
        then(ctx, None, "throttled")
        return
    account = accounts.get(name)
    encoded = account.password_hash if account is not None else None
    ctx.defer(check_password, (encoded, password), partial(_checked, name, account, then))


def _checked(name: str, account: Account | None, then: Checked, ctx: Context, result: object) -> None:
    accounts = ctx.accounts
    assert accounts is not None
    host = ctx.session.host
    if isinstance(result, BaseException) or not isinstance(result, tuple):
        log.error("checking the password of account %r failed: %r", name, result)
        then(ctx, None, "unavailable")
        return
    ok, fresh = result
    if not ok or account is None:
        accounts.login_failed(name, host, ctx.now)
        log.warning("failed login to %r from %s (%s)", name, host, "wrong password" if account else "no such account")
        then(ctx, None, "wrong")
        return
    accounts.login_succeeded(name, host)
    if isinstance(fresh, Credentials):  # made with older parameters: store today's
        accounts.set_credentials(account.name, fresh)
    then(ctx, account, "")


def failure_text(why: str, wait_hint: bool = True) -> str:
    if why == "throttled":
        return "Too many failed logins from your address; wait a few minutes" if wait_hint else "Too many failed logins"
    if why == "unavailable":
        return "Logins are unavailable right now; try again later"
    return "Invalid account name or password"


def account_identity(account: Account) -> str:
    """Whose private history an account's messages join: the account, but not a later one of the same name."""
    return f"={casefold(account.name)}@{int(account.registered * 1000)}"


def log_in(ctx: Context, record: Account) -> None:
    """Mark the connection logged in to ``record``: 900, and ACCOUNT to account-notify clients."""
    session = ctx.session
    account = record.name
    session.account, session.account_key = account, account_identity(record)
    ctx.seq = max(ctx.seq, ctx.world.set_account(session.conn_id, account, session.account_key))
    ctx.reply(n.RPL_LOGGEDIN, session.source if session.nick else "*", account, f"You are now logged in as {account}")
    log.info("%s (%s) logged in to account %s", session.nick or "*", session.host, account)
    if session.nick_deadline and casefold(session.nick) == casefold(account):
        session.nick_deadline = 0.0


def log_out(ctx: Context) -> None:
    session = ctx.session
    session.account = session.account_key = ""
    ctx.seq = max(ctx.seq, ctx.world.set_account(session.conn_id, ""))
    ctx.reply(n.RPL_LOGGEDOUT, session.source, "You are now logged out")


def nick_reserved(ctx: Context, nick: str) -> bool:
    """Whether ``nick`` belongs to an account other than the one this connection is logged in to."""
    folded = casefold(nick)
    if folded in RESERVED_NICKS:
        return True
    if ctx.accounts is None or folded == casefold(ctx.session.account):
        return False
    return ctx.accounts.exists(nick)


def start_nick_grace(ctx: Context) -> None:
    """If the nick held belongs to an account not logged in to, ask for a login before the deadline."""
    session = ctx.session
    if not nick_reserved(ctx, session.nick):
        session.nick_deadline = 0.0
        return
    grace = ctx.settings.nick_grace
    session.nick_deadline = ctx.now + grace
    nickserv_notice(ctx, f"The nick {session.nick} belongs to a registered account. Log in within {grace:g} "
                    f"seconds (/msg NickServ IDENTIFY <password>, or SASL) or you will be renamed.")


def enforce_nick_grace(ctx: Context) -> None:
    """The deadline passed (the connection core calls this): rename to Guest<digits> unless logged in by now."""
    session = ctx.session
    if not session.nick_deadline or ctx.now < session.nick_deadline:
        return
    session.nick_deadline = 0.0
    if not session.registered or not nick_reserved(ctx, session.nick):
        return
    old = session.nick
    for _ in range(20):
        guest = f"Guest{secrets.randbelow(100_000):05d}"
        outcome = ctx.world.set_nick(session.conn_id, guest, session.host, ctx.now)
        if outcome.ok:
            ctx.seq = max(ctx.seq, outcome.seq)
            session.nick = guest
            break
    else:
        return
    log.info("%s (%s) renamed to %s: did not log in to the account that owns the nick", old, session.host, guest)
    nickserv_notice(ctx, f"You did not log in to the account that owns {old} in time, so you are now {guest}.")
