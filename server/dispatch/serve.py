"""One worker at work: delivery from the log, the mode's dispatcher, the hash pool and REHASH, until a signal.

In thread and pool mode this is the whole server; in process mode each
worker process runs it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from server.accounts import AccountStore
from server.auth import HashPool
from server.collector import settle_collector
from server.config import Config
from server.delivery import BlockedWriter, Fanout
from server.domain import World
from server.domain.admission import Admission
from server.log import SharedLog
from server.rehash import Rehasher
from server.signals import StopRequest
from server.wiring import admission_policy, describe, limits_from, settings_from

from .connection import Connection
from .pool import PoolDispatcher
from .services import Services
from .thread import ThreadDispatcher
from .worker import Dispatcher, Listener

__all__ = ["build_dispatcher", "serve_until_signal"]

log = logging.getLogger("chat-server")


def build_dispatcher(config: Config, world: World, source: SharedLog, listeners: list[Listener],
                     worker_id: str = "w0", admission: Admission | None = None,
                     cpu: HashPool | None = None,
                     accounts: AccountStore | None = None) -> tuple[Dispatcher, Callable[[], None]]:
    """The pieces one worker runs: the mode's dispatcher, and delivery from the log (returns what stops it)."""
    fanout: Fanout[Connection] = Fanout()
    services = Services(world, settings_from(config), fanout, BlockedWriter(), limits_from(config), source,
                        worker_id, commit_now=source.commit_now,
                        admission=admission or Admission(admission_policy(config)), cpu=cpu, accounts=accounts)
    dispatcher: Dispatcher
    if config.mode == "thread":
        dispatcher = ThreadDispatcher(services, listeners)
    else:
        dispatcher = PoolDispatcher(services, listeners, pool_size=config.pool)
    cursor = source.last_seq()
    fanout.start_at(cursor)
    return dispatcher, source.follow(cursor, fanout.deliver)


def serve_until_signal(config: Config, world: World, source: SharedLog, listeners: list[Listener],
                       worker_id: str = "w0", announce: bool = True, stop: StopRequest | None = None,
                       admission: Admission | None = None, rehash_parent: bool = False,
                       argv: list[str] | None = None, accounts: AccountStore | None = None) -> None:
    """Run one worker (the whole server in thread and pool mode) until SIGINT or SIGTERM."""
    stop = stop or StopRequest().install()
    cpu = HashPool(config.hash_workers)
    dispatcher, stop_delivery = build_dispatcher(config, world, source, listeners, worker_id, admission, cpu,
                                                 accounts)
    rehasher = Rehasher(argv, dispatcher.services, listeners, rehash_parent)
    dispatcher.services.hooks = rehasher
    rehasher.install()
    settle_collector()
    dispatcher.start()
    if announce:
        log.info("%s (mode %s%s, log %s)", describe(listeners), config.mode,
                 f", pool {config.pool}" if config.mode == "pool" else "", config.log)
    name = stop.wait()
    log.info("%s received, %s shutting down", name, worker_id)
    dispatcher.stop("Server shutting down")
    stop_delivery()
    cpu.shutdown(wait=True)  # its workers end first, so its fork server and resource tracker see us go
