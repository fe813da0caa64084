"""Authentication: password hashing, and the process pool that keeps it off the chat threads."""

from __future__ import annotations

from .passwords import HashPool, check_hash, hash_password, needs_rehash, verify_password

__all__ = ["HashPool", "check_hash", "hash_password", "needs_rehash", "verify_password"]
