"""SCRAM-SHA-256 (RFC 5802, RFC 7677), the server's side, sans I/O.

At registration the password becomes a salt, an iteration count and two keys
(``derive_keys``, CPU work run in the hash pool); a login then checks the
client's proof with two HMACs, so the server never needs the password again.
A ``ScramExchange`` holds one login's state between its two messages.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import unicodedata
from dataclasses import dataclass

__all__ = ["ITERATIONS", "ScramError", "ScramExchange", "ScramKeys", "decoy_keys", "derive_keys", "saslprep"]

# RFC 7677 asks for at least 4096; the cost is the client's (it derives the same key).
ITERATIONS = 4096
SALT_BYTES = 16


class ScramError(ValueError):
    """The client's message is malformed, out of order, or its proof is wrong."""


@dataclass(frozen=True, slots=True)
class ScramKeys:
    salt: bytes
    iterations: int
    stored_key: bytes
    server_key: bytes


def saslprep(password: str) -> str:
    """RFC 4013's SASLprep as far as passwords need it: non-ASCII spaces to space, soft hyphens gone, NFKC."""
    mapped = "".join(" " if unicodedata.category(ch) == "Zs" else ch for ch in password
                     if ch not in "\u00ad\u034f\u1806\u180b\u180c\u180d\u200b\u200c\u200d\u2060\ufe00\ufeff")
    return unicodedata.normalize("NFKC", mapped)


def _hmac(key: bytes, data: bytes) -> bytes:
    return hmac.new(key, data, hashlib.sha256).digest()


def derive_keys(password: str, salt: bytes | None = None, iterations: int = ITERATIONS) -> ScramKeys:
    """The keys a server stores for ``password`` (PBKDF2: run it in the hash pool)."""
    salt = salt if salt is not None else os.urandom(SALT_BYTES)
    salted = hashlib.pbkdf2_hmac("sha256", saslprep(password).encode(), salt, iterations)
    client_key = _hmac(salted, b"Client Key")
    return ScramKeys(salt, iterations, hashlib.sha256(client_key).digest(), _hmac(salted, b"Server Key"))


def decoy_keys(secret: bytes, account: str) -> ScramKeys:
    """Keys for an account that does not exist: the same salt every time for the same name,
    so the challenge does not tell that the name is unknown; no proof matches them."""
    salt = _hmac(secret, b"salt:" + account.encode())[:SALT_BYTES]
    return ScramKeys(salt, ITERATIONS, _hmac(secret, b"stored:" + account.encode()), os.urandom(32))


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _unb64(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except ValueError:
        raise ScramError("bad base64 inside the SCRAM message") from None


def _attributes(message: str) -> list[tuple[str, str]]:
    pairs = []
    for part in message.split(","):
        if len(part) < 2 or part[1] != "=":
            raise ScramError(f"malformed SCRAM attribute {part[:20]!r}")
        pairs.append((part[0], part[2:]))
    return pairs


def _unescape_name(name: str) -> str:
    if "=" in name.replace("=2C", "").replace("=3D", ""):
        raise ScramError("bad escape in the SCRAM username")
    return name.replace("=2C", ",").replace("=3D", "=")


class ScramExchange:
    """One SCRAM-SHA-256 login: ``start`` with the client-first message, look up the
    account's keys, ``challenge``, then ``finish`` with the client-final message."""

    def __init__(self, client_first: bytes) -> None:
        try:
            text = client_first.decode()
        except UnicodeDecodeError:
            raise ScramError("the SCRAM message is not UTF-8") from None
        gs2, sep, bare = text.partition(",")
        authzid, sep2, rest = bare.partition(",")
        if not sep or not sep2 or gs2 not in ("n", "y"):
            raise ScramError("expected a client-first message (n,,n=...,r=...); channel binding is not offered")
        if authzid and not authzid.startswith("a="):
            raise ScramError("malformed SCRAM gs2 header")
        self.gs2_header = f"{gs2},{authzid},"
        self.client_first_bare = rest
        attrs = _attributes(rest)
        if len(attrs) < 2 or attrs[0][0] != "n" or attrs[1][0] != "r" or not attrs[1][1]:
            raise ScramError("the client-first message must start with n=<user>,r=<nonce>")
        if any(key == "m" for key, _ in attrs):
            raise ScramError("mandatory SCRAM extensions are not supported")
        self.username = _unescape_name(attrs[0][1])
        authz = _unescape_name(authzid[2:]) if authzid else ""
        if not self.username or (authz and authz != self.username):
            raise ScramError("empty username, or an authorization identity other than the user")
        self.client_nonce = attrs[1][1]
        self.nonce = ""
        self.server_first = ""
        self.keys: ScramKeys | None = None

    def challenge(self, keys: ScramKeys, server_nonce: str | None = None) -> bytes:
        """The server-first message, for the account's keys."""
        self.keys = keys
        self.nonce = self.client_nonce + (server_nonce or _b64(os.urandom(18)))
        self.server_first = f"r={self.nonce},s={_b64(keys.salt)},i={keys.iterations}"
        return self.server_first.encode()

    def finish(self, client_final: bytes) -> bytes:
        """Check the client's proof; the server-final message (v=<signature>) if it is right."""
        if self.keys is None:
            raise ScramError("the client-final message came before the challenge")
        try:
            text = client_final.decode()
        except UnicodeDecodeError:
            raise ScramError("the SCRAM message is not UTF-8") from None
        without_proof, sep, proof_text = text.rpartition(",p=")
        if not sep:
            raise ScramError("the client-final message has no proof")
        attrs = _attributes(without_proof)
        if len(attrs) < 2 or attrs[0][0] != "c" or attrs[1][0] != "r":
            raise ScramError("the client-final message must start with c=...,r=...")
        if _unb64(attrs[0][1]) != self.gs2_header.encode():
            raise ScramError("the channel binding does not match the gs2 header")
        if not hmac.compare_digest(attrs[1][1].encode(), self.nonce.encode()):
            raise ScramError("the nonce does not match this exchange's (replayed or forged)")
        proof = _unb64(proof_text)
        auth_message = f"{self.client_first_bare},{self.server_first},{without_proof}".encode()
        signature = _hmac(self.keys.stored_key, auth_message)
        if len(proof) != len(signature):
            raise ScramError("the proof has the wrong length")
        client_key = bytes(a ^ b for a, b in zip(proof, signature, strict=True))
        if not hmac.compare_digest(hashlib.sha256(client_key).digest(), self.keys.stored_key):
            raise ScramError("wrong password")
        return f"v={_b64(_hmac(self.keys.server_key, auth_message))}".encode()
