"""SASL framing, PLAIN, and SCRAM-SHA-256 (RFC 7677's test vector, and an independent client)."""

from __future__ import annotations

import base64

import pytest

from server.auth.sasl import CHUNK, MAX_PAYLOAD, ChunkReader, SaslError, encode_chunks, parse_plain
from server.auth.scram import ScramError, ScramExchange, decoy_keys, derive_keys
from tests.support.scram_client import ScramClient

# RFC 7677 section 3.
RFC_SALT = base64.b64decode("W22ZaJ0SNY7soEsUEjb6gQ==")
RFC_CLIENT_FIRST = b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO"
RFC_SERVER_NONCE = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
RFC_SERVER_FIRST = b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
RFC_CLIENT_FINAL = (b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
                    b"p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")
RFC_SERVER_FINAL = b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="


def test_rfc7677_vector() -> None:
    keys = derive_keys("pencil", RFC_SALT, 4096)
    exchange = ScramExchange(RFC_CLIENT_FIRST)
    assert exchange.username == "user"
    assert exchange.challenge(keys, RFC_SERVER_NONCE) == RFC_SERVER_FIRST
    assert exchange.finish(RFC_CLIENT_FINAL) == RFC_SERVER_FINAL


def test_rfc7677_vector_with_the_wrong_password_fails() -> None:
    exchange = ScramExchange(RFC_CLIENT_FIRST)
    exchange.challenge(derive_keys("pencil2", RFC_SALT, 4096), RFC_SERVER_NONCE)
    with pytest.raises(ScramError, match="wrong password"):
        exchange.finish(RFC_CLIENT_FINAL)


def test_independent_client_logs_in_and_checks_the_server() -> None:
    keys = derive_keys("correct horse")
    client = ScramClient("Alice,=x", "correct horse")
    exchange = ScramExchange(client.first())
    assert exchange.username == "Alice,=x"
    server_final = exchange.finish(client.final(exchange.challenge(keys)))
    assert client.verify_server(server_final)


def test_replayed_final_message_fails_on_a_new_exchange() -> None:
    keys = derive_keys("correct horse")
    client = ScramClient("alice", "correct horse", nonce="fixednonce")
    first = ScramExchange(client.first())
    final = client.final(first.challenge(keys))
    first.finish(final)
    second = ScramExchange(client.first())
    second.challenge(keys)
    with pytest.raises(ScramError, match="nonce"):
        second.finish(final)


def test_mismatched_nonce_and_out_of_order_steps_fail() -> None:
    keys = derive_keys("pw123456")
    client = ScramClient("alice", "pw123456")
    exchange = ScramExchange(client.first())
    server_first = exchange.challenge(keys)
    with pytest.raises(ScramError, match="nonce"):
        exchange.finish(client.final(server_first, nonce=client.nonce + "other"))
    with pytest.raises(ScramError):
        ScramExchange(client.final(server_first))  # a final message first
    with pytest.raises(ScramError, match="before the challenge"):
        ScramExchange(client.first()).finish(b"c=biws,r=x,p=AAAA")
    with pytest.raises(ScramError):
        ScramExchange(b"p=tls-unique,,n=alice,r=abc")  # channel binding is not offered


def test_decoys_are_stable_per_name() -> None:
    assert decoy_keys(b"s" * 32, "nobody").salt == decoy_keys(b"s" * 32, "nobody").salt
    assert decoy_keys(b"s" * 32, "nobody").salt != decoy_keys(b"s" * 32, "someone").salt


def test_chunks_reassemble_with_plus_after_a_full_chunk() -> None:
    payload = b"\0foo\0" + b"x" * 600
    chunks = encode_chunks(payload)
    assert len(chunks[0]) == CHUNK and chunks[-1] != "+"
    reader = ChunkReader()
    results = [reader.feed(c) for c in chunks]
    assert results[:-1] == [None] * (len(chunks) - 1) and results[-1] == payload
    exact = base64.b64encode(b"y" * 300).decode()  # 400 characters: "+" must end it
    assert reader.feed(exact) is None and reader.feed("+") == b"y" * 300
    assert encode_chunks(b"y" * 300) == [exact, "+"]
    assert ChunkReader().feed("+") == b""


def test_chunk_refusals() -> None:
    with pytest.raises(SaslError) as info:
        ChunkReader().feed("A" * (CHUNK + 1))
    assert info.value.too_long
    reader = ChunkReader()
    with pytest.raises(SaslError) as info:
        for _ in range(MAX_PAYLOAD // CHUNK + 2):
            reader.feed("A" * CHUNK)
    assert not info.value.too_long  # 904: too long in sum is a failed exchange; 905 is for one chunk over 400
    assert "over 8192 bytes" in str(info.value)
    with pytest.raises(SaslError) as info:
        ChunkReader().feed("!!!")
    assert not info.value.too_long


@pytest.mark.parametrize("payload", [b"\0\0sesame", b"\0jilles\0", b"\0jilles\0sesa\0me", b"other\0jilles\0sesame",
                                     b"jilles", b"\0\xff\0pw"])
def test_plain_refusals(payload: bytes) -> None:
    with pytest.raises(SaslError):
        parse_plain(payload)


def test_plain() -> None:
    assert parse_plain(b"\0jilles\0sesame") == ("jilles", "sesame")
    assert parse_plain(b"Jilles\0jilles\0s\xc3\xa9same") == ("jilles", "s\u00e9same")
