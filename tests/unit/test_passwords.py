"""Password hashes (argon2id, parameters inside, never plaintext) and the HashPool that checks them."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from server.auth import HashPool, check_hash, hash_password, needs_rehash, verify_password
from server.auth.passwords import DUMMY_HASH

CHEAP = {"time_cost": 1, "memory_cost": 8, "parallelism": 1}


def test_a_hash_is_salted_argon2id_with_its_parameters_and_no_plaintext() -> None:
    first, second = hash_password("hunter22", **CHEAP), hash_password("hunter22", **CHEAP)
    assert first.startswith("$argon2id$v=19$m=8,t=1,p=1$")
    assert first != second  # a fresh salt each time
    assert "hunter22" not in first
    check_hash(first)


def test_verify_says_true_or_false_and_never_raises_for_a_wrong_password() -> None:
    encoded = hash_password("hunter22", **CHEAP)
    assert verify_password(encoded, "hunter22") is True
    assert verify_password(encoded, "hunter23") is False
    assert verify_password(encoded, "") is False
    assert verify_password(encoded, "ünïcode\x00and nul") is False


def test_the_real_cost_is_the_default_and_cheap_hashes_need_a_rehash() -> None:
    real = hash_password("hunter22")
    assert real.startswith("$argon2id$v=19$m=32768,t=2,p=1$")
    assert verify_password(real, "hunter22")
    assert not needs_rehash(real)
    assert needs_rehash(hash_password("hunter22", **CHEAP))


def test_the_dummy_hash_costs_what_a_real_one_costs() -> None:
    check_hash(DUMMY_HASH)
    assert not needs_rehash(DUMMY_HASH)  # same parameters, so the same time as an operator's hash


@pytest.mark.parametrize(("encoded", "why"), [
    ("", "not an argon2 hash"),
    ("hunter22", "not an argon2 hash"),
    ("$2b$12$abcdefghijklmnopqrstuu", "not an argon2 hash"),
    ("$argon2i$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2g", "only argon2id"),
    ("$argon2id$v=19$m=8,t=1$c2FsdHNhbHQ$aGFzaGhhc2g", "malformed"),
    ("$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ", "malformed"),
    ("$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFz!GhhcAg", "malformed"),
    ("$argon2id$v=19$m=8,t=0,p=1$c2FsdHNhbHQ$aGFzaGhhc2g", "out of range"),
    ("$argon2id$v=19$m=8,t=1,p=1$c2E$aGFzaGhhc2g", "too short"),
])
def test_check_hash_says_what_is_wrong(encoded: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        check_hash(encoded)
    with pytest.raises(ValueError):
        verify_password(encoded, "hunter22")


def sockets_held() -> set[int]:
    """The inodes of the sockets this process holds open (read in a pool worker)."""
    held = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            held.add(int(target[len("socket:["):-1]))
    return held


def test_the_pool_verifies_in_worker_processes() -> None:
    encoded = hash_password("hunter22", **CHEAP)
    pool = HashPool(max_workers=2)
    try:
        right = pool.submit(verify_password, encoded, "hunter22")
        wrong = pool.submit(verify_password, encoded, "hunter23")
        broken = pool.submit(verify_password, "plaintext", "hunter22")
        assert right.result(timeout=30) is True
        assert wrong.result(timeout=30) is False
        with pytest.raises(ValueError, match="not an argon2 hash"):
            broken.result(timeout=30)
        assert pool.submit(os.getpid).result(timeout=30) != os.getpid()
    finally:
        pool.shutdown()


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs Linux's /proc")
def test_pool_workers_do_not_hold_the_servers_sockets() -> None:
    """A worker that inherited a client socket would keep that client connected after the server closed it."""
    listener = socket.create_server(("127.0.0.1", 0))
    client = socket.create_connection(listener.getsockname())
    accepted, _ = listener.accept()
    ours = {os.fstat(s.fileno()).st_ino for s in (listener, client, accepted)}
    pool = HashPool(max_workers=1)
    try:
        assert ours <= sockets_held()  # the check sees them here...
        held = pool.submit(sockets_held).result(timeout=30)
        assert not ours & held  # ...and the worker has none of them
    finally:
        pool.shutdown()
        for s in (listener, client, accepted):
            s.close()
