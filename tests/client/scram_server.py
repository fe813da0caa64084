"""The server side of SCRAM-SHA-256 (RFC 5802 section 3, RFC 7677), written from the RFCs for the tests.

It shares no code with client/sasl.py, so a client bug cannot hide behind the same bug here: it
keeps only StoredKey and ServerKey (as a server would) and checks the client's proof against them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass


def _h(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _hmac(key: bytes, data: bytes) -> bytes:
    return hmac.new(key, data, "sha256").digest()


@dataclass
class ScramVerifier:
    """What a server stores for an account: salt, iterations, StoredKey and ServerKey."""

    salt: bytes
    iterations: int
    stored_key: bytes
    server_key: bytes

    @classmethod
    def for_password(cls, password: str, salt: bytes | None = None, iterations: int = 4096) -> ScramVerifier:
        salt = salt or secrets.token_bytes(16)
        salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)  # Hi() of RFC 5802
        return cls(salt, iterations, _h(_hmac(salted, b"Client Key")), _hmac(salted, b"Server Key"))


class ScramServer:
    """One server-side exchange: challenge(client_first) -> server_first; check(client_final) -> server_final."""

    def __init__(self, verifier: ScramVerifier, nonce: str | None = None) -> None:
        self.verifier = verifier
        self.server_nonce = nonce or secrets.token_urlsafe(18)
        self.username = ""
        self._client_first_bare = ""
        self._server_first = ""
        self._nonce = ""

    def challenge(self, client_first: bytes) -> bytes:
        text = client_first.decode()
        gs2, _, bare = text.partition(",,")  # gs2-header "n," plus an empty authzid
        assert gs2 == "n", f"unexpected gs2 header in {text!r}"
        fields = dict(item.split("=", 1) for item in bare.split(","))
        self.username = fields["n"].replace("=2C", ",").replace("=3D", "=")
        self._client_first_bare = bare
        self._nonce = fields["r"] + self.server_nonce
        salt = base64.b64encode(self.verifier.salt).decode()
        self._server_first = f"r={self._nonce},s={salt},i={self.verifier.iterations}"
        return self._server_first.encode()

    def check(self, client_final: bytes) -> bytes | None:
        """The server-final message (v=...) when the proof is right, None when it is wrong."""
        text = client_final.decode()
        without_proof, _, proof_b64 = text.rpartition(",p=")
        fields = dict(item.split("=", 1) for item in without_proof.split(","))
        assert fields["c"] == base64.b64encode(b"n,,").decode() and fields["r"] == self._nonce, text
        auth_message = f"{self._client_first_bare},{self._server_first},{without_proof}".encode()
        signature = _hmac(self.verifier.stored_key, auth_message)
        client_key = bytes(a ^ b for a, b in zip(base64.b64decode(proof_b64), signature, strict=True))
        if not hmac.compare_digest(_h(client_key), self.verifier.stored_key):
            return None
        return b"v=" + base64.b64encode(_hmac(self.verifier.server_key, auth_message))
