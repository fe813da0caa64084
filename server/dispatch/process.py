"""Process mode: P worker processes, each running the pool dispatcher on a share of the clients.

The parent opens the listening socket and forks the workers, which inherit
it and all accept from it: the kernel hands each new connection to one
waiting worker, so no descriptor passing is needed and a slow worker simply
accepts less. Nicks, channels and the log are global because they live in
the Manager process (see manager.py); each worker tails the log and delivers
to its own clients. The parent watches the workers: when one dies, its
users are quit (everyone sees their QUIT) and a new worker takes its place.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import socket
import time
from multiprocessing.process import BaseProcess

from server.config import Config
from server.signals import StopRequest

from .manager import SharedState, connect_shared_state, exit_with_parent, start_shared_state

__all__ = ["run_process_mode"]

log = logging.getLogger("chat-server")

_fork = multiprocessing.get_context("fork")


def _worker_main(config: Config, listener: socket.socket, address: tuple[str, int], authkey: bytes,
                 parent_pid: int) -> None:
    from server.app import serve_until_signal

    stop = StopRequest().install()
    signal.pthread_sigmask(signal.SIG_UNBLOCK, StopRequest.SIGNALS)  # blocked by spawn() around the fork
    exit_with_parent(parent_pid, lambda: os.kill(os.getpid(), signal.SIGTERM))
    shared = connect_shared_state(address, authkey)
    worker_id = f"p{os.getpid()}"
    serve_until_signal(config, shared.world(), shared.log(), listener, worker_id, announce=False, stop=stop)


class WorkerSet:
    def __init__(self, config: Config, listener: socket.socket, shared: SharedState) -> None:
        self.config = config
        self.listener = listener
        self.shared = shared
        self.workers: list[BaseProcess] = []

    def spawn(self) -> BaseProcess:
        address = self.shared.address
        assert isinstance(address, tuple)
        proc = _fork.Process(target=_worker_main, name="chat-worker",
                             args=(self.config, self.listener, address, self.shared.authkey, os.getpid()))
        # A stop signal that lands while the child is still starting would reach the
        # parent's handler in the child and be lost: keep the signals blocked (pending)
        # across the fork until the child has installed its own handler.
        signal.pthread_sigmask(signal.SIG_BLOCK, StopRequest.SIGNALS)
        try:
            proc.start()
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, StopRequest.SIGNALS)
        self.workers.append(proc)
        log.info("worker p%d started", proc.pid)
        return proc

    def replace_dead(self) -> None:
        for proc in list(self.workers):
            if proc.is_alive():
                continue
            self.workers.remove(proc)
            proc.join()
            world = self.shared.world()
            orphans = world.conns_with_prefix(f"p{proc.pid}:")
            world.quit_many(orphans, "Worker died")
            log.error("worker p%d died (exit %s); quit its %d users, starting another", proc.pid, proc.exitcode,
                      len(orphans))
            self.spawn()

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


def run_process_mode(config: Config) -> int:
    from server.app import listen

    shared = start_shared_state(config)
    listener = listen(config.host, config.port)
    host, port = listener.getsockname()[:2]
    workers = WorkerSet(config, listener, shared)
    for _ in range(max(1, config.workers)):
        workers.spawn()
    stop = StopRequest().install()
    log.info("listening on %s:%d (mode process, %d workers, pool %d each)", host, port, config.workers, config.pool)
    while not stop.event.wait(0.2):
        try:
            workers.replace_dead()
        except (ConnectionError, EOFError) as exc:
            log.error("the shared state is gone (%r): stopping", exc)
            break
    log.info("%s, shutting down", f"{stop.name} received" if stop.name else "shared state lost")
    workers.stop()
    listener.close()
    shared.shutdown()
    log.info("stopped")
    return 0
