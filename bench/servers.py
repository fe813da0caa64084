"""Start and stop the servers the benchmarks measure: chat-server, the relay, Debian's ngircd."""

from __future__ import annotations

import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Server", "chat_server", "free_port", "ngircd_available", "ngircd_server", "relay_server"]

HOST = "127.0.0.1"  # benchmarks only ever target the loopback
_LISTENING = re.compile(r"listening on (?P<host>[0-9.]+):(?P<port>\d+)")


@dataclass
class Server:
    """A running server process and where it listens."""

    name: str
    proc: subprocess.Popen[str]
    port: int


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def _stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


@contextmanager
def _announced(name: str, cmd: list[str], timeout: float = 20.0, cwd: Path | None = None) -> Iterator[Server]:
    """Start cmd (in cwd) and wait for its 'listening on HOST:PORT' line."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=cwd)
    found: dict[str, str] = {}
    ready = threading.Event()
    lines: list[str] = []

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            if len(lines) < 200:
                lines.append(line)
            match = _LISTENING.search(line)
            if match and not ready.is_set():
                found.update(match.groupdict())
                ready.set()
        ready.set()

    threading.Thread(target=pump, daemon=True).start()
    try:
        ready.wait(timeout)
        if not found:
            raise RuntimeError(f"{name} did not start: " + "".join(lines[-5:]).strip())
        yield Server(name, proc, int(found["port"]))
    finally:
        _stop(proc)


@contextmanager
def chat_server(mode: str, pool: int = 20, source: Path | None = None, flags: Sequence[str] = ()) -> Iterator[Server]:
    """chat-server from this checkout, or from ``source`` (another checkout, e.g. an older commit).

    Flood control is off, as it is for the anchor servers: a benchmark's clients send as fast as
    the server takes them (checkouts from before flood control have none to turn off)."""
    root = source or Path(__file__).resolve().parent.parent
    no_flood = ["--flood-control", "off"] if "flood_control" in (root / "server" / "config.py").read_text() else []
    cmd = [sys.executable, "-m", "server", "--host", HOST, "--port", "0", "--mode", mode, "--pool", str(pool),
           "--log-level", "INFO", *no_flood, *flags]
    with tempfile.TemporaryDirectory(prefix="bench-chat-") as data, \
            _announced(shlex.join(["chat-server", "--mode", mode, *flags]), [*cmd, "--data-dir", data],
                       cwd=source) as server:
        yield server


@contextmanager
def relay_server() -> Iterator[Server]:
    with _announced("relay", [sys.executable, "-m", "loadtest.relay", "--host", HOST, "--port", "0"]) as server:
        yield server


def ngircd_available() -> bool:
    return shutil.which("ngircd") is not None or Path("/usr/sbin/ngircd").exists()


_NGIRCD_CONF = """\
[Global]
Name = bench.local
Info = chat-loadtest reference
Listen = {host}
Ports = {port}
MotdPhrase = bench
ServerUID = {uid}
ServerGID = {gid}
PidFile = {dir}/ngircd.pid
[Limits]
MaxConnections = 0
MaxConnectionsIP = 0
MaxJoins = 0
MaxNickLength = 30
MaxPenaltyTime = 0
PingTimeout = 600
PongTimeout = 600
[Options]
DNS = no
Ident = no
PAM = no
"""


@contextmanager
def ngircd_server() -> Iterator[Server]:
    """Debian's ngircd with flood control off, in the foreground, on a free loopback port."""
    import os

    binary = shutil.which("ngircd") or "/usr/sbin/ngircd"
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="bench-ngircd-") as tmp:
        conf = Path(tmp) / "ngircd.conf"
        conf.write_text(_NGIRCD_CONF.format(host=HOST, port=port, dir=tmp, uid=os.getuid(), gid=os.getgid()))
        proc = subprocess.Popen([binary, "--nodaemon", "--config", str(conf)], stdout=subprocess.DEVNULL,
                                stderr=subprocess.STDOUT, text=True)
        try:
            deadline = time.monotonic() + 10
            while True:
                try:
                    socket.create_connection((HOST, port), 0.2).close()
                    break
                except OSError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError("ngircd did not start") from None
                    time.sleep(0.05)
            yield Server("ngircd", proc, port)
        finally:
            _stop(proc)
