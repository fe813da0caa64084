"""Process mode: P worker processes, each running the pool dispatcher on a share of the clients.

The parent opens the listening socket and forks the workers, which inherit
it and all accept from it: the kernel hands each new connection to one
waiting worker, so no descriptor passing is needed and a slow worker simply
accepts less. Nicks, channels and the log are global because they live in
the Manager process (server/shared/manager.py); each worker tails the log
and delivers to its own clients. The parent watches the workers: when one dies, its
users are quit (everyone sees their QUIT) and a new worker takes its place.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import time
from multiprocessing.process import BaseProcess

from server.config import Config
from server.shared.manager import SharedState, connect_shared_state, exit_with_parent, start_shared_state
from server.shared.network import worker_prefix
from server.shared.tailing import TailingLog
from server.signals import StopRequest
from server.wiring import describe, open_listeners

from .serve import serve_until_signal
from .worker import Listener

__all__ = ["run_process_mode"]

log = logging.getLogger("chat-server")

_fork = multiprocessing.get_context("fork")


def _worker_main(config: Config, listeners: list[Listener], address: tuple[str, int], authkey: bytes,
                 parent_pid: int, argv: list[str] | None) -> None:
    stop = StopRequest().install()
    signal.signal(signal.SIGHUP, signal.SIG_IGN)  # until the worker's own REHASH handler is in place
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _BLOCKED)  # blocked by spawn() around the fork
    exit_with_parent(parent_pid, lambda: os.kill(os.getpid(), signal.SIGTERM))
    shared = connect_shared_state(address, authkey)
    worker_id = f"{worker_prefix(config)}p{os.getpid()}"
    serve_until_signal(config, shared.world(), TailingLog(shared.log()), listeners, worker_id, announce=False,
                       stop=stop, admission=shared.admission(), rehash_parent=True, argv=argv)


# A signal that lands while a child is still starting would reach the parent's
# handler in the child and be lost: keep them blocked (pending) across the fork.
_BLOCKED = (*StopRequest.SIGNALS, signal.SIGHUP)


class WorkerSet:
    def __init__(self, config: Config, listeners: list[Listener], shared: SharedState,
                 argv: list[str] | None = None) -> None:
        self.config = config
        self.listeners = listeners
        self.shared = shared
        self.argv = argv
        self.workers: list[BaseProcess] = []

    def spawn(self) -> BaseProcess:
        address = self.shared.address
        assert isinstance(address, tuple)
        proc = _fork.Process(target=_worker_main, name="chat-worker",
                             args=(self.config, self.listeners, address, self.shared.authkey, os.getpid(), self.argv))
        signal.pthread_sigmask(signal.SIG_BLOCK, _BLOCKED)
        try:
            proc.start()
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, _BLOCKED)
        self.workers.append(proc)
        log.info("worker p%d started", proc.pid)
        return proc

    def replace_dead(self) -> None:
        for proc in list(self.workers):
            if proc.is_alive():
                continue
            self.workers.remove(proc)
            proc.join()
            gone = self.shared.world().reap(f"{worker_prefix(self.config)}p{proc.pid}:", "Worker died")
            log.error("worker p%d died (exit %s); quit its %d users, starting another", proc.pid, proc.exitcode,
                      gone)
            self.spawn()

    def rehash(self) -> None:
        """SIGHUP: every worker reloads the configuration (each its own TLS context and settings)."""
        for proc in self.workers:
            if proc.is_alive() and proc.pid:
                os.kill(proc.pid, signal.SIGHUP)

    def stop(self, timeout: float = 8.0) -> None:
        for proc in self.workers:
            if proc.is_alive() and proc.pid:
                os.kill(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for proc in self.workers:
            proc.join(max(0.1, deadline - time.monotonic()))
            if proc.is_alive():
                proc.kill()
                proc.join(2)


def run_process_mode(config: Config, argv: list[str] | None = None) -> int:
    listeners = open_listeners(config)
    shared = start_shared_state(config)
    workers = WorkerSet(config, listeners, shared, argv)
    for _ in range(max(1, config.workers)):
        workers.spawn()
    stop = StopRequest().install()
    signal.signal(signal.SIGHUP, lambda signum, frame: workers.rehash())
    log.info("%s (mode process, %d workers, pool %d each)", describe(listeners), config.workers, config.pool)
    while not stop.event.wait(0.2):
        try:
            workers.replace_dead()
        except (ConnectionError, EOFError) as exc:
            log.error("the shared state is gone (%r): stopping", exc)
            break
    log.info("%s, shutting down", f"{stop.name} received" if stop.name else "shared state lost")
    workers.stop()
    for listener in listeners:
        listener.sock.close()
    shared.shutdown()
    log.info("stopped")
    return 0
