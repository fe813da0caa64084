"""BlockedWriter under descriptor reuse: a closed socket's number may belong to a new one at once."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from server.delivery import BlockedWriter
from tests.support.servers import wait_for


class Queue:
    """Stands in for an Outbound: counts the flushes the writer asks for."""

    def __init__(self) -> None:
        self.flushes = 0

    def flush(self) -> None:
        self.flushes += 1


@pytest.fixture
def writer() -> Iterator[BlockedWriter]:
    w = BlockedWriter()
    w.stop()  # its steps are driven by hand below, as its thread would take them
    yield w


def _socket_on(fd: int) -> tuple[socket.socket, socket.socket]:
    """A new socket pair, returning first whichever end got descriptor ``fd`` back."""
    a, b = socket.socketpair()
    if b.fileno() == fd:
        a, b = b, a
    assert a.fileno() == fd, "the freed descriptor was not reused"
    return a, b


def test_an_event_for_a_released_socket_leaves_its_successor_watched(writer: BlockedWriter) -> None:
    old, old_peer = socket.socketpair()
    old_queue = Queue()
    writer.watch(old_queue, old)  # type: ignore[arg-type]
    fd = old.fileno()
    key = writer._selector.get_map()[fd]  # what select() has just handed the writer thread
    writer.release(old)  # meanwhile the connection closes...
    new, new_peer = _socket_on(fd)
    new_queue = Queue()
    writer.watch(new_queue, new)  # type: ignore[arg-type]  # ...and a new one on the same number blocks
    writer.writable(key)  # the writer thread acts on its stale event
    assert writer._selector.get_map()[fd].data is new_queue
    assert old_queue.flushes == 0 and new_queue.flushes == 0
    writer.writable(writer._selector.get_map()[fd])
    assert new_queue.flushes == 1
    for s in (old_peer, new, new_peer):
        s.close()


def test_a_released_socket_cannot_be_watched_again(writer: BlockedWriter) -> None:
    sock, peer = socket.socketpair()
    fd = sock.fileno()
    writer.release(sock)
    writer.watch(Queue(), sock)  # type: ignore[arg-type]  # a late flush that found it full
    new, new_peer = _socket_on(fd)
    new_queue = Queue()
    writer.watch(new_queue, new)  # type: ignore[arg-type]
    assert writer._selector.get_map()[fd].data is new_queue
    for s in (peer, new, new_peer):
        s.close()


def test_a_lingering_socket_shows_eof_drops_late_input_and_closes_when_the_peer_does() -> None:
    writer = BlockedWriter()
    try:
        sock, peer = socket.socketpair()
        sock.sendall(b"ERROR :bye\r\n")
        peer.sendall(b"PING :unread\r\n")
        writer.release(sock, linger=5.0)
        peer.settimeout(2.0)
        assert peer.recv(100) == b"ERROR :bye\r\n" and peer.recv(100) == b""  # the goodbye, then EOF
        peer.sendall(b"PING :late\r\n")  # dropped, not answered by a reset
        assert sock.fileno() >= 0
        peer.close()
        assert wait_for(lambda: sock.fileno() < 0, 2.0)
    finally:
        writer.stop()


def test_a_lingering_socket_is_closed_at_its_deadline_if_the_peer_never_closes() -> None:
    writer = BlockedWriter()
    try:
        sock, peer = socket.socketpair()
        writer.release(sock, linger=0.2)
        assert wait_for(lambda: sock.fileno() < 0, 2.0)
        peer.close()
    finally:
        writer.stop()
