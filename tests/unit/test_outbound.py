"""Outbound: the SendQ never blocks, never reorders, coalesces, and refuses past its limit."""

from __future__ import annotations

from server.delivery import Outbound


class Sink:
    """A socket that takes ``accept`` bytes a send (all when None), or refuses with ``error``."""

    def __init__(self, accept: int | None = None, error: OSError | None = None) -> None:
        self.calls: list[bytes] = []
        self.accept = accept
        self.error = error
        self.blocked: list[Outbound] = []

    def write_nowait(self, data: bytes) -> int:
        if self.error is not None:
            raise self.error
        if self.accept == 0:
            raise BlockingIOError
        taken = data if self.accept is None else data[: self.accept]
        self.calls.append(taken)
        return len(taken)

    def write_blocked(self, outbound: Outbound) -> None:
        self.blocked.append(outbound)


def test_queued_lines_go_out_in_one_send_in_order() -> None:
    sink = Sink()
    out = Outbound(sink, 1000)
    for n in range(5):
        assert out.put(f"line {n}\r\n".encode())
    out.flush()
    assert sink.calls == [b"".join(f"line {n}\r\n".encode() for n in range(5))]
    assert out.pending == 0


def test_a_full_socket_keeps_the_rest_and_asks_to_be_woken() -> None:
    sink = Sink(accept=4)
    out = Outbound(sink, 1000)
    out.put(b"abcdefgh")
    out.flush()
    assert sink.calls == [b"abcd"] and sink.blocked == [out] and out.pending == 4
    sink.accept = None
    out.put(b"ij")
    out.flush()
    assert sink.calls[-1] == b"efghij"


def test_past_the_limit_it_refuses_and_reports_overflow() -> None:
    sink = Sink(accept=0)
    out = Outbound(sink, 100)
    assert out.put(b"x" * 60)
    out.flush()
    assert not out.put(b"y" * 60)
    assert out.overflowed and out.pending == 0
    assert not out.put(b"z")


def test_a_broken_socket_drops_the_queue() -> None:
    out = Outbound(Sink(error=ConnectionResetError()), 100)
    out.put(b"hello")
    out.flush()
    assert out.broken and not out.put(b"more")


def test_drain_waits_for_a_send_in_progress_on_another_thread() -> None:
    import threading

    started, release = threading.Event(), threading.Event()
    sent: list[bytes] = []

    class SlowSink(Sink):
        def write_nowait(self, data: bytes) -> int:
            started.set()
            release.wait(5)
            sent.append(data)
            return len(data)

    out = Outbound(SlowSink(), 1000)
    out.put(b"first\r\n")
    writer = threading.Thread(target=out.flush)
    writer.start()
    assert started.wait(5)
    out.put(b"ERROR :bye\r\n")
    out.flush()  # returns at once: the other thread is writing
    assert sent == []
    threading.Timer(0.05, release.set).start()
    assert out.drain(5)
    writer.join(5)
    assert b"".join(sent) == b"first\r\nERROR :bye\r\n"


def test_drain_gives_up_on_a_full_socket() -> None:
    out = Outbound(Sink(accept=0), 1000)
    out.put(b"stuck")
    assert not out.drain(1)
