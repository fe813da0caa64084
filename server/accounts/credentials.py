"""The CPU-heavy halves of account work, run in the HashPool (module-level, plain values in and out)."""

from __future__ import annotations

from dataclasses import dataclass

from server.auth.passwords import DUMMY_HASH, hash_password, needs_rehash, verify_password
from server.auth.scram import ScramKeys, derive_keys

__all__ = ["Credentials", "check_password", "make_credentials"]


@dataclass(frozen=True, slots=True)
class Credentials:
    """What is stored for a password: its argon2id hash and its SCRAM-SHA-256 keys."""

    password_hash: str
    scram: ScramKeys


def make_credentials(password: str) -> Credentials:
    return Credentials(hash_password(password), derive_keys(password))


def check_password(encoded: str | None, password: str) -> tuple[bool, Credentials | None]:
    """Whether ``password`` matches (an unknown account, ``None``, costs the same as a wrong
    password); and, when it matches a hash made with other parameters than today's,
    fresh credentials to store in its place."""
    if encoded is None:
        verify_password(DUMMY_HASH, password)
        return False, None
    if not verify_password(encoded, password):
        return False, None
    return True, (make_credentials(password) if needs_rehash(encoded) else None)
