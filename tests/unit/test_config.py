"""Configuration: defaults, then a TOML file, then CHAT_* variables, then flags."""

from __future__ import annotations

import select
from pathlib import Path

import pytest

from server.config import load_config


def test_flags_beat_environment_which_beats_the_file(tmp_path: Path) -> None:
    toml = tmp_path / "server.toml"
    toml.write_text('port = 7000\npool = 7\nmotd = "/etc/motd"\nmax-clients = 50\n')
    config = load_config(["--config", str(toml), "--pool", "9"], {"CHAT_PORT": "7100"})
    assert (config.port, config.pool, config.motd, config.max_clients) == (7100, 9, "/etc/motd", 50)


def test_unknown_file_option_is_refused(tmp_path: Path) -> None:
    toml = tmp_path / "server.toml"
    toml.write_text("prot = 1\n")
    with pytest.raises(SystemExit, match="unknown option 'prot'"):
        load_config(["--config", str(toml)], {})


def test_where_the_log_lives_follows_the_mode() -> None:
    assert load_config(["--mode", "thread"], {}).log == "local"
    assert load_config(["--mode", "pool"], {}).log == "local"
    assert load_config(["--mode", "process"], {}).log == "manager"
    assert load_config(["--mode", "thread", "--log", "manager"], {}).log == "manager"
    with pytest.raises(SystemExit, match="process mode needs"):
        load_config(["--mode", "process", "--log", "local"], {})


def test_fsync_defaults_to_always_and_takes_everysec() -> None:
    assert load_config([], {}).fsync == "always"
    assert load_config(["--fsync", "everysec"], {}).fsync == "everysec"
    assert load_config([], {"CHAT_FSYNC": "everysec"}).fsync == "everysec"
    with pytest.raises(SystemExit):
        load_config(["--fsync", "never"], {})
    with pytest.raises(SystemExit, match="fsync must be one of always, everysec, not 'never'"):
        load_config([], {"CHAT_FSYNC": "never"})


def test_pool_and_process_mode_are_refused_without_epoll(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(select, "epoll")
    for mode in ("pool", "process"):
        with pytest.raises(SystemExit, match="use --mode thread"):
            load_config(["--mode", mode], {})
    assert load_config(["--mode", "thread"], {}).mode == "thread"
