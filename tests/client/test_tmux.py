"""End to end in a real terminal: two chat-clients in tmux and a chat-server; keys in one show in the other."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.client.conftest import Tmux, client_command, client_env
from tests.support.servers import RunningServer

pytestmark = [
    pytest.mark.timeout(60),
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (apt-get install tmux)"),
]

def test_two_clients_chat_in_tmux(chat_srv: RunningServer, tmux: Tmux, tmp_path: Path) -> None:
    env = client_env(tmp_path)
    client = client_command(chat_srv.port)
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
