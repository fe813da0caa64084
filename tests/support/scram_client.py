"""A SCRAM-SHA-256 client for tests, written from RFC 5802 section 3 (not from the server's code)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os


def _hmac(key: bytes, msg: bytes) -> bytes:
    return hmac.new(key, msg, hashlib.sha256).digest()


class ScramClient:
    def __init__(self, username: str, password: str, nonce: str | None = None) -> None:
        self.username = username.replace("=", "=3D").replace(",", "=2C")
        self.password = password
        self.nonce = nonce or base64.b64encode(os.urandom(18)).decode()
        self.client_first_bare = f"n={self.username},r={self.nonce}"
        self.auth_message = b""
        self.salted = b""

    def first(self) -> bytes:
        return ("n,," + self.client_first_bare).encode()

    def final(self, server_first: bytes, nonce: str | None = None) -> bytes:
        """The client-final message; ``nonce`` forces another nonce than the server's (to test refusals)."""
        attrs = dict(part.split("=", 1) for part in server_first.decode().split(","))
        if not attrs["r"].startswith(self.nonce):
            raise ValueError("server nonce does not extend ours")
        self.salted = hashlib.pbkdf2_hmac("sha256", self.password.encode(), base64.b64decode(attrs["s"]),
                                          int(attrs["i"]))
        without_proof = f"c=biws,r={nonce or attrs['r']}"
        self.auth_message = f"{self.client_first_bare},{server_first.decode()},{without_proof}".encode()
        client_key = _hmac(self.salted, b"Client Key")
        signature = _hmac(hashlib.sha256(client_key).digest(), self.auth_message)
        proof = bytes(a ^ b for a, b in zip(client_key, signature, strict=True))
        return f"{without_proof},p={base64.b64encode(proof).decode()}".encode()

    def verify_server(self, server_final: bytes) -> bool:
        expected = _hmac(_hmac(self.salted, b"Server Key"), self.auth_message)
        return server_final == b"v=" + base64.b64encode(expected)
