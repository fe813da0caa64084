"""Config: the server's settings from flags, a TOML file and CHAT_* environment variables."""

from __future__ import annotations

import argparse
import os
import select
import socket
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from platformdirs import user_data_dir

from .auth import check_hash
from .domain.admission import parse_networks
from .domain.settings import OperBlock
from .log.sqlite import FSYNC_POLICIES

__all__ = ["Config", "ConfigError", "build_parser", "load_config", "parse_opers", "parse_throttle"]


class ConfigError(SystemExit):
    """A configuration the server cannot run with. The exit status is 2, as for a bad flag;
    ``chat-server`` prints the message."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = 2


@dataclass
class Config:
    host: str = "0.0.0.0"
    port: int = 8080
    mode: str = "pool"
    pool: int = 20
    workers: int = field(default_factory=lambda: os.cpu_count() or 2)
    password: str | None = None
    motd: str | None = None
    sendq: int = 1 << 20
    max_clients: int = 10_000
    max_per_ip: int = 16
    log: str = "auto"
    fsync: str = "everysec"
    history_days: float = 0.0
    history_max_per_target: int = 0
    join_replay: int = 20
    log_memory: int = 100_000
    ping_interval: float = 120.0
    ping_timeout: float = 60.0
    registration_timeout: float = 30.0
    log_level: str = "INFO"
    data_dir: str = field(default_factory=lambda: user_data_dir("chat-server"))
    server_name: str = "chat.local"
    network: str = "ChatNet"
    tls_port: int = -1  # no TLS listener
    tls_cert: str = ""
    tls_key: str = ""
    websocket_port: int = -1  # no WebSocket listener
    websocket_origins: str = ""  # any
    flood_control: str = "on"
    flood_burst: int = 5
    flood_rate: float = 2.0
    recvq: int = 8192
    throttle: str = "32/600"
    throttle_exempt: str = "127.0.0.1/32,::1/128"
    hash_workers: int = field(default_factory=lambda: os.cpu_count() or 2)
    bus: str = ""  # redis://HOST:PORT/DB: several servers are one network through it
    node_timeout: float = 10.0
    node_name: str = field(default_factory=lambda: socket.gethostname().split(".")[0] or "node")
    nick_grace: float = 30.0
    password_min: int = 8
    register_throttle: str = "5/3600"
    register_before_connect: str = "on"
    register_email: str = "optional"
    # Only from the file's [opers.NAME] tables, never a flag or a variable: name -> block.
    opers: dict[str, OperBlock] = field(default_factory=dict)
    config_file: str = ""  # the --config file (what REHASH reloads), "" if none
    incarnation: str = ""  # with --bus: this run's name on the network, set at start-up


# Fields that are not options of their own: not settable as flags, CHAT_* variables or top-level keys.
_NOT_SCALAR = ("opers", "config_file", "incarnation")


def build_parser() -> argparse.ArgumentParser:
    d = Config()
    p = argparse.ArgumentParser(
        prog="chat-server",
        description="A multi-client IRC chat server. Any IRC client can connect to it.",
        epilog="Every option can also come from a TOML file (--config) or an environment variable "
        "CHAT_<OPTION> (e.g. CHAT_PORT=6667). Flags win over the environment, which wins over the file.",
    )
    p.add_argument("--config", metavar="FILE", help="TOML file with any of these options (keys as below, with _)")
    p.add_argument("--host", help=f"address to listen on (default {d.host})")
    p.add_argument("--port", type=int, help=f"TCP port (default {d.port}; 0 picks a free one)")
    p.add_argument("--mode", choices=["thread", "pool", "process"],
                   help="how connections get CPU: a thread each, a bounded thread pool taking turns on "
                   f"one epoll set, or several worker processes (default {d.mode})")
    p.add_argument("--pool", type=int, help=f"worker threads in pool mode (default {d.pool})")
    p.add_argument("--workers", type=int, help="worker processes in process mode (default: CPU count)")
    p.add_argument("--password", help="server password that clients must send with PASS")
    p.add_argument("--motd", metavar="FILE", help="message-of-the-day file (default: a built-in greeting)")
    p.add_argument("--sendq", type=int, help=f"bytes queued to a client before it is dropped (default {d.sendq})")
    p.add_argument("--max-clients", type=int, help=f"connections accepted at once (default {d.max_clients})")
    p.add_argument("--max-per-ip", type=int,
                   help=f"connections at once from one address, IPv6 per /64 (default {d.max_per_ip}; 0: no limit)")
    p.add_argument("--throttle", metavar="N/SECONDS",
                   help=f"new connections one address may open per window (default {d.throttle}; 0/0: no limit)")
    p.add_argument("--throttle-exempt", metavar="CIDR[,CIDR...]",
                   help=f"addresses exempt from --max-per-ip and --throttle (default {d.throttle_exempt})")
    p.add_argument("--flood-control", choices=["on", "off"],
                   help="fake lag: past a burst, a client's commands are delayed to a steady rate, never dropped "
                   f"(default {d.flood_control}; operators are exempt)")
    p.add_argument("--flood-burst", type=int, help=f"commands a client may send at once (default {d.flood_burst})")
    p.add_argument("--flood-rate", type=float,
                   help=f"commands a second a client may send after the burst (default {d.flood_rate:g})")
    p.add_argument("--recvq", type=int, help="bytes of delayed input a client may have waiting before it is "
                   f"disconnected with Excess Flood (default {d.recvq})")
    p.add_argument("--hash-workers", type=int,
                   help="processes that hash and check passwords, so no chat thread ever does (default: CPU "
                   "count; in process mode, per worker)")
    p.add_argument("--nick-grace", type=float,
                   help="seconds a client that connects with a registered nick has to log in to its account "
                   f"(SASL, PASS account:password or /msg NickServ IDENTIFY) before it is renamed Guest<digits> "
                   f"(default {d.nick_grace:g})")
    p.add_argument("--password-min", type=int,
                   help=f"the shortest account password accepted at registration (default {d.password_min})")
    p.add_argument("--register-throttle", metavar="N/SECONDS",
                   help=f"accounts one address may register per window (default {d.register_throttle}; "
                   "0/0: no limit)")
    p.add_argument("--register-before-connect", choices=["on", "off"],
                   help="whether REGISTER (draft/account-registration) works before connection registration "
                   f"completes; off: only once connected, after the checks every connection passes "
                   f"(default {d.register_before_connect})")
    p.add_argument("--register-email", choices=["optional", "required"],
                   help="whether registering an account needs an email address (kept with the account and shown "
                   "to its owner; this server sends no mail, so it is not verified) "
                   f"(default {d.register_email})")
    p.add_argument("--tls-port", type=int,
                   help="also listen for TLS on this port, 6697 by custom (needs --tls-cert and --tls-key; 0 picks "
                   "a free one; default: no TLS listener)")
    p.add_argument("--tls-cert", metavar="FILE", help="PEM certificate (chain allowed) for the TLS port")
    p.add_argument("--tls-key", metavar="FILE", help="PEM private key for the TLS port")
    p.add_argument("--websocket-port", type=int,
                   help="also listen for IRC over WebSocket on this port (on --host; wss:// when --tls-cert and "
                   "--tls-key are given; 0 picks a free one; default: none)")
    p.add_argument("--websocket-origins", metavar="ORIGIN[,ORIGIN...]",
                   help="the web pages' origins (e.g. https://chat.example.org) whose browsers may connect to the "
                   "WebSocket port (default: any; clients that send no Origin header are not browsers, and "
                   "always may)")
    p.add_argument("--log", choices=["auto", "manager", "local"],
                   help="where the shared message log and the nick/channel registry live: in a "
                   "multiprocessing Manager process (process mode: always) or in this process (auto, the "
                   "default, in thread and pool mode: one IPC round trip less per command). Either way it "
                   "is written to SQLite under --data-dir before anyone is sent an entry")
    p.add_argument("--fsync", choices=list(FSYNC_POLICIES),
                   help="when history reaches the disk. everysec (the default, Redis's appendfsync everysec "
                   "trade): a commit is written to SQLite's WAL before delivery (a crash or kill -9 of the server "
                   "loses nothing) and a background checkpoint fsyncs it soon after, within about 20 ms while "
                   "messages flow (a power cut may lose what it had not synced yet). always: every commit is "
                   "fsynced before anyone is sent its messages, so even a power cut loses nothing acknowledged; "
                   "higher latency")
    p.add_argument("--history-days", type=float, help="forget history older than this (default 0: keep)")
    p.add_argument("--history-max-per-target", type=int,
                   help="keep at most this many messages per channel or conversation (default 0: no limit)")
    p.add_argument("--join-replay", type=int,
                   help=f"messages replayed on JOIN to clients without chathistory (default {d.join_replay})")
    p.add_argument("--log-memory", type=int, help=f"log entries kept in memory (default {d.log_memory})")
    p.add_argument("--ping-interval", type=float, help=f"seconds of silence before PING (default {d.ping_interval:g})")
    p.add_argument("--ping-timeout", type=float, help=f"seconds to answer a PING (default {d.ping_timeout:g})")
    p.add_argument("--registration-timeout", type=float,
                   help=f"seconds to finish NICK/USER (default {d.registration_timeout:g})")
    p.add_argument("--log-level", choices=["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"], help="logging verbosity")
    p.add_argument("--data-dir", help=f"where history is kept (default {d.data_dir})")
    p.add_argument("--server-name", help=f"the server's name in replies (default {d.server_name})")
    p.add_argument("--network", help=f"the network name in ISUPPORT (default {d.network})")
    p.add_argument("--bus", metavar="redis://HOST:PORT/DB",
                   help="join the network whose shared state is in this Redis (rediss:// for TLS, "
                   "redis-cluster://HOST:PORT[,HOST:PORT...] for a Redis Cluster): every "
                   "chat-server pointed at one Redis is one IRC network (default: this server alone)")
    p.add_argument("--node-timeout", type=float,
                   help=f"seconds of silence after which the other nodes quit a node's users, and it stops "
                   f"itself (default {d.node_timeout:g})")
    p.add_argument("--node-name", help="this server's name on the network, shown in WHOIS (default: the host name)")
    return p


def parse_throttle(text: str) -> tuple[int, float]:
    """``"32/600"`` -> (32, 600.0): connections per window of seconds."""
    count, sep, seconds = text.partition("/")
    try:
        parsed = int(count), float(seconds)
    except ValueError:
        parsed = (-1, -1.0)
    if not sep or parsed[0] < 0 or parsed[1] < 0 or (parsed[0] and not parsed[1]):
        raise ConfigError(f"chat-server: throttle must be N/SECONDS (e.g. 32/600), not {text!r}")
    return parsed


def parse_opers(table: object, source: str) -> dict[str, OperBlock]:
    """The ``[opers.NAME]`` tables of a config file, each checked; ConfigError naming the block at fault.

    A hash is checked here, at start-up, rather than at the first OPER: a
    typo in the file would otherwise only show as an operator who cannot log in.
    """
    if not isinstance(table, dict):
        raise ConfigError(f"chat-server: opers in {source} must be [opers.NAME] tables")
    opers: dict[str, OperBlock] = {}
    for name, block in table.items():
        where = f"chat-server: [opers.{name}] in {source}"
        if not name or any(ch in name for ch in " ,:\0\r\n"):
            raise ConfigError(f"{where}: an operator name must be one word")
        if not isinstance(block, dict):
            raise ConfigError(f"{where}: must be a table with password = \"<hash>\"")
        unknown = sorted(set(block) - {"password", "hosts"})
        if unknown:
            raise ConfigError(f"{where}: unknown key {unknown[0]!r} (known: password, hosts)")
        password = block.get("password")
        if not isinstance(password, str):
            raise ConfigError(f"{where}: password = \"<hash>\" is required (make one with: chat-server hash-password)")
        try:
            check_hash(password)
        except ValueError as exc:
            raise ConfigError(f"{where}: bad password hash: {exc}") from None
        hosts = block.get("hosts", ["*@*"])
        if not isinstance(hosts, list) or not all(isinstance(h, str) and "@" in h for h in hosts):
            raise ConfigError(f"{where}: hosts must be a list of user@host masks, e.g. [\"*@127.0.0.1\"]")
        opers[name] = OperBlock(name, password, tuple(hosts))
    return opers


def _coerce(name: str, raw: Any, like: Any) -> Any:
    if isinstance(raw, list):  # e.g. throttle_exempt = ["127.0.0.1/32", "::1/128"] in the file
        return ",".join(map(str, raw))
    if isinstance(like, bool):
        return str(raw).lower() in ("1", "true", "yes", "on")
    if isinstance(like, int):
        return int(raw)
    if isinstance(like, float):
        return float(raw)
    return str(raw)


def load_config(argv: list[str] | None = None, environ: dict[str, str] | None = None) -> Config:
    """Defaults, then the TOML file, then CHAT_* variables, then flags."""
    parser = build_parser()
    args = parser.parse_args(argv)
    env = os.environ if environ is None else environ
    config = Config()
    names = [f.name for f in fields(Config) if f.name not in _NOT_SCALAR]
    config_file = args.config or env.get("CHAT_CONFIG")
    if config_file:
        config.config_file = config_file
        data = tomllib.loads(Path(config_file).read_text())
        for key, value in data.items():
            key = key.replace("-", "_")
            if key == "opers":
                config.opers = parse_opers(value, config_file)
                continue
            if key not in names:
                raise ConfigError(f"chat-server: unknown option {key!r} in {config_file}")
            setattr(config, key, _coerce(key, value, getattr(config, key)))
    for name in names:
        raw = env.get(f"CHAT_{name.upper()}")
        if raw is not None:
            setattr(config, name, _coerce(name, raw, getattr(config, name)))
    for name in names:
        value = getattr(args, name, None)
        if value is not None:
            setattr(config, name, value)
    for action in parser._actions:  # the file and the environment get the flags' choices checked too
        value = getattr(config, action.dest, None)
        if action.choices is not None and value not in action.choices:
            raise ConfigError(f"chat-server: {action.dest} must be one of {', '.join(map(str, action.choices))}, "
                             f"not {value!r}")
    if config.hash_workers < 1:
        raise ConfigError(f"chat-server: hash_workers must be at least 1, not {config.hash_workers}")
    if config.mode != "thread" and not hasattr(select, "epoll"):
        raise ConfigError(f"chat-server: {config.mode} mode needs Linux's epoll; use --mode thread on this system")
    if config.log == "auto":
        config.log = "manager" if config.mode == "process" else "local"
    if config.mode == "process" and config.log == "local":
        raise ConfigError("chat-server: process mode needs the shared log in a Manager (--log manager)")
    _check_limits(config)
    return config


def _check_limits(config: Config) -> None:
    parse_throttle(config.throttle)
    parse_throttle(config.register_throttle)
    if config.nick_grace < 0 or config.password_min < 1:
        raise ConfigError("chat-server: --nick-grace must be >= 0 and --password-min >= 1")
    try:
        parse_networks(tuple(filter(None, config.throttle_exempt.split(","))))
    except ValueError as exc:
        raise ConfigError(f"chat-server: throttle_exempt: {exc}") from None
    if config.flood_burst < 1 or config.flood_rate <= 0 or config.recvq < 512:
        raise ConfigError("chat-server: flood control needs --flood-burst >= 1, --flood-rate > 0 and --recvq >= 512")
    if config.node_timeout < 1:
        raise ConfigError("chat-server: --node-timeout must be at least 1 second")
    if config.bus and not config.bus.startswith(("redis://", "rediss://", "unix://", "redis-cluster://")):
        raise ConfigError(f"chat-server: --bus must be a redis://, rediss:// or redis-cluster:// URL, "
                          f"not {config.bus!r}")
    if config.tls_port >= 0 and not (config.tls_cert and config.tls_key):
        raise ConfigError("chat-server: --tls-port needs --tls-cert FILE and --tls-key FILE")
    if bool(config.tls_cert) != bool(config.tls_key) and config.websocket_port >= 0:
        raise ConfigError("chat-server: a secure WebSocket port needs both --tls-cert FILE and --tls-key FILE")
