"""Settings: defaults, the TOML config file, and where the config and input history live."""

from __future__ import annotations

import getpass
import re
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import platformdirs

__all__ = [
    "APP_NAME",
    "ConfigError",
    "Settings",
    "default_config_path",
    "default_history_path",
    "default_nick",
    "default_read_markers_path",
    "load_config",
    "parse_url",
]

APP_NAME = "chat-client"


class ConfigError(Exception):
    """The config file cannot be read or holds a wrong value."""


def default_config_path() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"


def default_history_path() -> Path:
    return Path(platformdirs.user_state_dir(APP_NAME)) / "history"


def default_read_markers_path() -> Path:
    return Path(platformdirs.user_state_dir(APP_NAME)) / "read-markers.json"


def default_nick() -> str:
    """The login name made into a valid nick (letters, digits and []\\`_^{|}-; not starting with a digit)."""
    try:
        login = getpass.getuser()
    except (KeyError, OSError):
        login = "guest"
    nick = re.sub(r"[^A-Za-z0-9\[\]\\`_^{|}-]", "", login)[:20]
    if not nick or nick[0].isdigit() or nick[0] == "-":
        nick = "u" + nick
    return nick


@dataclass
class Settings:
    """Every knob of the client; the config file and the flags fill the same fields."""

    host: str = "127.0.0.1"
    port: int = 8080
    nick: str = field(default_factory=default_nick)
    username: str = ""
    realname: str = "chat-client user"
    channels: list[str] = field(default_factory=lambda: ["#lobby"])
    tls: bool = False
    tls_insecure: bool = False
    tls_ca: Path | None = None
    password: str | None = None
    account: str | None = None  # logged in to with SASL (or NickServ); sasl_user is its older name
    account_password: str | None = None
    allow_plaintext_password: bool = False
    history_file: Path | None = field(default_factory=default_history_path)
    paste_confirm_lines: int = 3
    reconnect_max: float = 60.0
    read_markers_file: Path | None = field(default_factory=default_read_markers_path)
    log_dir: Path | None = None

    def __post_init__(self) -> None:
        if not self.username:
            self.username = self.nick


_TYPES: dict[str, type | tuple[type, ...]] = {
    "host": str,
    "port": int,
    "nick": str,
    "username": str,
    "realname": str,
    "channels": list,
    "tls": bool,
    "tls_insecure": bool,
    "tls_ca": str,
    "password": str,
    "account": str,
    "account_password": str,
    "allow_plaintext_password": bool,
    "history_file": str,
    "paste_confirm_lines": int,
    "reconnect_max": (int, float),
    "read_markers_file": str,
    "log_dir": str,
}


_ALIASES = {"sasl_user": "account", "sasl_password": "account_password"}  # the names before --account


def load_config(path: Path) -> dict[str, Any]:
    """Read the config file into a dict of Settings fields; a missing file gives an empty dict."""
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        return {}
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    known = {f.name for f in fields(Settings)}
    out: dict[str, Any] = {}
    for key, value in data.items():
        name = key.replace("-", "_")
        name = _ALIASES.get(name, name)
        if name not in known:
            raise ConfigError(f"{path}: unknown setting {key!r}")
        expected = _TYPES[name]
        if isinstance(value, bool) and expected is not bool:
            raise ConfigError(f"{path}: {key} must not be a boolean")
        if not isinstance(value, expected):
            raise ConfigError(f"{path}: {key} has the wrong type ({type(value).__name__})")
        if isinstance(value, list) and not all(isinstance(c, str) for c in value):
            raise ConfigError(f"{path}: channels must be a list of strings")
        if isinstance(value, str) and name in ("history_file", "tls_ca", "read_markers_file", "log_dir"):
            out[name] = Path(value).expanduser()
        else:
            out[name] = value
    return out


def parse_url(url: str) -> dict[str, Any]:
    """Settings from irc://host[:port][/#chan,#chan] or ircs://... (TLS, port 6697 by default)."""
    match = re.fullmatch(r"(ircs?)://(\[[^\]]+\]|[^/:]+)(?::(\d+))?/?(.*)", url)
    if match is None:
        raise ConfigError(f"{url!r} is not an irc:// or ircs:// URL")
    scheme, host, port, path = match.groups()
    tls = scheme == "ircs"
    out: dict[str, Any] = {"host": host.strip("[]"), "tls": tls, "port": int(port) if port else 6697 if tls else 6667}
    channels = [c if c[:1] in "#&" else "#" + c for c in re.split(r"[,/]", path.replace("%23", "#")) if c]
    if channels:
        out["channels"] = channels
    return out
