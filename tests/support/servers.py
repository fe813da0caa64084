"""Start a real chat-server in a subprocess on a free loopback port, and stop it."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

LISTENING = re.compile(r"listening on (?P<host>[0-9.]+):(?P<port>\d+)")
TLS_LISTENING = re.compile(r"TLS on [0-9.]+:(?P<tls_port>\d+)")
WS_LISTENING = re.compile(r"wss?://[0-9.]+:(?P<ws_port>\d+)")
MODES = ("thread", "pool", "process")
# Flood control is on by default, as in production: a test that sends faster than
# a person types says so by passing these flags.
NO_FLOOD_CONTROL = ("--flood-control", "off")


@dataclass
class RunningServer:
    proc: subprocess.Popen[str]
    host: str
    port: int
    output: list[str] = field(default_factory=list)
    tls_port: int = 0
    ws_port: int = 0

    @property
    def address(self) -> tuple[str, int]:
        return (self.host, self.port)

    def log_text(self) -> str:
        return "".join(self.output)

    def stop(self, timeout: float = 10.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        return self.proc.returncode


def _pump(proc: subprocess.Popen[str], sink: list[str], ready: threading.Event, found: dict[str, str]) -> None:
    assert proc.stdout is not None
    for line in proc.stdout:
        sink.append(line)
        match = LISTENING.search(line)
        if match and not ready.is_set():
            found.update(match.groupdict())
            tls = TLS_LISTENING.search(line)
            if tls:
                found.update(tls.groupdict())
            ws = WS_LISTENING.search(line)
            if ws:
                found.update(ws.groupdict())
            ready.set()
    ready.set()


@contextmanager
def chat_server(mode: str = "pool", *args: str, data_dir: Path | None = None, startup_timeout: float = 20.0,
                env: Mapping[str, str] | None = None) -> Iterator[RunningServer]:
    """Run ``python -m server`` on 127.0.0.1 port 0 and yield it once it listens (``env``: added variables)."""
    cmd = [sys.executable, "-m", "server", "--host", "127.0.0.1", "--port", "0", "--mode", mode,
           "--log-level", "INFO", *args]
    scratch = None
    if data_dir is None:  # a fresh history for every server, unless a test wants one kept
        scratch = tempfile.TemporaryDirectory(prefix="chat-test-")
        data_dir = Path(scratch.name)
    cmd += ["--data-dir", str(data_dir)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})})
    output: list[str] = []
    ready = threading.Event()
    found: dict[str, str] = {}
    threading.Thread(target=_pump, args=(proc, output, ready, found), daemon=True).start()
    try:
        ready.wait(startup_timeout)
        if not found:
            proc.kill()
            proc.wait(5)
            raise RuntimeError("chat-server did not start:\n" + "".join(output))
        server = RunningServer(proc, found["host"], int(found["port"]), output, int(found.get("tls_port", 0)),
                               int(found.get("ws_port", 0)))
        yield server
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        if scratch is not None:
            scratch.cleanup()


def wait_for(predicate: Callable[[], object], timeout: float = 5.0, interval: float = 0.01) -> bool:
    """Poll a condition until it holds or the deadline passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())
