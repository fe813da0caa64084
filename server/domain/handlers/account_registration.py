"""REGISTER (IRCv3 draft/account-registration), also before connection registration completes."""

from __future__ import annotations

from functools import partial

from server.accounts.credentials import make_credentials
from server.protocol import Message, casefold

from ..commands import command
from ..context import Context
from ..identity import log_refusal
from ..settings import ServerSettings
from .nickserv import create_account, email_problem, log_in_new, password_problem

CAP = "draft/account-registration"


def cap_value(settings: ServerSettings) -> str:
    """The cap's CAP LS 302 value: account names are the nick (no custom-account-name); before-connect and
    email-required as configured (--register-before-connect, --register-email)."""
    keys = (["before-connect"] if settings.register_before_connect else []) + (
        ["email-required"] if settings.register_email_required else [])
    return ",".join(keys)


def _fail(ctx: Context, code: str, account: str, text: str) -> None:
    ctx.fail("REGISTER", code, account or "*", text)


@command("REGISTER", min_params=3, pre_registration=True)
def handle_register(ctx: Context, msg: Message) -> None:
    """REGISTER <account|*> <email|*> <password>: register an account named after your nick, and log in."""
    session = ctx.session
    account, email, password = msg.params[0], msg.params[1], msg.params[2]
    accounts = ctx.accounts
    if accounts is None:
        _fail(ctx, "TEMPORARILY_UNAVAILABLE", account, "This server keeps no accounts")
        return
    if not session.registered and not ctx.settings.register_before_connect:
        _fail(ctx, "COMPLETE_CONNECTION_REQUIRED", account, "Complete connecting first, then REGISTER")
        return
    if not session.nick:
        _fail(ctx, "NEED_NICK", account, "Choose a nick (NICK) first: the account is named after it")
        return
    if account == "*":
        account = session.nick
    email = "" if email == "*" else email
    if session.account:
        _fail(ctx, "ALREADY_AUTHENTICATED", account, f"You are already logged in as {session.account}")
    elif casefold(account) != casefold(session.nick):
        _fail(ctx, "ACCOUNT_NAME_MUST_BE_NICK", account, "The account must be named after your current nick")
    elif problem := email_problem(ctx, email):
        _fail(ctx, "INVALID_EMAIL", account, problem)
    elif problem := password_problem(ctx, password):
        _fail(ctx, "WEAK_PASSWORD" if len(password) < ctx.settings.password_min else "UNACCEPTABLE_PASSWORD",
              account, problem)
    elif accounts.exists(account):
        _fail(ctx, "ACCOUNT_EXISTS", account, "That account is already registered")
    elif accounts.register_wait(session.host, ctx.now) > 0:
        log_refusal(ctx, f"registration of {account!r}")
        _fail(ctx, "TEMPORARILY_UNAVAILABLE", account, "Too many registrations from your address; try again later")
    else:
        ctx.defer(make_credentials, (password,), partial(create_account, session.nick, email, _registered))


def _registered(ctx: Context, name: str, error: str) -> None:
    if error == "ACCOUNT_EXISTS":
        _fail(ctx, "ACCOUNT_EXISTS", name, "That account is already registered")
    elif error == "EMAIL_TAKEN":
        _fail(ctx, "UNACCEPTABLE_EMAIL", name, "That email address is already used by another account")
    elif error:
        _fail(ctx, "TEMPORARILY_UNAVAILABLE", name, "Registration is unavailable right now; try again later")
    else:
        log_in_new(ctx, name, lambda: ctx.send(Message("REGISTER", ("SUCCESS", name, "Account created"),
                                                      ctx.settings.name)))
