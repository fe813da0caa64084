"""Fixtures for the client tests: servers on free loopback ports, an async IRC peer, a running ChatApp."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from prompt_toolkit.application import create_app_session
from prompt_toolkit.input import PipeInput, create_pipe_input
from prompt_toolkit.output import DummyOutput

from client.config import Settings
from client.ui import ChatApp
from server.protocol import LineBuffer, Message, ProtocolError, parse_line
from tests.support.servers import NO_FLOOD_CONTROL, RunningServer, chat_server

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def wait_port(port: int, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=0.5):
            return True
        time.sleep(0.05)
    return False


def miniircd_path() -> str | None:
    """miniircd on PATH, or beside this Python: `make test` runs .venv/bin/python without .venv/bin on PATH."""
    beside = Path(sys.executable).parent / "miniircd"
    return shutil.which("miniircd") or (str(beside) if os.access(beside, os.X_OK) else None)


@dataclass
class Miniircd:
    port: int
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        exe = miniircd_path()
        if exe is None:
            pytest.skip("miniircd is not installed (pip install miniircd)")
        args = [exe, "--listen", HOST, "--ports", str(self.port)]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            args += ["--setuid", "root"]  # miniircd refuses to run as root without saying so
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if not wait_port(self.port):
            self.stop()
            raise RuntimeError(f"miniircd did not listen on {self.port}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None


@pytest.fixture
def miniircd() -> Iterator[Miniircd]:
    """miniircd, an independent IRC server, on a free loopback port."""
    server = Miniircd(free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def chat_srv() -> Iterator[RunningServer]:
    """Our chat-server in pool mode on a free loopback port."""
    with chat_server("pool", *NO_FLOOD_CONTROL) as srv:
        assert srv.host == HOST
        yield srv


async def wait_until(predicate: Callable[[], object], timeout: float = 5.0, what: str = "condition") -> None:
    """Yield to the event loop until predicate() holds; fail with what after the deadline."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


@dataclass
class Peer:
    """A plain IRC connection driven by the test, parsed with the project's parser."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    nick: str
    buffer: LineBuffer = field(default_factory=LineBuffer)
    seen: list[Message] = field(default_factory=list)

    @classmethod
    async def connect(cls, port: int, nick: str) -> Peer:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(HOST, port), 5)
        peer = cls(reader, writer, nick)
        peer.send(Message("NICK", (nick,)))
        peer.send(Message("USER", (nick, "0", "*", nick)))
        await peer.expect(lambda m: m.command == "001")
        return peer

    def send(self, message: Message) -> None:
        self.writer.write(message.to_bytes())

    async def expect(self, predicate: Callable[[Message], bool], timeout: float = 5.0) -> Message:
        """Read messages until one matches; answer PINGs on the way."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            for line in self.buffer.lines():
                if isinstance(line, bytes):
                    with contextlib.suppress(ProtocolError):
                        message = parse_line(line)
                        if message.command == "PING":
                            self.send(Message("PONG", message.params[-1:]))
                        self.seen.append(message)
            for message in self.seen:
                if predicate(message):
                    self.seen.remove(message)
                    return message
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(f"{self.nick}: no matching message; saw {[m.to_line() for m in self.seen]}")
            try:
                data = await asyncio.wait_for(self.reader.read(65536), remaining)
            except TimeoutError:
                continue
            if not data:
                raise AssertionError(f"{self.nick}: connection closed")
            self.buffer.feed(data)

    async def join(self, channel: str) -> None:
        self.send(Message("JOIN", (channel,)))
        await self.expect(lambda m: m.command == "366")

    async def close(self) -> None:
        with contextlib.suppress(OSError):
            self.send(Message("QUIT", ("bye",)))
            self.writer.close()
            await asyncio.wait_for(self.writer.wait_closed(), 2)


@dataclass
class Running:
    chat: ChatApp
    keys: PipeInput
    task: asyncio.Task[None]

    def type(self, text: str) -> None:
        self.keys.send_text(text)


@contextlib.asynccontextmanager
async def running_app(port: int, nick: str, channels: tuple[str, ...] = ("#lobby",),
                      **overrides: object) -> AsyncIterator[Running]:
    """A ChatApp on pipe input and a dummy output, connected to port, stopped and awaited on exit."""
    settings = Settings(host=HOST, port=port, nick=nick, channels=list(channels), history_file=None,
                        read_markers_file=None)  # never the user's own state dir
    for key, value in overrides.items():
        setattr(settings, key, value)
    with create_pipe_input() as keys, create_app_session(input=keys, output=DummyOutput()):
        chat = ChatApp(settings, input=keys, output=DummyOutput())
        task = asyncio.ensure_future(chat.run_async())
        try:
            await wait_until(lambda: chat.app.is_running, what="the application to start")
            yield Running(chat, keys, task)
        finally:
            if not task.done():
                await chat.quit("test over")
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(task, 10)


ROOT = Path(__file__).resolve().parents[2]


class Tmux:
    """A private tmux server (its own socket), killed at the end."""

    def __init__(self, socket_name: str) -> None:
        self.base = ["tmux", "-L", socket_name, "-f", "/dev/null"]

    def run(self, *args: str) -> str:
        return subprocess.run([*self.base, *args], check=True, capture_output=True, text=True, timeout=10).stdout

    def start(self, name: str, command: str, env: dict[str, str], size: tuple[int, int] = (80, 24)) -> None:
        exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
        self.run("new-session", "-d", "-s", name, "-x", str(size[0]), "-y", str(size[1]),
                 f"cd {shlex.quote(str(ROOT))} && env {exports} {command}")

    def capture(self, name: str) -> str:
        return self.run("capture-pane", "-p", "-t", name)

    def wait_for(self, name: str, text: str, timeout: float = 15.0) -> str:
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.capture(name)
            if text in screen:
                return screen
            time.sleep(0.1)
        raise AssertionError(f"{text!r} never appeared in {name}:\n{screen}")

    def kill(self) -> None:
        subprocess.run([*self.base, "kill-server"], capture_output=True, timeout=10)


@pytest.fixture
def tmux(tmp_path: Path) -> Iterator[Tmux]:
    mux = Tmux(f"chat-client-test-{os.getpid()}-{tmp_path.name}")
    try:
        yield mux
    finally:
        mux.kill()


def client_env(tmp_path: Path) -> dict[str, str]:
    return {
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "TERM": "xterm-256color",
        "PYTHONPATH": str(ROOT),
    }


def client_command(port: int) -> str:
    return f"{shlex.quote(sys.executable)} -m client --host 127.0.0.1 --port {port}"
