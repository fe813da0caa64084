"""Password hashes: argon2id strings with their parameters inside, and a process pool to check them in.

A hash costs tens of milliseconds of CPU on purpose (that is what makes a
stolen hash expensive to guess), so a chat thread never computes one: the
domain hands the work to ``Context.defer`` and the connection layer runs it in
a ``HashPool``. Every function here is module-level and takes plain strings,
so it can be pickled to a worker process.
"""

from __future__ import annotations

import base64
import multiprocessing
import os
import re
import signal
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any, TypeVar

from argon2 import PasswordHasher, Type, extract_parameters
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

__all__ = ["DUMMY_HASH", "HashPool", "check_hash", "hash_password", "needs_rehash", "verify_password"]

# One verify costs about 45 ms on the 2-core machine the benchmarks run on
# (BENCHMARKS.md, "Password hashing cost"): above OWASP's argon2id minimum
# (19 MiB, t=2). One lane each: the pool already runs hashes side by side.
TIME_COST = 2
MEMORY_COST = 32 * 1024  # KiB
PARALLELISM = 1

_HASHER = PasswordHasher(time_cost=TIME_COST, memory_cost=MEMORY_COST, parallelism=PARALLELISM, type=Type.ID)

# What an unknown operator name is checked against, so that it costs what a
# wrong password costs and the time of a reply does not tell which names exist.
# Its password was random and is forgotten; not needs_rehash() (a test checks).
DUMMY_HASH = "$argon2id$v=19$m=32768,t=2,p=1$Ab8P5WEsARrKYiTiYth35g$GUacbK1TBPye462vFWymnrkrdGh8m3aSuyywwvI6yxM"

# $argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<hash>, base64 without padding.
_ENCODED = re.compile(r"\$argon2id\$v=19\$m=(\d{1,10}),t=(\d{1,10}),p=(\d{1,3})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)")


def hash_password(password: str, *, time_cost: int = TIME_COST, memory_cost: int = MEMORY_COST,
                  parallelism: int = PARALLELISM) -> str:
    """The argon2id hash of ``password``, salted, its parameters in the string.

    Tests pass cheap parameters; everything else keeps the real cost.
    """
    if (time_cost, memory_cost, parallelism) == (TIME_COST, MEMORY_COST, PARALLELISM):
        return _HASHER.hash(password)
    hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism, type=Type.ID)
    return hasher.hash(password)


def check_hash(encoded: str) -> None:
    """Raise ValueError, saying what is wrong, unless ``encoded`` is an argon2id hash we can verify.

    Cheap (no hashing): the configuration is checked with it at start-up and on REHASH.
    """
    if not encoded.startswith("$argon2"):
        raise ValueError("not an argon2 hash (make one with: chat-server hash-password)")
    if not encoded.startswith("$argon2id$"):
        raise ValueError(f"unsupported hash type {encoded.split('$')[1]!r}: only argon2id is accepted")
    found = _ENCODED.fullmatch(encoded)
    if found is None:
        raise ValueError("malformed argon2id hash: expected $argon2id$v=19$m=...,t=...,p=...$<salt>$<hash>")
    memory, passes, lanes = (int(found[i]) for i in (1, 2, 3))
    if passes < 1 or lanes < 1 or memory < 8 * lanes:
        raise ValueError(f"argon2id parameters out of range (m={memory}, t={passes}, p={lanes})")
    for part, least in ((found[4], 8), (found[5], 4)):
        try:
            decoded = base64.b64decode(part + "=" * (-len(part) % 4), validate=True)
        except ValueError:
            raise ValueError("malformed argon2id hash: its salt or digest is not base64") from None
        if len(decoded) < least:
            raise ValueError("malformed argon2id hash: its salt or digest is too short")
    try:
        extract_parameters(encoded)
    except InvalidHashError:
        raise ValueError("malformed argon2id hash") from None


def verify_password(encoded: str, password: str) -> bool:
    """Whether ``password`` matches ``encoded``; False for a wrong one, ValueError for a broken hash."""
    check_hash(encoded)
    try:
        return _HASHER.verify(encoded, password)
    except VerifyMismatchError:
        return False
    except VerificationError as exc:
        raise ValueError(f"cannot verify against this hash: {exc}") from None


def needs_rehash(encoded: str) -> bool:
    """True if ``encoded`` was made with other parameters than today's (rehash it at the next login)."""
    return _HASHER.check_needs_rehash(encoded)


T = TypeVar("T")


def _leave_signals_to_the_server() -> None:
    """In a pool worker: Ctrl-C and SIGHUP reach the whole process group, but only the
    server acts on them (it stops the pool itself); a worker killed by one would break the pool."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)


class HashPool:
    """Worker processes for CPU-heavy jobs such as password hashing.

    Built on the ``forkserver`` start method: a worker forked from the server
    process itself would hold a copy of every client socket open at that
    moment, and a client the server closes (KILL, SendQ) would stay connected
    until the worker exited. Forkserver workers come from a clean process
    that never had one.
    """

    def __init__(self, max_workers: int | None = None) -> None:
        workers = max_workers or os.cpu_count() or 1
        self.max_workers = workers
        self._executor = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("forkserver"),
                                             initializer=_leave_signals_to_the_server)

    def submit(self, fn: Callable[..., T], /, *args: Any) -> Future[T]:
        """Run ``fn(*args)`` in a worker; ``fn`` must be a module-level function, the args picklable."""
        return self._executor.submit(fn, *args)

    def shutdown(self, wait: bool = True) -> None:
        """Stop the workers; jobs not started yet are cancelled."""
        self._executor.shutdown(wait=wait, cancel_futures=True)
