"""Running a server: building the shared pieces for a mode and serving until a signal."""

from __future__ import annotations

import logging
import socket
import time
from pathlib import Path
from typing import cast

from .collector import settle_collector
from .config import Config
from .delivery import BlockedWriter, Fanout, LogTailer
from .dispatch.connection import Connection
from .dispatch.manager import start_shared_state
from .dispatch.pool import PoolDispatcher
from .dispatch.process import run_process_mode
from .dispatch.services import Limits, Services
from .dispatch.thread import ThreadDispatcher
from .dispatch.worker import Dispatcher
from .domain import ServerSettings, World
from .domain.context import HistoryReader
from .domain.liveness import LivenessPolicy
from .domain.settings import DEFAULT_MOTD
from .log import MessageLog, PushingLog
from .log.durable import DurableLog
from .signals import StopRequest

__all__ = ["build_dispatcher", "limits_from", "listen", "run", "settings_from"]

log = logging.getLogger("chat-server")


def settings_from(config: Config) -> ServerSettings:
    motd = tuple(Path(config.motd).read_text().splitlines()) if config.motd else DEFAULT_MOTD
    created = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    return ServerSettings(name=config.server_name, network=config.network, created=created,
                          password=config.password, motd=motd, join_replay=config.join_replay,
                          opers=tuple(config.opers.values()), config_file=config.config_file)


def limits_from(config: Config) -> Limits:
    return Limits(
        sendq=config.sendq,
        max_clients=config.max_clients,
        max_per_ip=config.max_per_ip,
        liveness=LivenessPolicy(config.ping_interval, config.ping_timeout, config.registration_timeout),
    )


def open_log(config: Config) -> DurableLog:
    """The log, written ahead to SQLite under the data directory (created if need be)."""
    path = Path(config.data_dir).expanduser() / "history.sqlite3"
    source = DurableLog(path, config.log_memory, history_days=config.history_days or None,
                        history_max_per_target=config.history_max_per_target or None, fsync=config.fsync)
    log.info("history in %s (%d entries so far, fsync %s)", path, source.last_seq(), config.fsync)
    return source


def listen(host: str, port: int) -> socket.socket:
    sock = socket.create_server((host, port), backlog=4096, reuse_port=False)
    return sock


def build_dispatcher(config: Config, world: World, source: MessageLog, listener: socket.socket,
                     worker_id: str = "w0") -> tuple[Dispatcher, LogTailer]:
    """The pieces one worker runs: delivery from the log, and the mode's dispatcher."""
    fanout: Fanout[Connection] = Fanout()
    services = Services(world, settings_from(config), fanout, BlockedWriter(), limits_from(config),
                        cast(HistoryReader, source), worker_id,
                        commit_now=source.commit_now if isinstance(source, PushingLog) else None)
    tailer = LogTailer(source, fanout)
    dispatcher: Dispatcher
    if config.mode == "thread":
        dispatcher = ThreadDispatcher(services, listener)
    else:
        dispatcher = PoolDispatcher(services, listener, pool_size=config.pool)
    return dispatcher, tailer


def serve_until_signal(config: Config, world: World, source: MessageLog, listener: socket.socket,
                       worker_id: str = "w0", announce: bool = True, stop: StopRequest | None = None) -> None:
    """Run one worker (the whole server in thread and pool mode) until SIGINT or SIGTERM."""
    stop = stop or StopRequest().install()
    dispatcher, tailer = build_dispatcher(config, world, source, listener, worker_id)
    settle_collector()
    tailer.start()
    dispatcher.start()
    if announce:
        host, port = listener.getsockname()[:2]
        log.info("listening on %s:%d (mode %s%s, log %s)", host, port, config.mode,
                 f", pool {config.pool}" if config.mode == "pool" else "", config.log)
    name = stop.wait()
    log.info("%s received, %s shutting down", name, worker_id)
    dispatcher.stop("Server shutting down")
    tailer.stop()


def run(config: Config) -> int:
    if config.mode == "process":
        return run_process_mode(config)
    listener = listen(config.host, config.port)
    if config.log == "local":
        source = open_log(config)
        try:
            serve_until_signal(config, World(source, archive=source), source, listener)
        finally:
            source.close()
    else:
        shared = start_shared_state(config)
        try:
            serve_until_signal(config, shared.world(), shared.log(), listener)
        finally:
            shared.shutdown()
    listener.close()
    log.info("stopped")
    return 0
