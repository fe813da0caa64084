"""Pool mode's table of connections under descriptor reuse: a closed socket's number may serve a new one at once."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from server.config import Config
from server.dispatch.connection import Connection
from server.dispatch.pool import PoolDispatcher
from server.dispatch.serve import build_dispatcher
from server.dispatch.worker import Listener
from server.shared.locked import LockedWorld
from server.wiring import open_log
from tests.support.servers import wait_for


@pytest.fixture
def pool(tmp_path: Path) -> Iterator[PoolDispatcher]:
    config = Config(mode="pool", pool=2, data_dir=str(tmp_path))
    log = open_log(config)
    listener = socket.socket()  # never started: the test hands the connections over itself
    dispatcher, stop_delivery = build_dispatcher(config, LockedWorld(log, archive=log), log, [Listener(listener)])
    assert isinstance(dispatcher, PoolDispatcher)
    yield dispatcher
    dispatcher.stop()
    stop_delivery()
    log.close()
    listener.close()


def connect(pool: PoolDispatcher, server_end: socket.socket, n: int) -> Connection:
    conn = Connection(f"w0:{n}", server_end, "127.0.0.1", pool.services)
    pool.services.fanout.add(conn)
    pool.start_connection(conn)
    return conn


def registers(peer: socket.socket, nick: str) -> bool:
    peer.sendall(f"NICK {nick}\r\nUSER {nick} 0 * :{nick}\r\n".encode())
    peer.settimeout(0.2)
    data = b""
    deadline = time.monotonic() + 5
    while b" 001 " not in data and time.monotonic() < deadline:
        try:
            data += peer.recv(65536)
        except TimeoutError:
            continue
    return b" 001 " in data


@pytest.mark.timeout(30)
def test_a_connection_on_a_reused_descriptor_is_served_though_its_predecessor_finishes_late(
        pool: PoolDispatcher) -> None:
    old_end, old_peer = socket.socketpair()
    old = connect(pool, old_end, 1)
    assert registers(old_peer, "old")
    fd = old_end.fileno()
    old_peer.close()  # the client goes, so the closing socket need not linger for it
    old.close()  # as if from another thread, while the pool still counts it as the one on fd
    assert wait_for(lambda: old_end.fileno() < 0, 5.0)
    new_end, new_peer = socket.socketpair()
    if new_peer.fileno() == fd:
        new_end, new_peer = new_peer, new_end
    assert new_end.fileno() == fd, "the freed descriptor was not reused"
    connect(pool, new_end, 2)
    pool._serve(fd, old)  # the old connection's turn ends only now: it must not drop the new one
    assert registers(new_peer, "new")
    new_peer.close()
