"""Start a real redis-server on a free loopback port, and stop it (for the tests, and for bench.network)."""

from __future__ import annotations

import random
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass

from tests.support.servers import wait_for


class RedisMissing(RuntimeError):
    """redis-server (or redis-cli) is not installed: a test skips, a benchmark says so."""


def _skip_without(*programs: str) -> None:
    if any(shutil.which(program) is None for program in programs):
        import pytest  # only a test skips

        pytest.skip(f"{' and '.join(programs)} not installed (`make test` installs Debian's redis-server)")


def free_port() -> int:
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def free_cluster_port() -> int:
    """A free port whose cluster bus port (10000 above it) is free too, so both exist (below 65536)."""
    while True:
        port = random.randrange(20000, 55000)
        try:
            for candidate in (port, port + 10000):
                with closing(socket.socket()) as sock:
                    sock.bind(("127.0.0.1", candidate))
        except OSError:
            continue
        return port


@dataclass
class RedisServer:
    port: int
    directory: str
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, extra: Sequence[str] = ()) -> None:
        """Start (or start again, on the same port and files: its append-only file keeps what it acknowledged)."""
        exe = shutil.which("redis-server")
        if exe is None:
            raise RedisMissing("redis-server is not installed (apt-get install -y redis-server)")
        self.proc = subprocess.Popen(
            [exe, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.directory, "--save", "",
             "--appendonly", "yes", "--appendfsync", "everysec", *extra],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(64).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)


@contextmanager
def running_redis() -> Iterator[RedisServer]:
    """A redis-server of its own on a free loopback port, with its files in a fresh directory (append-only
    file, fsynced every second); raises RedisMissing without redis-server."""
    with tempfile.TemporaryDirectory(prefix="chat-redis-") as directory:
        server = RedisServer(free_port(), directory)
        server.start()
        try:
            yield server
        finally:
            server.stop()


@contextmanager
def redis_server() -> Iterator[RedisServer]:
    """running_redis(), for a test: it skips where redis-server is not installed."""
    _skip_without("redis-server")
    with running_redis() as server:
        yield server


CLUSTER_FLAGS = ("--cluster-enabled yes --cluster-config-file nodes-{port}.conf "
                 "--appendfilename appendonly-{port}.aof --appenddirname appendonly-{port}")


def cluster_flags(server: RedisServer) -> list[str]:
    """What a cluster master starts (and starts again) with: its own files in the cluster's directory."""
    return CLUSTER_FLAGS.format(port=server.port).split()


@contextmanager
def running_redis_cluster_servers(masters: int = 3) -> Iterator[tuple[str, list[RedisServer]]]:
    """A Redis Cluster of ``masters`` masters (no replicas) on loopback ports; yields its redis-cluster:// URL,
    which names every master, and the masters. Raises RedisMissing without redis-server or redis-cli."""
    cli = shutil.which("redis-cli")
    if cli is None:
        raise RedisMissing("redis-cli is not installed (apt-get install -y redis-server)")
    with tempfile.TemporaryDirectory(prefix="chat-redis-cluster-") as directory:
        servers = [RedisServer(free_cluster_port(), directory) for _ in range(masters)]
        try:
            for server in servers:
                server.start(cluster_flags(server))
            addresses = [f"127.0.0.1:{server.port}" for server in servers]
            try:
                subprocess.run([cli, "--cluster", "create", *addresses, "--cluster-replicas", "0",
                                "--cluster-yes"],
                               check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)
            except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
                raise RuntimeError(f"redis-cli --cluster create failed: {exc}") from None
            wait_for_cluster(servers[0])
            yield "redis-cluster://" + ",".join(addresses), servers
        finally:
            for server in servers:
                server.stop()


def wait_for_cluster(server: RedisServer, timeout: float = 20) -> None:
    """Until ``server`` says the cluster is ok (every slot served)."""
    cli = str(shutil.which("redis-cli"))

    def ready() -> bool:
        return b"cluster_state:ok" in subprocess.run(
            [cli, "-p", str(server.port), "cluster", "info"], capture_output=True, timeout=5).stdout

    if not wait_for(ready, timeout, interval=0.1):
        raise RuntimeError("the Redis Cluster did not become ready")


@contextmanager
def running_redis_cluster(masters: int = 3) -> Iterator[str]:
    """running_redis_cluster_servers(), its URL alone."""
    with running_redis_cluster_servers(masters) as (url, _):
        yield url


@contextmanager
def redis_cluster(masters: int = 3) -> Iterator[str]:
    """running_redis_cluster(), for a test: it skips where redis-server or redis-cli is not installed."""
    _skip_without("redis-server", "redis-cli")
    with running_redis_cluster(masters) as url:
        yield url


@contextmanager
def redis_cluster_servers(masters: int = 3) -> Iterator[tuple[str, list[RedisServer]]]:
    """running_redis_cluster_servers(), for a test: it skips where redis-server or redis-cli is not installed."""
    _skip_without("redis-server", "redis-cli")
    with running_redis_cluster_servers(masters) as running:
        yield running
