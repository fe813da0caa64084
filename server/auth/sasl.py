"""SASL framing and PLAIN (IRCv3 SASL 3.1/3.2, RFC 4616), sans I/O.

``AUTHENTICATE`` carries base64 in chunks of at most 400 bytes; a chunk of
exactly 400 says more follows, and ``+`` alone ends a payload (or is an empty
one). ``ChunkReader`` reassembles them and refuses what no honest client
sends: an over-long chunk (905 ERR_SASLTOOLONG, which SASL 3.1 defines for a
parameter over 400 bytes), or chunks without end (904 ERR_SASLFAIL: the
exchange fails, as Ergo answers it too; 905 is about one chunk, not the sum).
"""

from __future__ import annotations

import base64

__all__ = ["CHUNK", "MAX_PAYLOAD", "ChunkReader", "SaslError", "encode_chunks", "parse_plain"]

CHUNK = 400
# The longest payload taken (in base64 characters, 6 KiB decoded): a PLAIN message with the longest password
# anyone can register (what fits on one 512-byte REGISTER line) is under 700, a SCRAM message under 300.
MAX_PAYLOAD = 8192


class SaslError(ValueError):
    """A SASL step that fails; ``too_long`` ones get 905, the rest 904."""

    def __init__(self, reason: str, too_long: bool = False) -> None:
        super().__init__(reason)
        self.too_long = too_long


class ChunkReader:
    def __init__(self) -> None:
        self._parts: list[str] = []
        self._size = 0

    def feed(self, chunk: str) -> bytes | None:
        """Take one AUTHENTICATE parameter; the decoded payload once complete, else None."""
        if len(chunk) > CHUNK:
            raise SaslError(f"AUTHENTICATE chunks are at most {CHUNK} bytes", too_long=True)
        if chunk != "+":
            self._size += len(chunk)
            if self._size > MAX_PAYLOAD:
                self._parts, self._size = [], 0
                raise SaslError(f"the SASL payload is over {MAX_PAYLOAD} bytes")
            self._parts.append(chunk)
            if len(chunk) == CHUNK:
                return None
        text = "".join(self._parts)
        self._parts, self._size = [], 0
        try:
            return base64.b64decode(text, validate=True)
        except ValueError:
            raise SaslError("the AUTHENTICATE payload is not valid base64") from None


def encode_chunks(payload: bytes) -> list[str]:
    """The AUTHENTICATE parameters that carry ``payload`` (the server's challenges)."""
    text = base64.b64encode(payload).decode()
    chunks = [text[i : i + CHUNK] for i in range(0, len(text), CHUNK)]
    if not chunks or len(chunks[-1]) == CHUNK:
        chunks.append("+")
    return chunks


def parse_plain(payload: bytes) -> tuple[str, str]:
    """(account, password) from a PLAIN message ``[authzid] NUL authcid NUL passwd``."""
    parts = payload.split(b"\0")
    if len(parts) != 3:
        raise SaslError("PLAIN needs exactly authzid NUL authcid NUL password")
    try:
        authzid, authcid, password = (p.decode() for p in parts)
    except UnicodeDecodeError:
        raise SaslError("PLAIN credentials are not UTF-8") from None
    if not authcid or not password:
        raise SaslError("empty account name or password")
    if authzid and authzid.casefold() != authcid.casefold():
        raise SaslError("logging in as another account than your own is not allowed")
    return authcid, password
