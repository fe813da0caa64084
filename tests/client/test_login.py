"""The session's side of accounts, sans I/O: mechanism choice, the SASL exchange, /login, /register.

The server's half of SCRAM is tests/client/scram_server.py, written from the RFCs on its own.
"""

from __future__ import annotations

import base64

from client.session import Identity, Session
from client.state import ClientState, LineKind
from server.protocol import Message, parse_line
from tests.client.scram_server import ScramServer, ScramVerifier


def make(*, secure: bool = False, allow: bool = False, account: str | None = "ada", password: str = "s3cret",
         ) -> Session:
    ident = Identity("alice", "alice", "Alice", channels=[], sasl_user=account, sasl_password=password,
                     secure=secure, allow_plaintext_password=allow)
    session = Session(ClientState(nick="alice"), ident)
    session.start()
    return session


def feed(session: Session, *lines: str) -> list[Message]:
    out: list[Message] = []
    for raw in lines:
        out += session.handle(parse_line(raw))
    return out


def lines(session: Session) -> list[str]:
    return [line.text for line in session.state.server_window.lines]


def errors(session: Session) -> list[str]:
    return [line.text for line in session.state.server_window.lines if line.kind is LineKind.ERROR]


def payload(messages: list[Message]) -> bytes:
    assert all(m.command == "AUTHENTICATE" for m in messages), messages
    text = "".join(m.params[0] for m in messages if m.params[0] != "+")
    return base64.b64decode(text)


def authenticate(data: bytes) -> list[str]:
    encoded = base64.b64encode(data).decode() or "+"
    return [f"AUTHENTICATE {encoded[i:i + 400]}" for i in range(0, len(encoded), 400)]


def negotiate(session: Session, caps: str) -> list[Message]:
    """CAP LS with caps; the client's REQ is ACKed as asked; returns what the client says next."""
    req = feed(session, f":srv CAP * LS :{caps}")
    assert req and req[0].command == "CAP" and req[0].params[0] == "REQ", req
    return feed(session, f":srv CAP alice ACK :{req[0].params[1]}")


def test_scram_is_used_when_offered_and_the_server_is_checked() -> None:
    session = make()
    assert negotiate(session, "sasl=PLAIN,SCRAM-SHA-256 server-time") == [Message("AUTHENTICATE", ("SCRAM-SHA-256",))]
    server = ScramServer(ScramVerifier.for_password("s3cret"))
    first = payload(feed(session, "AUTHENTICATE +"))
    final = payload(feed(session, *authenticate(server.challenge(first))))
    assert server.username == "ada"
    server_final = server.check(final)
    assert server_final is not None, "the client's proof did not verify"
    assert feed(session, *authenticate(server_final)) == [Message("AUTHENTICATE", ("+",))]
    feed(session, ":srv 900 alice alice!a@h ada :You are now logged in as ada")
    assert feed(session, ":srv 903 alice :SASL authentication successful") == [Message("CAP", ("END",))]
    assert session.state.account == "ada"
    assert "Logged in as ada" in lines(session)
    assert "SASL login as ada succeeded (SCRAM-SHA-256)" in lines(session)


def test_a_server_with_a_wrong_signature_is_aborted() -> None:
    session = make()
    negotiate(session, "sasl=SCRAM-SHA-256")
    server = ScramServer(ScramVerifier.for_password("s3cret"))
    server.check(payload(feed(session, *authenticate(server.challenge(payload(feed(session, "AUTHENTICATE +")))))))
    out = feed(session, *authenticate(b"v=" + base64.b64encode(b"\0" * 32)))
    assert out == [Message("AUTHENTICATE", ("*",))]
    assert any("does not know the password" in text for text in errors(session))
    assert feed(session, ":srv 906 alice :SASL authentication aborted") == [Message("CAP", ("END",))]


def test_plain_is_refused_over_plain_tcp_and_the_password_never_sent() -> None:
    session = make()
    out = negotiate(session, "sasl=PLAIN")
    assert out == [Message("CAP", ("END",))]
    assert any("--allow-plaintext-password" in text and "--tls" in text for text in errors(session))


def test_plain_over_tls_or_when_allowed() -> None:
    for session in (make(secure=True), make(allow=True)):
        assert negotiate(session, "sasl=PLAIN") == [Message("AUTHENTICATE", ("PLAIN",))]
        assert payload(feed(session, "AUTHENTICATE +")) == b"\0ada\0s3cret"
        assert feed(session, ":srv 903 alice :ok") == [Message("CAP", ("END",))]


def test_scram_turned_down_falls_back_to_plain_only_where_the_password_may_travel() -> None:
    session = make(secure=True)
    assert negotiate(session, "sasl") == [Message("AUTHENTICATE", ("SCRAM-SHA-256",))]  # no list: try the best
    feed(session, ":srv 908 alice PLAIN,EXTERNAL :are available SASL mechanisms")
    assert feed(session, ":srv 904 alice :SASL authentication failed") == [Message("AUTHENTICATE", ("PLAIN",))]
    insecure = make()
    negotiate(insecure, "sasl")
    feed(insecure, ":srv 908 alice PLAIN :are available SASL mechanisms")
    assert feed(insecure, ":srv 904 alice :SASL authentication failed") == [Message("CAP", ("END",))]
    assert any("Not sending the password" in text for text in errors(insecure))


def test_a_wrong_password_is_one_clear_failure_and_no_retry_with_plain() -> None:
    session = make(secure=True, password="wrong")
    negotiate(session, "sasl=SCRAM-SHA-256,PLAIN")
    server = ScramServer(ScramVerifier.for_password("right"))
    final = payload(feed(session, *authenticate(server.challenge(payload(feed(session, "AUTHENTICATE +"))))))
    assert server.check(final) is None
    assert feed(session, ":srv 904 alice :SASL authentication failed") == [Message("CAP", ("END",))]
    assert any("failed (904" in text and "Continuing without logging in" in text for text in errors(session))
    assert session.state.account is None


def test_long_plain_credentials_are_chunked_with_a_closing_plus() -> None:
    session = make(secure=True, password="p" * 294)  # "\0ada\0" + 294 bytes = 300 bytes = 400 base64 bytes
    negotiate(session, "sasl=PLAIN")
    out = feed(session, "AUTHENTICATE +")
    assert [len(m.params[0]) for m in out] == [400, 1] and out[-1].params == ("+",)
    assert payload(out) == b"\0ada\0" + b"p" * 294


def test_without_sasl_nickserv_identify_after_welcome_under_the_same_rule() -> None:
    secure = make(secure=True)
    feed(secure, ":srv CAP * LS :server-time", ":srv CAP alice ACK :server-time")
    assert Message("PRIVMSG", ("NickServ", "IDENTIFY ada s3cret")) in feed(secure, ":srv 001 alice :Welcome")
    plain_tcp = make()
    feed(plain_tcp, ":srv CAP * LS :server-time", ":srv CAP alice ACK :server-time")
    assert all(m.command != "PRIVMSG" for m in feed(plain_tcp, ":srv 001 alice :Welcome"))
    assert any("NickServ IDENTIFY" in text for text in errors(plain_tcp))


def registered(session: Session, caps: str) -> None:
    feed(session, f":srv CAP * LS :{caps}")
    acked = " ".join(c.split("=")[0] for c in caps.split() if c.split("=")[0] in ("sasl", "server-time"))
    if acked:
        feed(session, f":srv CAP alice ACK :{acked}")
    feed(session, ":srv 001 alice :Welcome")


def test_login_after_registration_uses_sasl_then_refuses_a_second_login() -> None:
    session = make(account=None)
    registered(session, "sasl=SCRAM-SHA-256 server-time")
    assert session.login(None, "pw") == [Message("AUTHENTICATE", ("SCRAM-SHA-256",))]
    assert session.identity.sasl_user == "alice"  # the account defaults to the nick
    feed(session, ":srv 900 alice alice!a@h alice :You are now logged in as alice", ":srv 903 alice :ok")
    assert session.login("other", "pw") == []
    assert any("Already logged in as alice" in text for text in errors(session))
    assert session.identity.sasl_user == "alice"  # the refused login changed nothing
    feed(session, ":srv 907 alice :You have already authenticated")
    assert any("907" in text for text in errors(session))


def test_login_without_sasl_is_nickserv_identify_and_masked_in_the_echo() -> None:
    session = make(account=None, secure=True)
    registered(session, "server-time")
    assert session.login("ada", "pw") == [Message("PRIVMSG", ("NickServ", "IDENTIFY ada pw"))]
    feed(session, ":alice!a@h PRIVMSG NickServ :IDENTIFY ada pw")  # echo-message
    window = session.state.find("NickServ")
    assert window is not None and [line.text for line in window.lines] == ["IDENTIFY ********"]
    over_tcp = make(account=None)
    registered(over_tcp, "server-time")
    assert over_tcp.login("ada", "pw") == []
    assert any("Not sending the password" in text for text in errors(over_tcp))


def test_register_with_account_registration_and_nickserv() -> None:
    session = make(account=None, secure=True)
    registered(session, "draft/account-registration=email-required server-time")
    assert session.register("pw", None) == []
    assert any("needs an email" in text for text in errors(session))
    assert session.register("pw", "a@example.org") == [Message("REGISTER", ("*", "a@example.org", "pw"))]
    feed(session, ":srv REGISTER SUCCESS alice :Account created")
    assert "Account alice registered: Account created" in lines(session)
    assert (session.identity.sasl_user, session.identity.sasl_password) == ("alice", "pw")  # for reconnects
    feed(session, ":srv FAIL REGISTER ACCOUNT_EXISTS alice :Account already exists")
    assert any("Registration failed: Account already exists (ACCOUNT_EXISTS)" in t for t in errors(session))

    nickserv = make(account=None, secure=True)
    registered(nickserv, "server-time")
    assert nickserv.register("pw", None) == [Message("PRIVMSG", ("NickServ", "REGISTER pw"))]
    assert nickserv.register("pw", "a@b.c") == [Message("PRIVMSG", ("NickServ", "REGISTER pw a@b.c"))]

    over_tcp = make(account=None)
    registered(over_tcp, "draft/account-registration")
    assert over_tcp.register("pw", None) == []
    assert any("Not sending the password" in text for text in errors(over_tcp))


def test_every_mechanism_turned_down_is_said_plainly() -> None:
    session = make(secure=True)
    assert negotiate(session, "sasl=SCRAM-SHA-256,PLAIN") == [Message("AUTHENTICATE", ("SCRAM-SHA-256",))]
    assert feed(session, ":srv 904 alice :no") == [Message("AUTHENTICATE", ("PLAIN",))]
    assert feed(session, ":srv 904 alice :no") == [Message("CAP", ("END",))]
    assert any("turned down SCRAM-SHA-256, PLAIN" in text for text in errors(session))
    unknown = make()
    assert negotiate(unknown, "sasl=EXTERNAL") == [Message("CAP", ("END",))]
    assert any("(EXTERNAL) include none chat-client knows" in text for text in errors(unknown))
