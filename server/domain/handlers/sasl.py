"""AUTHENTICATE: SASL PLAIN and SCRAM-SHA-256, before or after connection registration (IRCv3 SASL 3.2)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from server.accounts import Account
from server.auth.sasl import ChunkReader, SaslError, encode_chunks, parse_plain
from server.auth.scram import ScramError, ScramExchange, decoy_keys
from server.protocol import Message
from server.protocol import numerics as n

from ..commands import command
from ..context import Context
from ..identity import check_then, failure_text, log_in, log_refusal

__all__ = ["MECHANISMS", "SaslState"]

log = logging.getLogger(__name__)

MECHANISMS = ("PLAIN", "SCRAM-SHA-256")


@dataclass(slots=True)
class SaslState:
    mechanism: str
    reader: ChunkReader = field(default_factory=ChunkReader)
    scram: ScramExchange | None = None
    proved: Account | None = None  # SCRAM: the account whose proof was right, until the client's final "+"


@command("AUTHENTICATE", min_params=1, pre_registration=True)
def handle_authenticate(ctx: Context, msg: Message) -> None:
    """AUTHENTICATE <mechanism> | <base64> | * : log in to an account with SASL (needs CAP REQ sasl)."""
    session = ctx.session
    arg = msg.params[0]
    if "sasl" not in session.caps:
        ctx.reply(n.ERR_SASLFAIL, "Request the sasl capability first (CAP REQ sasl)")
        return
    if arg == "*":
        session.sasl = None
        ctx.reply(n.ERR_SASLABORTED, "SASL authentication aborted")
        return
    if session.account:
        session.sasl = None
        ctx.reply(n.ERR_SASLALREADY, f"You are already logged in as {session.account}")
        return
    state = session.sasl
    if not isinstance(state, SaslState):
        mechanism = arg.upper()
        if mechanism not in MECHANISMS:
            ctx.reply(n.RPL_SASLMECHS, ",".join(MECHANISMS), "are available SASL mechanisms")
            ctx.reply(n.ERR_SASLFAIL, f"Unknown SASL mechanism {arg[:30]}")
            return
        if ctx.accounts is None:
            ctx.reply(n.ERR_SASLFAIL, "This server keeps no accounts")
            return
        session.sasl = SaslState(mechanism)
        ctx.send(Message("AUTHENTICATE", ("+",)))
        return
    try:
        payload = state.reader.feed(arg)
    except SaslError as exc:
        _fail(ctx, str(exc), n.ERR_SASLTOOLONG if exc.too_long else n.ERR_SASLFAIL)
        return
    if payload is None:
        return
    try:
        if state.mechanism == "PLAIN":
            account, password = parse_plain(payload)
            check_then(ctx, account, password, _plain_checked)
        else:
            _scram_step(ctx, state, payload)
    except (SaslError, ScramError) as exc:
        _fail(ctx, str(exc))


def _fail(ctx: Context, why: str, numeric: str = n.ERR_SASLFAIL) -> None:
    ctx.session.sasl = None
    log.info("SASL failed for %s (%s): %s", ctx.session.nick or "*", ctx.session.host, why)
    text = "SASL message too long" if numeric == n.ERR_SASLTOOLONG else f"SASL authentication failed: {why}"
    ctx.reply(numeric, text)


def _succeed(ctx: Context, account: Account) -> None:
    ctx.session.sasl = None
    log_in(ctx, account)
    ctx.reply(n.RPL_SASLSUCCESS, "SASL authentication successful")


def _plain_checked(ctx: Context, account: Account | None, why: str) -> None:
    if ctx.session.account:  # logged in some other way meanwhile
        ctx.session.sasl = None
        ctx.reply(n.ERR_SASLALREADY, f"You are already logged in as {ctx.session.account}")
    elif account is None:
        _fail(ctx, failure_text(why))
    else:
        _succeed(ctx, account)


def _scram_step(ctx: Context, state: SaslState, payload: bytes) -> None:
    accounts = ctx.accounts
    assert accounts is not None
    if state.scram is None:
        exchange = ScramExchange(payload)
        if accounts.login_wait(exchange.username, ctx.session.host, ctx.now) > 0:
            log_refusal(ctx, f"SCRAM login to {exchange.username!r}")
            raise ScramError(failure_text("throttled"))
        account = accounts.get(exchange.username)
        keys = account.scram if account is not None else decoy_keys(accounts.secret(), exchange.username)
        state.scram = exchange
        for chunk in encode_chunks(exchange.challenge(keys)):
            ctx.send(Message("AUTHENTICATE", (chunk,)))
        return
    if state.proved is not None:
        if payload:
            raise ScramError("expected an empty response after the server's signature")
        _succeed(ctx, state.proved)
        return
    exchange = state.scram
    try:
        server_final = exchange.finish(payload)
    except ScramError:
        accounts.login_failed(exchange.username, ctx.session.host, ctx.now)
        log.warning("failed SCRAM login to %r from %s", exchange.username, ctx.session.host)
        raise
    account = accounts.get(exchange.username)
    if account is None:  # dropped meanwhile
        raise ScramError("no such account")
    accounts.login_succeeded(account.name, ctx.session.host)
    state.proved = account
    for chunk in encode_chunks(server_final):
        ctx.send(Message("AUTHENTICATE", (chunk,)))
