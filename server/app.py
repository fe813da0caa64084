"""Running a server: the shared state for the mode, then the workers on it, until a signal.

Only wiring: what each piece is and does lives with it (``wiring`` turns the
configuration into runtime objects, ``dispatch.serve`` runs a worker,
``dispatch.process`` the worker processes, ``shared.manager`` the Manager).
"""

from __future__ import annotations

import logging
import os

from .config import Config, ConfigError
from .dispatch.process import run_process_mode
from .dispatch.serve import serve_until_signal
from .shared.manager import start_shared_state
from .shared.network import fence_process, open_network, worker_prefix
from .shared.nodes import new_incarnation
from .shared.tailing import TailingLog
from .wiring import open_listeners, open_log

__all__ = ["run"]

log = logging.getLogger("chat-server")


def run(config: Config, argv: list[str] | None = None) -> int:
    if config.bus:
        try:
            config.incarnation = new_incarnation(config.node_name)
        except ValueError as exc:
            raise ConfigError(f"chat-server: {exc}") from None
    if config.mode == "process":
        return run_process_mode(config, argv)
    listeners = open_listeners(config)
    worker_id = f"{worker_prefix(config)}w0"
    if config.log == "local":
        source = open_log(config)
        world, accounts, served, leave = open_network(config, source, fence_process(os.getpid()))
        try:
            serve_until_signal(config, world, served, listeners, worker_id, argv=argv, accounts=accounts)
        finally:
            leave()
            source.close()
    else:
        shared = start_shared_state(config)
        try:
            serve_until_signal(config, shared.world(), TailingLog(shared.log()), listeners, worker_id, argv=argv,
                               accounts=shared.accounts())
        finally:
            shared.shutdown()
    for listener in listeners:
        listener.sock.close()
    log.info("stopped")
    return 0
