"""The Manager process that hosts the shared log and the World for every worker.

Each proxy call is one round trip, run in the manager process, so the log
and World expose coarse methods (``append`` a batch, ``wait_after`` a cursor,
``join`` a channel) and never a compound of small calls.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from multiprocessing.managers import BaseManager, Server
from multiprocessing.util import Finalize
from typing import Any, cast

from server.accounts import AccountStore
from server.config import Config
from server.domain import World
from server.domain.admission import Admission
from server.log import SharedLog
from server.log.durable import DurableLog
from server.shared.network import fence_process, open_network

from .tailing import RemoteLog

__all__ = ["SharedState", "connect_shared_state", "exit_with_parent", "start_shared_state"]


def exit_with_parent(parent_pid: int, on_orphaned: Callable[[], None]) -> None:
    """Call ``on_orphaned`` once the parent process is gone (e.g. killed with -9)."""

    def watch() -> None:
        while os.getppid() == parent_pid:
            threading.Event().wait(1.0)
        on_orphaned()

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()

class _Hosted:
    """The objects the manager process serves, built once there by _init_hosted."""

    log: SharedLog
    world: World
    accounts: AccountStore
    admission: Admission


_hosted = _Hosted()


def _init_hosted(config: Config, parent_pid: int) -> None:
    # Only the parent stops the manager (shutdown()); a signal to the whole
    # process group must not take the shared state away from the workers first.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)  # a REHASH's SIGHUP to the process group is not for us
    exit_with_parent(parent_pid, lambda: os._exit(0))
    from server.collector import settle_collector
    from server.wiring import admission_policy, open_log

    logging.basicConfig(level=config.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        stream=sys.stdout)
    log = open_log(config)
    _hosted.world, _hosted.accounts, _hosted.log, leave = open_network(config, log, fence_process(parent_pid))
    Finalize(None, leave, exitpriority=20)
    _hosted.admission = Admission(admission_policy(config))
    # The manager process ends through os._exit; finalizers still run, atexit would not.
    Finalize(None, log.close, exitpriority=10)
    settle_collector()


def _get_log() -> SharedLog:
    return _hosted.log


def _get_world() -> World:
    return _hosted.world


def _get_admission() -> Admission:
    return _hosted.admission


def _get_accounts() -> AccountStore:
    return _hosted.accounts


# Room in the Manager's accept queue (the standard library's is 16).
MANAGER_BACKLOG = 1024


class _BurstTolerantServer(Server):
    """The Manager's server, with room in its accept queue for a burst of new connections.

    Every thread of every worker opens a connection of its own on its first
    proxy call, so a pool whose threads all start serving at once connects
    dozens of times at once. Past a full queue the kernel drops the last ACK
    of a connection's handshake: the client believes it is connected and
    waits for the authentication challenge forever (a pool thread hung so,
    and with it one client's registration).
    """

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        cast(Any, self).listener._listener._socket.listen(MANAGER_BACKLOG)  # listen() again only resizes the queue


class SharedState(BaseManager):
    """A BaseManager serving the one log and the one World."""

    _Server = _BurstTolerantServer

    def __init__(self, address: tuple[str, int], authkey: bytes) -> None:
        super().__init__(address=address, authkey=authkey)
        self.authkey = authkey

    def log(self) -> RemoteLog:  # replaced by register() below; typed here for callers
        raise RuntimeError("not registered")

    def world(self) -> World:
        raise RuntimeError("not registered")

    def admission(self) -> Admission:
        raise RuntimeError("not registered")

    def accounts(self) -> AccountStore:
        raise RuntimeError("not registered")


# Not the methods that only mean something in the log's own process: a follower is a
# callable to be called there, and commit_now commits in the caller's thread. A worker
# follows the Manager's log by tailing it (TailingLog).
_LOCAL_ONLY = ("follow", "commit_now")
_LOG_METHODS = tuple(name for name in dir(DurableLog)
                     if not name.startswith("_") and callable(getattr(DurableLog, name)) and name not in _LOCAL_ONLY)
SharedState.register("log", _get_log, exposed=_LOG_METHODS)
SharedState.register("world", _get_world)
# Connection limits hold for the whole server, not per worker.
SharedState.register("admission", _get_admission, exposed=("admit", "release", "configure", "counts"))
# Accounts and their login throttles, one for the whole server.
SharedState.register("accounts", _get_accounts)


def start_shared_state(config: Config) -> SharedState:
    """Start the manager process (it outlives nothing: stop it with ``shutdown()``)."""
    manager = SharedState(("127.0.0.1", 0), os.urandom(32))
    manager.start(_init_hosted, (config, os.getpid()))
    return manager


def connect_shared_state(address: tuple[str, int], authkey: bytes) -> SharedState:
    """Connect to a running manager, e.g. from a worker process."""
    manager = SharedState(address, authkey)
    manager.connect()
    return manager
