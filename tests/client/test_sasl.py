"""client/sasl.py on its own: RFC 7677's SCRAM-SHA-256 example, SASLprep, PLAIN, AUTHENTICATE framing."""

from __future__ import annotations

import base64

import pytest

from client.sasl import CHUNK, Reassembler, SaslError, ScramClient, authenticate_chunks, plain, saslprep
from tests.client.scram_server import ScramServer, ScramVerifier

# RFC 7677 section 3: user "user", password "pencil".
RFC_CLIENT_FIRST = b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO"
RFC_SERVER_FIRST = b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
RFC_CLIENT_FINAL = (b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
                    b"p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")
RFC_SERVER_FINAL = b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="


def test_scram_matches_the_rfc_7677_example() -> None:
    client = ScramClient("user", "pencil", nonce="rOprNGfwEbeRWgbNEkqO")
    assert client.first() == RFC_CLIENT_FIRST
    assert client.final(RFC_SERVER_FIRST) == RFC_CLIENT_FINAL
    client.verify(RFC_SERVER_FINAL)  # raises if the server's signature were wrong


def test_the_test_server_side_agrees_with_the_rfc_example_too() -> None:
    salt = base64.b64decode("W22ZaJ0SNY7soEsUEjb6gQ==")
    server = ScramServer(ScramVerifier.for_password("pencil", salt, 4096), nonce="%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0")
    assert server.challenge(RFC_CLIENT_FIRST) == RFC_SERVER_FIRST
    assert server.check(RFC_CLIENT_FINAL) == RFC_SERVER_FINAL


def test_a_wrong_password_gives_a_proof_the_server_rejects() -> None:
    server = ScramServer(ScramVerifier.for_password("right"))
    client = ScramClient("ada", "wrong")
    assert server.check(client.final(server.challenge(client.first()))) is None


def test_a_server_that_does_not_know_the_password_is_caught() -> None:
    client = ScramClient("user", "pencil", nonce="rOprNGfwEbeRWgbNEkqO")
    client.final(RFC_SERVER_FIRST)
    with pytest.raises(SaslError, match="signature is wrong"):
        client.verify(b"v=" + base64.b64encode(b"x" * 32))
    with pytest.raises(SaslError, match="refused"):
        client.verify(b"e=invalid-proof")


@pytest.mark.parametrize(("server_first", "why"), [
    (b"r=someoneelse,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", "nonce"),
    (b"r=rOprNGfwEbeRWgbNEkqO,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", "nonce"),  # not extended
    (b"r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=10", "iterations"),
    (b"r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=99999999", "iterations"),
    (b"r=rOprNGfwEbeRWgbNEkqOxyz,s=***,i=4096", "malformed"),
    (b"r=rOprNGfwEbeRWgbNEkqOxyz,i=4096", "lacks"),
    (b"m=ext,r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", "extension"),
    (b"garbage", "malformed"),
])
def test_bad_server_challenges_are_refused(server_first: bytes, why: str) -> None:
    with pytest.raises(SaslError, match=why):
        ScramClient("user", "pencil", nonce="rOprNGfwEbeRWgbNEkqO").final(server_first)


def test_names_are_escaped_and_saslprepped() -> None:
    assert ScramClient("a=b,c", "pw", nonce="n").first() == b"n,,n=a=3Db=2Cc,r=n"
    # RFC 4013 section 3's examples.
    assert saslprep("I\u00adX") == "IX"
    assert saslprep("user") == "user"
    assert saslprep("\u00aa") == "a"
    assert saslprep("\u2168") == "IX"
    assert saslprep("a\u00a0b") == "a b"
    with pytest.raises(SaslError):
        saslprep("\u0007")
    with pytest.raises(SaslError):
        saslprep("\u0627\u0031")  # right-to-left text must start and end right-to-left


def test_plain_message() -> None:
    assert plain("ada", "pw") == b"\0ada\0pw"


def test_authenticate_chunks_and_reassembly() -> None:
    assert authenticate_chunks(b"") == ["+"]
    exact = authenticate_chunks(b"x" * 300)  # 400 base64 bytes exactly: a "+" says that was all
    assert [len(p) for p in exact] == [CHUNK, 1] and exact[-1] == "+"
    longer = authenticate_chunks(b"x" * 301)
    assert [len(p) for p in longer] == [CHUNK, 4]
    for payload in (b"", b"x" * 300, b"y" * 301, bytes(range(256)) * 3):
        joined = Reassembler()
        results = [joined.feed(piece) for piece in authenticate_chunks(payload)]
        assert results[:-1] == [None] * (len(results) - 1) and results[-1] == payload


def test_reassembler_refuses_garbage_and_floods() -> None:
    with pytest.raises(SaslError, match="base64"):
        Reassembler().feed("!!!!")
    joined = Reassembler()
    with pytest.raises(SaslError, match="too long"):
        for _ in range(100):
            joined.feed("A" * CHUNK)
