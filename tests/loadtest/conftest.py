"""Fixtures for the load tester's tests: the relay server (optionally faulty) on a free loopback port."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest

LISTENING = re.compile(r"listening on (?P<host>[0-9.]+):(?P<port>\d+)")


@dataclass
class RunningRelay:
    proc: subprocess.Popen[str]
    host: str
    port: int


@contextmanager
def relay_server(*args: str) -> Iterator[RunningRelay]:
    """Run ``python -m loadtest.relay`` on 127.0.0.1 port 0 until the block ends."""
    cmd = [sys.executable, "-m", "loadtest.relay", "--host", "127.0.0.1", "--port", "0", *args]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert proc.stdout is not None
        seen = ""
        match = None
        while match is None:  # notices (e.g. a stale compiled build) may come first
            line = proc.stdout.readline()
            if not line:
                raise RuntimeError(f"relay did not start: {seen}")
            seen += line
            match = LISTENING.search(line)
        yield RunningRelay(proc, match["host"], int(match["port"]))
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


@pytest.fixture
def relay() -> Iterator[RunningRelay]:
    with relay_server() as running:
        yield running


@pytest.fixture
def make_relay() -> Callable[..., object]:
    """relay_server itself, for tests that need fault options."""
    return relay_server
