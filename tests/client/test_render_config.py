"""Rendering helpers, Tab completion candidates, config file and command-line settings, backoff."""

from __future__ import annotations

import argparse
from dataclasses import fields
from datetime import UTC, datetime
from pathlib import Path

import pytest
from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document

from client.cli import build_parser, resolve_settings
from client.config import ConfigError, Settings, load_config
from client.net import backoff_delay
from client.state import ClientState, Line, LineKind, Member
from client.ui.completion import ChatCompleter
from client.ui.render import NICK_PALETTE, fit, line_fragments, nick_colour


def test_nick_colours_are_frozen_and_casefolded() -> None:
    # These exact values guard the hash and palette: changing them changes every user's colours.
    assert [nick_colour(n) for n in ("alice", "bob", "carol")] == [
        NICK_PALETTE[i] for i in (_djb2("alice"), _djb2("bob"), _djb2("carol"))
    ]
    assert nick_colour("Alice[]") == nick_colour("alice{}")
    assert [nick_colour(n) for n in ("alice", "bob", "carol")] == [
        "ansibrightgreen", "ansibrightyellow", "ansiyellow",
    ]


def _djb2(text: str) -> int:
    value = 5381
    for byte in text.encode():
        value = (value * 33 + byte) & 0xFFFFFFFF
    return value % len(NICK_PALETTE)


def test_fit_counts_wide_characters() -> None:
    assert fit("abc", 5) == "abc  "
    assert fit("abcdef", 4) == "abcd"
    assert fit("日本語", 5) == "日本 "


def test_line_fragments_carry_time_nick_and_mention_style() -> None:
    when = datetime(2024, 1, 1, 12, 34, tzinfo=UTC)
    frags = line_fragments(Line(when, LineKind.MESSAGE, "alice: hi", "bob", mention=True))
    text = "".join(frag[1] for frag in frags)
    assert text.endswith("<bob> alice: hi")
    assert ("class:mention", "alice: hi") in frags
    event = line_fragments(Line(when, LineKind.EVENT, "bob joined"))
    assert event[-1] == ("class:event", "-- bob joined")


def complete(state: ClientState, text: str) -> list[str]:
    return [c.text for c in ChatCompleter(state).get_completions(Document(text), CompleteEvent(True))]


def test_completion_ranks_recent_speakers_first_and_adds_colon_at_line_start() -> None:
    state = ClientState(nick="alice")
    window = state.open("#lobby", switch=True)
    for nick in ("bob", "bella", "Bert", "alice"):
        window.members[nick.lower()] = Member(nick)
    window.spoke("bert")
    assert complete(state, "b") == ["Bert: ", "bella: ", "bob: "]
    assert complete(state, "hi be") == ["Bert ", "bella "]
    assert complete(state, "/jo") == ["/join "]
    assert complete(state, "see #lo") == ["#lobby "]


def test_config_file_values_and_errors(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('host = "10.0.0.1"\nport = 6697\ntls = true\nchannels = ["#a", "#b"]\n')
    assert load_config(path) == {"host": "10.0.0.1", "port": 6697, "tls": True, "channels": ["#a", "#b"]}
    assert load_config(tmp_path / "missing.toml") == {}
    path.write_text("port = 'x'\n")
    with pytest.raises(ConfigError, match="wrong type"):
        load_config(path)
    path.write_text("colour = 1\n")
    with pytest.raises(ConfigError, match="unknown setting"):
        load_config(path)


def args(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(list(argv))


def test_flags_win_over_the_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CHAT_PASSWORD", "CHAT_CLIENT_SASL_PASSWORD", "CHAT_CLIENT_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    path = tmp_path / "c.toml"
    path.write_text('host = "10.0.0.1"\nnick = "fromfile"\n')
    settings = resolve_settings(args("--config", str(path), "--nick", "flagnick", "--join", "a,#b", "--no-history"))
    assert (settings.host, settings.nick, settings.channels) == ("10.0.0.1", "flagnick", ["#a", "#b"])
    assert settings.history_file is None
    default = resolve_settings(args("--config", str(tmp_path / "none.toml")))
    assert (default.host, default.port, default.channels) == ("127.0.0.1", 8080, ["#lobby"])


def test_secrets_come_from_env_or_prompt_never_argv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = ["--config", str(tmp_path / "none.toml")]
    for name in ("CHAT_PASSWORD", "CHAT_CLIENT_SASL_PASSWORD", "CHAT_CLIENT_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MY_PW", "from-env")
    s = resolve_settings(args(*cfg, "--account", "acct", "--account-password", "env:MY_PW"))
    assert (s.account, s.account_password) == ("acct", "from-env")
    assert not s.allow_plaintext_password
    monkeypatch.setenv("CHAT_PASSWORD", "from-chat-password")
    s = resolve_settings(args(*cfg, "--account", "acct", "--allow-plaintext-password"))
    assert (s.account, s.account_password, s.allow_plaintext_password) == ("acct", "from-chat-password", True)
    monkeypatch.delenv("CHAT_PASSWORD")
    prompted: list[str] = []

    def prompt(label: str) -> str:
        prompted.append(label)
        return "typed"

    s = resolve_settings(args(*cfg, "--account", "acct"), prompt=prompt)
    assert s.account_password == "typed" and prompted == ["Password for the account acct: "]
    s = resolve_settings(args(*cfg, "--sasl-user", "old"), prompt=prompt)  # the flag's earlier name
    assert (s.account, s.account_password) == ("old", "typed")
    with pytest.raises(ConfigError, match="not the password itself"):
        resolve_settings(args(*cfg, "--password", "hunter2"))
    s = resolve_settings(args(*cfg, "--password"), prompt=lambda label: "pw")
    assert s.password == "pw"


def test_help_mentions_every_flag() -> None:
    text = build_parser().format_help()
    for flag in ("--host", "--port", "--nick", "--join", "--tls", "--tls-insecure", "--account",
                 "--account-password", "--allow-plaintext-password", "--password", "--config"):
        assert flag in text


def test_help_mentions_every_config_key() -> None:
    text = build_parser().format_help()
    missing = [f.name for f in fields(Settings) if f"{f.name} = " not in text]
    assert missing == []


def test_backoff_grows_is_capped_and_jittered() -> None:
    assert backoff_delay(0, rand=lambda: 0.0) == 0.5
    assert backoff_delay(3, rand=lambda: 1.0) == 8.0
    assert backoff_delay(30, cap=60, rand=lambda: 1.0) == 60.0
    assert 30.0 <= backoff_delay(30, cap=60) <= 60.0


def test_ircs_url_and_tls_flags(tmp_path: Path) -> None:
    none = str(tmp_path / "none.toml")
    settings = resolve_settings(args("--config", none, "ircs://irc.example.org/#chat"))
    assert (settings.host, settings.port, settings.tls, settings.channels) == ("irc.example.org", 6697, True,
                                                                                ["#chat"])
    settings = resolve_settings(args("--config", none, "ircs://irc.example.org:7000", "--port", "7001"))
    assert settings.port == 7001  # a flag wins over the URL
    ca = tmp_path / "ca.pem"
    settings = resolve_settings(args("--config", none, "--tls-ca", str(ca)))
    assert settings.tls and settings.tls_ca == ca
