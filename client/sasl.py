"""SASL for IRC without I/O: PLAIN, a SCRAM-SHA-256 client (RFC 5802/7677), and AUTHENTICATE framing.

Everything here works on bytes and strings; the session decides when to call it and what to send.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import stringprep
import unicodedata

__all__ = [
    "CHUNK",
    "Reassembler",
    "SaslError",
    "ScramClient",
    "authenticate_chunks",
    "plain",
    "saslprep",
]

CHUNK = 400  # AUTHENTICATE carries base64 in pieces of at most 400 bytes (IRCv3 sasl-3.1)
MAX_PAYLOAD = 8192  # far more than any SCRAM or PLAIN message; a server sending more is broken


class SaslError(Exception):
    """The server's SASL data is malformed, or it failed to prove it knows the password."""


def saslprep(text: str) -> str:
    """RFC 4013 SASLprep (stringprep profile for user names and passwords); SaslError if prohibited."""
    mapped = "".join(" " if stringprep.in_table_c12(ch) else ch for ch in text if not stringprep.in_table_b1(ch))
    normal = unicodedata.normalize("NFKC", mapped)
    for ch in normal:
        if (stringprep.in_table_c12(ch) or stringprep.in_table_c21_c22(ch) or stringprep.in_table_c3(ch)
                or stringprep.in_table_c4(ch) or stringprep.in_table_c5(ch) or stringprep.in_table_c6(ch)
                or stringprep.in_table_c7(ch) or stringprep.in_table_c8(ch) or stringprep.in_table_c9(ch)
                or stringprep.in_table_a1(ch)):
            raise SaslError(f"the character U+{ord(ch):04X} is not allowed in a SASL name or password")
    rtl = any(stringprep.in_table_d1(ch) for ch in normal)  # RFC 3454 section 6: the bidi rules
    if rtl and (any(stringprep.in_table_d2(ch) for ch in normal)
                or not (stringprep.in_table_d1(normal[0]) and stringprep.in_table_d1(normal[-1]))):
        raise SaslError("mixed right-to-left and left-to-right text is not allowed in a SASL name or password")
    return normal


def plain(account: str, password: str) -> bytes:
    """The PLAIN message (RFC 4616): no authorization identity, then the account and the password."""
    return b"\0" + account.encode("utf-8") + b"\0" + password.encode("utf-8")


def authenticate_chunks(payload: bytes) -> list[str]:
    """The parameters of the AUTHENTICATE lines that carry payload: base64 cut into 400-byte pieces.

    An empty payload is a single "+"; a payload whose base64 is an exact multiple of 400 bytes ends
    with "+" so the server knows nothing more is coming.
    """
    encoded = base64.b64encode(payload).decode("ascii")
    if not encoded:
        return ["+"]
    pieces = [encoded[i:i + CHUNK] for i in range(0, len(encoded), CHUNK)]
    if len(pieces[-1]) == CHUNK:
        pieces.append("+")
    return pieces


class Reassembler:
    """Joins the server's AUTHENTICATE pieces back into one payload."""

    def __init__(self) -> None:
        self._parts: list[str] = []

    def feed(self, param: str) -> bytes | None:
        """One AUTHENTICATE parameter; the decoded payload once it is complete, else None."""
        if param != "+":
            self._parts.append(param)
            if sum(len(p) for p in self._parts) > MAX_PAYLOAD:
                self._parts.clear()
                raise SaslError("the server's SASL message is too long")
            if len(param) == CHUNK:
                return None  # a full piece: more follows (or a lone "+")
        encoded, self._parts = "".join(self._parts), []
        try:
            return base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise SaslError(f"the server's SASL message is not valid base64: {exc}") from exc


def _attributes(message: bytes) -> dict[str, str]:
    try:
        text = message.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SaslError("the server's SCRAM message is not UTF-8") from exc
    out: dict[str, str] = {}
    for item in text.split(","):
        key, sep, value = item.partition("=")
        if not sep or len(key) != 1:
            raise SaslError(f"malformed SCRAM attribute {item!r}")
        out.setdefault(key, value)
    return out


def _hmac(key: bytes, data: bytes) -> bytes:
    return hmac.new(key, data, hashlib.sha256).digest()


class ScramClient:
    """One SCRAM-SHA-256 exchange, without channel binding ("n,,"): first(), final(), verify()."""

    MIN_ITERATIONS = 4096  # RFC 7677 section 4: at least 4096
    MAX_ITERATIONS = 1_000_000  # a hostile server must not make us spin for minutes

    def __init__(self, username: str, password: str, nonce: str | None = None) -> None:
        name = saslprep(username).replace("=", "=3D").replace(",", "=2C")
        self._password = saslprep(password).encode("utf-8")
        self._nonce = nonce or secrets.token_urlsafe(24)
        self._first_bare = f"n={name},r={self._nonce}"
        self._server_signature: bytes | None = None

    def first(self) -> bytes:
        """client-first-message."""
        return ("n,," + self._first_bare).encode("utf-8")

    def final(self, server_first: bytes) -> bytes:
        """client-final-message with the proof, from the server's nonce, salt and iteration count."""
        attrs = _attributes(server_first)
        if "m" in attrs:
            raise SaslError("the server requires a SCRAM extension we do not know")
        nonce, salt_b64, iterations_text = attrs.get("r"), attrs.get("s"), attrs.get("i")
        if nonce is None or salt_b64 is None or iterations_text is None:
            raise SaslError("the server's SCRAM challenge lacks a nonce, salt or iteration count")
        if not nonce.startswith(self._nonce) or len(nonce) == len(self._nonce):
            raise SaslError("the server's SCRAM nonce does not extend ours")
        try:
            salt = base64.b64decode(salt_b64, validate=True)
            iterations = int(iterations_text)
        except (binascii.Error, ValueError) as exc:
            raise SaslError("the server's SCRAM salt or iteration count is malformed") from exc
        if not self.MIN_ITERATIONS <= iterations <= self.MAX_ITERATIONS:
            raise SaslError(f"the server asks for {iterations} SCRAM iterations "
                            f"(allowed: {self.MIN_ITERATIONS} to {self.MAX_ITERATIONS})")
        salted = hashlib.pbkdf2_hmac("sha256", self._password, salt, iterations)
        client_key = _hmac(salted, b"Client Key")
        stored_key = hashlib.sha256(client_key).digest()
        without_proof = f"c={base64.b64encode(b'n,,').decode()},r={nonce}"
        auth_message = f"{self._first_bare},{server_first.decode('utf-8')},{without_proof}".encode()
        signature = _hmac(stored_key, auth_message)
        proof = bytes(a ^ b for a, b in zip(client_key, signature, strict=True))
        self._server_signature = _hmac(_hmac(salted, b"Server Key"), auth_message)
        return f"{without_proof},p={base64.b64encode(proof).decode()}".encode()

    def verify(self, server_final: bytes) -> None:
        """Check the server's signature: it proves the server knew the password too."""
        attrs = _attributes(server_final)
        if "e" in attrs:
            raise SaslError(f"the server refused the SCRAM proof: {attrs['e']}")
        if self._server_signature is None or "v" not in attrs:
            raise SaslError("the server's SCRAM result came out of order")
        try:
            got = base64.b64decode(attrs["v"], validate=True)
        except (binascii.Error, ValueError) as exc:
            raise SaslError("the server's SCRAM signature is malformed") from exc
        if not hmac.compare_digest(got, self._server_signature):
            raise SaslError("the server's SCRAM signature is wrong: it does not know the password")
