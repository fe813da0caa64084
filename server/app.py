"""Running a server: the shared state for the mode, then the workers on it, until a signal.

Only wiring: what each piece is and does lives with it (``wiring`` turns the
configuration into runtime objects, ``dispatch.serve`` runs a worker,
``dispatch.process`` the worker processes, ``shared.manager`` the Manager).
"""

from __future__ import annotations

import logging

from .config import Config
from .dispatch.process import run_process_mode
from .dispatch.serve import serve_until_signal
from .domain import World
from .shared.manager import start_shared_state
from .shared.tailing import TailingLog
from .wiring import open_accounts_for, open_listeners, open_log

__all__ = ["run"]

log = logging.getLogger("chat-server")


def run(config: Config, argv: list[str] | None = None) -> int:
    if config.mode == "process":
        return run_process_mode(config, argv)
    listeners = open_listeners(config)
    if config.log == "local":
        source = open_log(config)
        accounts = open_accounts_for(config)
        try:
            world = World(source, archive=source, registered=accounts.channel_names())
            serve_until_signal(config, world, source, listeners, argv=argv, accounts=accounts)
        finally:
            accounts.close()
            source.close()
    else:
        shared = start_shared_state(config)
        try:
            serve_until_signal(config, shared.world(), TailingLog(shared.log()), listeners, argv=argv,
                               accounts=shared.accounts())
        finally:
            shared.shutdown()
    for listener in listeners:
        listener.sock.close()
    log.info("stopped")
    return 0
