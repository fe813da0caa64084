"""Accounts: SASL login (SCRAM-SHA-256, else PLAIN where the password may travel), /login, /register.

Builds on Registration (CAP) and under Replies; no I/O. What the user should know (logged in,
failed, refused to send a password in clear) is written to the server window, and also to the
window in view when the user asked for it there.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from server.protocol import Message, casefold

from .registration import Identity, Registration
from .sasl import Reassembler, SaslError, ScramClient, authenticate_chunks, plain
from .state import ClientState, LineKind

__all__ = ["MECHANISMS", "Login", "mask_secret"]

MECHANISMS = ("SCRAM-SHA-256", "PLAIN")  # in order of preference: SCRAM never sends the password
ACCOUNT_REGISTRATION = "draft/account-registration"
NICKSERV = "NickServ"
_SECRET_VERBS = frozenset({"REGISTER", "IDENTIFY", "LOGIN", "VERIFY"})


def mask_secret(text: str) -> str:
    """A NickServ command with its password hidden, for showing (or logging) what was sent."""
    verb, _, rest = text.partition(" ")
    return f"{verb} ********" if verb.upper() in _SECRET_VERBS and rest else text


class Login(Registration):
    """The SASL exchange and account commands on top of CAP negotiation."""

    def __init__(self, state: ClientState, identity: Identity,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        super().__init__(state, identity, now)
        self._pending_password: str | None = None  # sent with REGISTER: kept for reconnects once it succeeds
        self._reset_login()

    def _reset_login(self) -> None:
        self._mech: str | None = None  # the mechanism of the exchange in progress
        self._step = 0  # server messages answered in this exchange
        self._scram: ScramClient | None = None
        self._incoming = Reassembler()
        self._tried: set[str] = set()
        self._mechs: set[str] | None = None  # from 908 RPL_SASLMECHS, which beats the CAP value
        self._refused_plain = False
        self._sasl_done = False
        self._loud = False  # the user typed /login: outcomes go to the window in view as well

    def start(self) -> list[Message]:
        self._reset_login()
        self.state.account = None
        return super().start()

    # -- telling the user -----------------------------------------------------

    def _say(self, text: str, *, error: bool = False) -> None:
        kind = LineKind.ERROR if error else LineKind.INFO
        self.info(self.state.server_window, text, kind=kind)
        current = self.state.current_window
        if self._loud and current is not self.state.server_window:
            self.info(current, text, kind=kind)

    @property
    def password_may_travel(self) -> bool:
        """Whether a password may be sent as it is (PLAIN, NickServ, REGISTER): over TLS, or when allowed."""
        return self.identity.secure or self.identity.allow_plaintext_password

    def _refusal(self, what: str) -> str:
        return (f"Not sending the password for {what}: this connection is not encrypted, and the password "
                "would travel readable. Connect with --tls, or start chat-client with --allow-plaintext-password "
                "to send it anyway.")

    # -- CAP hooks ------------------------------------------------------------

    def extra_caps(self, available: set[str]) -> list[str]:
        if not self.identity.sasl_user:
            return []
        if "sasl" in available:
            return ["sasl"]
        self._say("The server does not offer SASL; logging in with NickServ once connected")
        return []

    def caps_acked(self) -> list[Message]:
        if (self.identity.sasl_user and "sasl" in self.state.caps and self._mech is None
                and not self._sasl_done and self.state.account is None):
            out = self._begin()
            if out:
                return out
        return self._cap_end()

    def welcomed(self) -> list[Message]:
        out = super().welcomed()
        if self.identity.sasl_user and "sasl" not in self._cap_ls and self.state.account is None:
            out += self._nickserv("IDENTIFY", self.identity.sasl_user, self.identity.sasl_password or "")
        return out

    # -- the SASL exchange ----------------------------------------------------

    def _offered(self) -> set[str] | None:
        if self._mechs is not None:
            return self._mechs
        value = self._cap_ls.get("sasl", "")
        return {m.strip().upper() for m in value.split(",") if m.strip()} or None

    def _begin(self) -> list[Message]:
        """AUTHENTICATE with the best mechanism left; [] (and why, said) when there is none."""
        offered = self._offered()
        for mech in MECHANISMS:
            if mech in self._tried or (offered is not None and mech not in offered):
                continue
            if mech == "PLAIN" and not self.password_may_travel:
                self._refused_plain = True
                continue
            self._tried.add(mech)
            self._mech, self._step, self._scram, self._incoming = mech, 0, None, Reassembler()
            return [Message("AUTHENTICATE", (mech,))]
        self._sasl_done = True
        account = self.identity.sasl_user
        if self._refused_plain:
            self._say(self._refusal(f"{account} with SASL PLAIN (the only mechanism left)") +
                      " Continuing without logging in.", error=True)
        elif self._tried:
            self._say(f"Not logging in as {account} with SASL: the server turned down "
                      f"{', '.join(m for m in MECHANISMS if m in self._tried)}", error=True)
        else:
            listed = ", ".join(sorted(offered or ())) or "none"
            self._say(f"Not logging in as {account}: the server's SASL mechanisms ({listed}) include none "
                      f"chat-client knows ({', '.join(MECHANISMS)})", error=True)
        return []

    def _send(self, payload: bytes) -> list[Message]:
        return [Message("AUTHENTICATE", (piece,)) for piece in authenticate_chunks(payload)]

    def _abort(self, reason: str) -> list[Message]:
        self._say(f"SASL login as {self.identity.sasl_user} stopped: {reason}", error=True)
        self._mech = None
        self._sasl_done = True
        return [Message("AUTHENTICATE", ("*",))]

    def _on_AUTHENTICATE(self, msg: Message) -> list[Message]:
        if self._mech is None or not msg.params:
            return []
        try:
            payload = self._incoming.feed(msg.params[0])
            if payload is None:
                return []
            self._step += 1
            if self._mech == "PLAIN":
                if self._step > 1:
                    raise SaslError("the server asked for more after PLAIN")
                return self._send(plain(self.identity.sasl_user or "", self.identity.sasl_password or ""))
            if self._step == 1:
                self._scram = ScramClient(self.identity.sasl_user or "", self.identity.sasl_password or "")
                return self._send(self._scram.first())
            if self._scram is None:
                raise SaslError("the SCRAM exchange is out of step")
            if self._step == 2:
                return self._send(self._scram.final(payload))
            if self._step == 3:
                self._scram.verify(payload)
                return self._send(b"")
            raise SaslError("the server sent more than SCRAM has")
        except SaslError as exc:
            return self._abort(str(exc))

    def _end_exchange(self) -> list[Message]:
        self._mech = None
        self._sasl_done = True
        self._loud = False
        return self._cap_end()

    def _rpl_900(self, msg: Message) -> list[Message]:
        account = msg.params[2] if len(msg.params) > 3 else self.identity.sasl_user
        self.state.account = account
        self._say(f"Logged in as {account}")
        return []

    def _rpl_901(self, msg: Message) -> list[Message]:
        self.state.account = None
        self._say("Logged out: " + (msg.params[-1] if msg.params else ""))
        return []

    def _rpl_902(self, msg: Message) -> list[Message]:
        self._say(f"SASL login refused (902): {msg.params[-1] if msg.params else 'nick locked'}", error=True)
        return self._end_exchange()

    def _rpl_903(self, msg: Message) -> list[Message]:
        self._say(f"SASL login as {self.identity.sasl_user} succeeded ({self._mech or 'SASL'})")
        return self._end_exchange()

    def _rpl_904(self, msg: Message) -> list[Message]:
        text = msg.params[-1] if len(msg.params) > 1 else "authentication failed"
        if self._mech is not None and self._step == 0:  # the mechanism itself was turned down: try the next
            failed = self._mech
            self._mech = None
            out = self._begin()
            if out:
                self._say(f"The server turned down {failed}; trying {self._mech}")
                return out
            return self._no_sasl_after_welcome() or self._end_exchange()
        if self._mech is None and self._sasl_done:
            return self._end_exchange()  # the answer to our own AUTHENTICATE *, already explained
        self._say(f"SASL login as {self.identity.sasl_user} failed (904: {text}). Check the account and "
                  "password; /login <account> <password> tries again."
                  + ("" if self.registered else " Continuing without logging in."), error=True)
        return self._end_exchange()

    def _rpl_905(self, msg: Message) -> list[Message]:
        self._say("SASL login failed (905): the message was too long for the server", error=True)
        return self._end_exchange()

    def _rpl_906(self, msg: Message) -> list[Message]:
        if self._mech is not None:
            self._say("SASL login aborted (906)", error=True)
        return self._end_exchange()

    def _rpl_907(self, msg: Message) -> list[Message]:
        self._say("Already logged in (907): the server refuses a second SASL login on this connection",
                  error=True)
        return self._end_exchange()

    def _rpl_908(self, msg: Message) -> list[Message]:
        if len(msg.params) > 2:
            self._mechs = {m.strip().upper() for m in msg.params[1].split(",") if m.strip()}
            self._say(f"The server's SASL mechanisms: {', '.join(sorted(self._mechs))}")
        return []

    def _no_sasl_after_welcome(self) -> list[Message]:
        """After 001 with no SASL mechanism left: NickServ IDENTIFY instead."""
        if not self.registered or not self.identity.sasl_user:
            return []
        self._mech = None
        self._sasl_done = True
        return self._nickserv("IDENTIFY", self.identity.sasl_user, self.identity.sasl_password or "")

    # -- /login, /register, /verify ---------------------------------------------

    def _nickserv(self, verb: str, *args: str) -> list[Message]:
        if not self.password_may_travel:
            self._say(self._refusal(f"NickServ {verb}"), error=True)
            return []
        self._say(f"Sending {verb} to {NICKSERV}; its answer shows here")
        return [Message("PRIVMSG", (NICKSERV, " ".join((verb, *args))))]

    def login(self, account: str | None, password: str) -> list[Message]:
        """/login: remember the account for reconnects and log in now with SASL, or NickServ without it."""
        account = account or self.identity.sasl_user or self.state.nick
        self._loud = True
        if self.registered and self.state.account is not None:
            self._say(f"Already logged in as {self.state.account}: the server refuses a second SASL login. "
                      "Reconnect (with --account) to change accounts.", error=True)
            return []
        self.identity.sasl_user, self.identity.sasl_password = account, password
        if not self.registered:
            self._say(f"Not connected: logging in as {account} once connected")
            return []
        self._tried, self._mechs, self._refused_plain, self._sasl_done = set(), None, False, False
        if "sasl" in self.state.caps:
            self._say(f"Logging in as {account} with SASL")
            return self._begin() or self._no_sasl_after_welcome()
        if "sasl" in self._cap_ls:
            return [Message("CAP", ("REQ", "sasl"))]  # the ACK starts the exchange
        return self._nickserv("IDENTIFY", account, password)

    def register(self, password: str, email: str | None) -> list[Message]:
        """/register: draft/account-registration's REGISTER when offered, NickServ REGISTER otherwise."""
        self._loud = True
        if not self.registered:
            self._say("Not connected: /register needs a connection", error=True)
            return []
        if not self.password_may_travel:
            self._say(self._refusal("/register"), error=True)
            return []
        if ACCOUNT_REGISTRATION not in self._cap_ls:
            return self._nickserv("REGISTER", password, *([email] if email else []))
        flags = set(self._cap_ls[ACCOUNT_REGISTRATION].split(","))
        if "email-required" in flags and not email:
            self._say("This server needs an email address to register: /register <password> <email>", error=True)
            return []
        self._pending_password = password
        self._say(f"Registering the account {self.state.nick}")
        return [Message("REGISTER", ("*", email or "*", password))]

    def verify(self, account: str | None, code: str) -> list[Message]:
        if not self.registered:
            self._say("Not connected: /verify needs a connection", error=True)
            return []
        return [Message("VERIFY", (account or self.state.nick, code))]

    def _on_REGISTER(self, msg: Message) -> list[Message]:
        status = msg.params[0].upper() if msg.params else ""
        account = msg.params[1] if len(msg.params) > 2 else self.state.nick
        text = msg.params[-1] if len(msg.params) > 1 else ""
        if status == "SUCCESS":
            # Reconnects log in to the new account.
            self.identity.sasl_user = account
            self.identity.sasl_password = self._pending_password or self.identity.sasl_password
            self._say(f"Account {account} registered: {text}")
        elif status == "VERIFICATION_REQUIRED":
            self.identity.sasl_user = account
            self.identity.sasl_password = self._pending_password or self.identity.sasl_password
            self._say(f"Account {account} needs verifying: {text} (then /verify <code>)")
        self._loud = False
        return []

    def _on_VERIFY(self, msg: Message) -> list[Message]:
        if msg.params[:1] == ("SUCCESS",):
            self._say(f"Account {msg.params[1] if len(msg.params) > 2 else ''} verified: {msg.params[-1]}")
        return []

    def _on_FAIL(self, msg: Message) -> list[Message]:
        if len(msg.params) < 3:
            return []
        command, code, text = msg.params[0].upper(), msg.params[1], msg.params[-1]
        what = {"REGISTER": "Registration failed", "VERIFY": "Verification failed"}.get(command, f"{command} failed")
        self._say(f"{what}: {text} ({code})", error=True)
        self._loud = False
        return []

    def is_nickserv(self, target: str) -> bool:
        return casefold(target) == casefold(NICKSERV)
