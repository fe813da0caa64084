"""Running a server: building the shared pieces for a mode and serving until a signal."""

from __future__ import annotations

import logging
import socket
from pathlib import Path
from typing import cast

from .auth import HashPool
from .collector import settle_collector
from .config import Config
from .delivery import BlockedWriter, Fanout, LogTailer
from .dispatch.connection import Connection
from .dispatch.manager import start_shared_state
from .dispatch.pool import PoolDispatcher
from .dispatch.process import run_process_mode
from .dispatch.services import Services
from .dispatch.thread import ThreadDispatcher
from .dispatch.worker import Dispatcher, Listener
from .domain import World
from .domain.admission import Admission
from .domain.context import HistoryReader
from .log import MessageLog, PushingLog
from .log.durable import DurableLog
from .rehash import Rehasher
from .signals import StopRequest
from .wiring import admission_policy, limits_from, load_tls, settings_from

__all__ = ["build_dispatcher", "listen", "open_listeners", "open_log", "run"]

log = logging.getLogger("chat-server")


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


def open_listeners(config: Config) -> list[Listener]:
    """The plaintext listener, and the TLS one when asked for (its certificate checked first)."""
    tls = load_tls(config) if config.tls_port >= 0 else None
    listeners = [Listener(listen(config.host, config.port))]
    if tls is not None:
        listeners.append(Listener(listen(config.host, config.tls_port), tls))
    return listeners


def describe(listeners: list[Listener]) -> str:
    """``listening on H:P`` (tests and scripts read the port from it), and the TLS port if any."""
    parts = []
    for listener in listeners:
        host, port = listener.sock.getsockname()[:2]
        parts.append(f"{'TLS on' if listener.tls else 'listening on'} {host}:{port}")
    return " and ".join(parts)


def build_dispatcher(config: Config, world: World, source: MessageLog, listeners: list[Listener],
                     worker_id: str = "w0", admission: Admission | None = None,
                     cpu: HashPool | None = None) -> tuple[Dispatcher, LogTailer]:
    """The pieces one worker runs: delivery from the log, and the mode's dispatcher."""
    fanout: Fanout[Connection] = Fanout()
    services = Services(world, settings_from(config), fanout, BlockedWriter(), limits_from(config),
                        cast(HistoryReader, source), worker_id,
                        commit_now=source.commit_now if isinstance(source, PushingLog) else None,
                        admission=admission or Admission(admission_policy(config)), cpu=cpu)
    tailer = LogTailer(source, fanout)
    dispatcher: Dispatcher
    if config.mode == "thread":
        dispatcher = ThreadDispatcher(services, listeners)
    else:
        dispatcher = PoolDispatcher(services, listeners, pool_size=config.pool)
    return dispatcher, tailer


def serve_until_signal(config: Config, world: World, source: MessageLog, listeners: list[Listener],
                       worker_id: str = "w0", announce: bool = True, stop: StopRequest | None = None,
                       admission: Admission | None = None, rehash_parent: bool = False,
                       argv: list[str] | None = None) -> None:
    """Run one worker (the whole server in thread and pool mode) until SIGINT or SIGTERM."""
    stop = stop or StopRequest().install()
    cpu = HashPool(config.hash_workers)
    dispatcher, tailer = build_dispatcher(config, world, source, listeners, worker_id, admission, cpu)
    rehasher = Rehasher(argv, dispatcher.services, listeners, rehash_parent)
    dispatcher.services.hooks = rehasher
    rehasher.install()
    settle_collector()
    tailer.start()
    dispatcher.start()
    if announce:
        log.info("%s (mode %s%s, log %s)", describe(listeners), config.mode,
                 f", pool {config.pool}" if config.mode == "pool" else "", config.log)
    name = stop.wait()
    log.info("%s received, %s shutting down", name, worker_id)
    dispatcher.stop("Server shutting down")
    tailer.stop()
    cpu.shutdown(wait=True)  # its workers end first, so its fork server and resource tracker see us go


def run(config: Config, argv: list[str] | None = None) -> int:
    if config.mode == "process":
        return run_process_mode(config, argv)
    listeners = open_listeners(config)
    if config.log == "local":
        source = open_log(config)
        try:
            serve_until_signal(config, World(source, archive=source), source, listeners, argv=argv)
        finally:
            source.close()
    else:
        shared = start_shared_state(config)
        try:
            serve_until_signal(config, shared.world(), shared.log(), listeners, argv=argv)
        finally:
            shared.shutdown()
    for listener in listeners:
        listener.sock.close()
    log.info("stopped")
    return 0
