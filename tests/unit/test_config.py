"""Configuration: defaults, then a TOML file, then CHAT_* variables, then flags."""

from __future__ import annotations

import os
import select
from pathlib import Path

import pytest

from server.auth import hash_password
from server.config import ConfigError, load_config
from server.domain.settings import OperBlock
from server.wiring import settings_from


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


def test_fsync_defaults_to_everysec_and_takes_always() -> None:
    assert load_config([], {}).fsync == "everysec"
    assert load_config(["--fsync", "always"], {}).fsync == "always"
    assert load_config([], {"CHAT_FSYNC": "always"}).fsync == "always"
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


CHEAP = {"time_cost": 1, "memory_cost": 8, "parallelism": 1}


def test_operator_blocks_come_from_the_file_with_their_hash_and_hosts(tmp_path: Path) -> None:
    alice, bob = hash_password("alice pw", **CHEAP), hash_password("bob pw", **CHEAP)
    toml = tmp_path / "server.toml"
    toml.write_text(f'port = 7000\n\n[opers.alice]\npassword = "{alice}"\nhosts = ["*@127.0.0.1", "~bob@::1"]\n\n'
                    f'[opers.bob]\npassword = "{bob}"\n')
    config = load_config(["--config", str(toml)], {})
    assert config.port == 7000 and config.config_file == str(toml)
    assert config.opers == {"alice": OperBlock("alice", alice, ("*@127.0.0.1", "~bob@::1")),
                            "bob": OperBlock("bob", bob, ("*@*",))}
    settings = settings_from(config)
    assert settings.opers == (config.opers["alice"], config.opers["bob"])
    assert settings.config_file == str(toml)
    assert load_config([], {}).opers == {} and settings_from(load_config([], {})).opers == ()


@pytest.mark.parametrize(("block", "why"), [
    ('password = "hunter22"', r"\[opers.root\] in .*: bad password hash: not an argon2 hash"),
    ('password = "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ"', r"\[opers.root\] in .*: bad password hash: malformed"),
    ('password = "$argon2i$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2g"', r"\[opers.root\].*only argon2id"),
    ('hosts = ["*@*"]', r"\[opers.root\] in .*: password = \"<hash>\" is required"),
    ('password = "{good}"\nhosts = "*@*"', r"\[opers.root\] in .*: hosts must be a list of user@host masks"),
    ('password = "{good}"\nhosts = ["127.0.0.1"]', r"\[opers.root\] in .*: hosts must be a list"),
    ('password = "{good}"\npasword = "x"', r"\[opers.root\] in .*: unknown key 'pasword'"),
])
def test_a_bad_operator_block_stops_start_up_naming_the_block(tmp_path: Path, block: str, why: str) -> None:
    toml = tmp_path / "server.toml"
    toml.write_text("[opers.root]\n" + block.replace("{good}", hash_password("pw", **CHEAP)) + "\n")
    with pytest.raises(SystemExit, match=why):
        load_config(["--config", str(toml)], {})


def test_operators_cannot_come_from_flags_or_the_environment(tmp_path: Path) -> None:
    with pytest.raises(SystemExit):
        load_config(["--opers", "x"], {})
    assert load_config([], {"CHAT_OPERS": "x", "CHAT_CONFIG_FILE": "y"}).opers == {}
    toml = tmp_path / "server.toml"
    toml.write_text('opers = "root"\n')
    with pytest.raises(SystemExit, match=r"must be \[opers.NAME\] tables"):
        load_config(["--config", str(toml)], {})


def test_hash_workers_default_to_the_cpu_count() -> None:
    assert load_config([], {}).hash_workers == (os.cpu_count() or 2)
    assert load_config(["--hash-workers", "3"], {}).hash_workers == 3
    assert load_config([], {"CHAT_HASH_WORKERS": "1"}).hash_workers == 1
    with pytest.raises(SystemExit, match="hash_workers must be at least 1"):
        load_config(["--hash-workers", "0"], {})


def test_internet_facing_defaults_and_their_checks(tmp_path: Path) -> None:
    config = load_config([], {})
    assert (config.flood_control, config.flood_burst, config.flood_rate, config.recvq) == ("on", 5, 2.0, 8192)
    assert (config.max_per_ip, config.throttle, config.throttle_exempt) == (16, "32/600", "127.0.0.1/32,::1/128")
    assert config.tls_port == -1
    toml = tmp_path / "server.toml"
    toml.write_text('throttle-exempt = ["10.0.0.0/8", "::1/128"]\n')
    assert load_config(["--config", str(toml)], {}).throttle_exempt == "10.0.0.0/8,::1/128"
    for flags, complaint in ((["--throttle", "32"], "N/SECONDS"), (["--throttle", "a/b"], "N/SECONDS"),
                             (["--throttle-exempt", "127.0.0.1/40"], "127.0.0.1/40"),
                             (["--flood-rate", "0"], "flood-rate"), (["--tls-port", "6697"], "--tls-cert")):
        with pytest.raises(ConfigError, match=complaint) as caught:
            load_config(flags, {})
        assert caught.value.code == 2


def test_chat_server_exits_2_with_the_reason_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    from server.cli import main

    assert main(["--throttle", "many"]) == 2
    assert "throttle must be N/SECONDS" in capsys.readouterr().err
