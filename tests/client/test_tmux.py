"""End to end in a real terminal: two chat-clients in tmux and a chat-server; keys in one show in the other."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.servers import RunningServer

pytestmark = [
    pytest.mark.timeout(60),
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (apt-get install tmux)"),
]

ROOT = Path(__file__).resolve().parents[2]


class Tmux:
    """A private tmux server (its own socket), killed at the end."""

    def __init__(self, socket_name: str) -> None:
        self.base = ["tmux", "-L", socket_name, "-f", "/dev/null"]

    def run(self, *args: str) -> str:
        return subprocess.run([*self.base, *args], check=True, capture_output=True, text=True, timeout=10).stdout

    def start(self, name: str, command: str, env: dict[str, str]) -> None:
        exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
        self.run("new-session", "-d", "-s", name, "-x", "80", "-y", "24", f"cd {shlex.quote(str(ROOT))} && "
                 f"env {exports} {command}")

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


def test_two_clients_chat_in_tmux(chat_srv: RunningServer, tmux: Tmux, tmp_path: Path) -> None:
    env = {
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "TERM": "xterm-256color",
        "PYTHONPATH": str(ROOT),
    }
    client = f"{shlex.quote(sys.executable)} -m client --host 127.0.0.1 --port {chat_srv.port}"
    tmux.start("ann", f"{client} --nick ann", env)
    tmux.wait_for("ann", "You joined #lobby")
    tmux.start("ben", f"{client} --nick ben", env)
    tmux.wait_for("ben", "You joined #lobby")
    tmux.wait_for("ann", "ben joined")

    tmux.run("send-keys", "-t", "ben", "hello from ben in tmux", "Enter")
    screen = tmux.wait_for("ann", "<ben> hello from ben in tmux")
    assert "ben" in screen.splitlines()[0] or "ann" in screen.splitlines()[0]

    # A query from ann opens a window on ben's side, shown with a mention count in the window list.
    tmux.run("send-keys", "-t", "ann", "/msg ben just for you", "Enter")
    screen = tmux.wait_for("ben", "3:ann")
    assert "!1" in screen
    tmux.run("send-keys", "-t", "ben", "M-3")
    tmux.wait_for("ben", "<ann> just for you")

    tmux.run("send-keys", "-t", "ann", "/quit", "Enter")
    tmux.wait_for("ben", "ann quit")
    tmux.run("send-keys", "-t", "ben", "C-c")
