"""From a Config to what the running server uses: settings, limits, the admission policy, TLS.

Start-up and REHASH both build these, so a reload applies exactly what a
restart would.
"""

from __future__ import annotations

import time
from pathlib import Path

from .config import Config, ConfigError, parse_throttle
from .dispatch.services import Limits
from .dispatch.tls import TlsContext
from .domain import ServerSettings
from .domain.admission import AdmissionPolicy
from .domain.flood import FloodPolicy
from .domain.liveness import LivenessPolicy
from .domain.settings import DEFAULT_MOTD

__all__ = ["admission_policy", "limits_from", "load_tls", "settings_from"]


def settings_from(config: Config) -> ServerSettings:
    try:
        motd = tuple(Path(config.motd).read_text().splitlines()) if config.motd else DEFAULT_MOTD
    except OSError as exc:
        raise ConfigError(f"chat-server: cannot read the MOTD file: {exc}") from None
    created = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    return ServerSettings(name=config.server_name, network=config.network, created=created,
                          password=config.password, motd=motd, join_replay=config.join_replay,
                          opers=tuple(config.opers.values()), config_file=config.config_file)


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


def load_tls(config: Config) -> TlsContext:
    try:
        return TlsContext(config.tls_cert, config.tls_key)
    except (OSError, ValueError) as exc:  # ssl.SSLError is an OSError
        raise ConfigError(f"chat-server: cannot load the TLS certificate {config.tls_cert!r} and key "
                          f"{config.tls_key!r}: {exc}") from None
