"""From a Config to what the running server uses: settings, limits, the admission policy, TLS,
the listening sockets and the log.

Start-up and REHASH both build these, so a reload applies exactly what a
restart would.
"""

from __future__ import annotations

import logging
import socket
import time
from pathlib import Path

from .accounts import AccountStore, open_accounts
from .accounts.throttle import LoginPolicy
from .config import Config, ConfigError, parse_throttle
from .dispatch.services import Limits
from .dispatch.tls import TlsContext
from .dispatch.websocket import WebSocketPolicy, parse_origins
from .dispatch.worker import Listener
from .domain import ServerSettings
from .domain.admission import AdmissionPolicy
from .domain.flood import FloodPolicy
from .domain.liveness import LivenessPolicy
from .domain.settings import DEFAULT_MOTD
from .log.durable import DurableLog

__all__ = ["admission_policy", "describe", "limits_from", "listen", "load_tls", "login_policy", "open_accounts_for",
           "open_listeners", "open_log", "settings_from"]

log = logging.getLogger("chat-server")


def settings_from(config: Config) -> ServerSettings:
    try:
        motd = tuple(Path(config.motd).read_text().splitlines()) if config.motd else DEFAULT_MOTD
    except OSError as exc:
        raise ConfigError(f"chat-server: cannot read the MOTD file: {exc}") from None
    created = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    return ServerSettings(name=config.server_name, network=config.network, created=created,
                          password=config.password, motd=motd, join_replay=config.join_replay,
                          opers=tuple(config.opers.values()), config_file=config.config_file,
                          nick_grace=config.nick_grace, password_min=config.password_min,
                          register_before_connect=config.register_before_connect == "on",
                          register_email_required=config.register_email == "required")


def limits_from(config: Config) -> Limits:
    return Limits(
        sendq=config.sendq,
        max_clients=config.max_clients,
        liveness=LivenessPolicy(config.ping_interval, config.ping_timeout, config.registration_timeout),
        flood=FloodPolicy(config.flood_control == "on", config.flood_burst, config.flood_rate, config.recvq),
    )


def admission_policy(config: Config) -> AdmissionPolicy:
    count, window = parse_throttle(config.throttle)
    exempt = tuple(cidr.strip() for cidr in config.throttle_exempt.split(",") if cidr.strip())
    return AdmissionPolicy(config.max_per_ip, count, window, exempt)


def login_policy(config: Config) -> LoginPolicy:
    count, window = parse_throttle(config.register_throttle)
    return LoginPolicy(registrations=count, register_window=window)


def open_accounts_for(config: Config) -> AccountStore:
    """The accounts, in their own SQLite file beside the history."""
    return open_accounts(config.data_dir, login_policy(config))


def load_tls(config: Config) -> TlsContext:
    try:
        return TlsContext(config.tls_cert, config.tls_key)
    except (OSError, ValueError) as exc:  # ssl.SSLError is an OSError
        raise ConfigError(f"chat-server: cannot load the TLS certificate {config.tls_cert!r} and key "
                          f"{config.tls_key!r}: {exc}") from None


def open_log(config: Config) -> DurableLog:
    """The log, written ahead to SQLite under the data directory (created if need be)."""
    path = Path(config.data_dir).expanduser() / "history.sqlite3"
    source = DurableLog(path, config.log_memory, history_days=config.history_days or None,
                        history_max_per_target=config.history_max_per_target or None, fsync=config.fsync,
                        network=bool(config.bus))
    log.info("history in %s (%d entries so far, fsync %s)", path, source.last_seq(), config.fsync)
    return source


def listen(host: str, port: int) -> socket.socket:
    sock = socket.create_server((host, port), backlog=4096, reuse_port=False)
    return sock


def open_listeners(config: Config) -> list[Listener]:
    """The plaintext listener, and the TLS and WebSocket ones when asked for (the certificate checked first)."""
    wss = config.websocket_port >= 0 and bool(config.tls_cert and config.tls_key)
    tls = load_tls(config) if config.tls_port >= 0 or wss else None
    listeners = [Listener(listen(config.host, config.port))]
    if tls is not None and config.tls_port >= 0:
        listeners.append(Listener(listen(config.host, config.tls_port), tls))
    if config.websocket_port >= 0:
        policy = WebSocketPolicy(parse_origins(config.websocket_origins))
        listeners.append(Listener(listen(config.host, config.websocket_port), tls if wss else None, policy))
    return listeners


def describe(listeners: list[Listener]) -> str:
    """``listening on H:P`` (tests and scripts read the port from it), and the TLS and WebSocket ports if any."""
    parts = []
    for listener in listeners:
        host, port = listener.sock.getsockname()[:2]
        if listener.websocket is not None:
            parts.append(f"{'wss' if listener.tls else 'ws'}://{host}:{port}")
        else:
            parts.append(f"{'TLS on' if listener.tls else 'listening on'} {host}:{port}")
    return " and ".join(parts)
