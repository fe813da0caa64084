"""The asyncio side: connect, read and write lines, keep the lag measured, reconnect with backoff."""

from __future__ import annotations

import asyncio
import contextlib
import math
import random
import ssl
from collections.abc import Callable

from server.protocol import InputTooLong, LineBuffer, Message, ProtocolError, parse_line

from .session import Session

__all__ = ["Network", "backoff_delay"]

CONNECT_TIMEOUT = 10.0
PING_INTERVAL = 30.0
PING_TIMEOUT = 90.0


def backoff_delay(attempt: int, cap: float = 60.0, base: float = 1.0,
                  rand: Callable[[], float] = random.random) -> float:
    """Capped exponential backoff with full jitter on the upper half: attempt 0 waits about base."""
    ceiling: float = min(cap, base * 2.0 ** min(attempt, 16))
    return ceiling / 2 + rand() * ceiling / 2


class Network:
    """Owns the socket; hands parsed lines to the Session and sends what it answers."""

    def __init__(self, session: Session, host: str, port: int, *, tls: bool = False,
                 tls_insecure: bool = False, tls_ca: str | None = None, reconnect_max: float = 60.0,
                 on_change: Callable[[], None] = lambda: None) -> None:
        self.session = session
        self.host = host
        self.port = port
        self.tls = tls
        self.tls_insecure = tls_insecure
        self.tls_ca = tls_ca
        self.reconnect_max = reconnect_max
        self.on_change = on_change
        self._queue: asyncio.Queue[Message | None] | None = None
        self._stop = asyncio.Event()
        self._writer: asyncio.StreamWriter | None = None
        self._closed = asyncio.Event()
        self.connected = False

    @property
    def state_label(self) -> str:
        return self.session.state.status

    def _set_status(self, status: str) -> None:
        self.session.state.status = status
        self.session.state.version += 1
        self.on_change()

    def send(self, messages: list[Message]) -> bool:
        """Queue messages for the writer; False (nothing queued) while not connected."""
        if self._queue is None or not self.connected:
            return False
        for message in messages:
            self._queue.put_nowait(message)
        return True

    def _ssl_context(self) -> ssl.SSLContext | None:
        if not self.tls:
            return None
        # The system store by default; --tls-ca replaces it (a private CA, or a test's own).
        context = ssl.create_default_context(cafile=self.tls_ca)
        if self.tls_insecure:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    async def run(self) -> None:
        """Connect, and reconnect after every loss until stop() is called."""
        attempt = 0
        while not self._stop.is_set():
            self._set_status("connecting")
            try:
                reader, writer = await asyncio.wait_for(
                    asyncio.open_connection(self.host, self.port, ssl=self._ssl_context()), CONNECT_TIMEOUT)
            except (OSError, TimeoutError) as exc:
                self.session.connect_failed(f"cannot connect to {self.host}:{self.port}: "
                                            f"{exc or type(exc).__name__}")
            else:
                reason = await self._serve(reader, writer)
                if self.session.registered or reason == "quit":
                    attempt = 0
                self.session.disconnected(reason)
            if self._stop.is_set():
                break
            delay = backoff_delay(attempt, self.reconnect_max)
            attempt += 1
            await self._countdown(delay)
        self._set_status("disconnected")

    async def _countdown(self, delay: float) -> None:
        """Wait delay seconds (or until stop()), showing the seconds left in the status line."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + delay
        while not self._stop.is_set():
            left = deadline - loop.time()
            if left <= 0:
                return
            self._set_status(f"reconnecting in {math.ceil(left)}s")
            with contextlib.suppress(TimeoutError):  # to the next whole second left
                await asyncio.wait_for(self._stop.wait(), left - math.ceil(left) + 1)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> str:
        self._queue = asyncio.Queue()
        self._writer = writer
        self._closed.clear()
        self.connected = True
        self.session.state.server = self.host
        self.send(self.session.start())
        self.on_change()
        writer_task = asyncio.ensure_future(self._write_loop(writer))
        pinger = asyncio.ensure_future(self._ping_loop())
        try:
            return await self._read_loop(reader)
        finally:
            self.connected = False
            self._queue.put_nowait(None)
            pinger.cancel()
            with contextlib.suppress(asyncio.CancelledError, OSError, TimeoutError):
                await asyncio.wait_for(writer_task, 2.0)
            writer.close()
            with contextlib.suppress(OSError, TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(writer.wait_closed(), 2.0)
            self._writer = None
            self._closed.set()

    async def _read_loop(self, reader: asyncio.StreamReader) -> str:
        buffer = LineBuffer()
        self._last_read = asyncio.get_running_loop().time()
        while True:
            try:
                data = await reader.read(65536)
            except (OSError, ConnectionError) as exc:
                return f"connection error: {exc}"
            if not data:
                return "the server closed the connection" if not self._stop.is_set() else "quit"
            self._last_read = asyncio.get_running_loop().time()
            buffer.feed(data)
            for item in buffer.lines():
                if isinstance(item, InputTooLong):
                    continue
                try:
                    msg = parse_line(item)
                except ProtocolError:
                    continue
                self.send(self.session.handle(msg))
            self.on_change()

    async def _write_loop(self, writer: asyncio.StreamWriter) -> None:
        assert self._queue is not None
        queue = self._queue
        while True:
            message = await queue.get()
            if message is None:
                return
            writer.write(message.to_bytes())
            while not queue.empty():
                extra = queue.get_nowait()
                if extra is None:
                    await writer.drain()
                    return
                writer.write(extra.to_bytes())
            try:
                await writer.drain()
            except (OSError, ConnectionError):
                return

    async def _ping_loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(PING_INTERVAL if self.session.registered else 2.0)
            if loop.time() - self._last_read > PING_TIMEOUT and self._writer is not None:
                self._writer.transport.abort()
                return
            if self.session.registered:
                self.send([self.session.ping()])
                self.on_change()

    async def quit(self, reason: str, timeout: float = 2.0) -> None:
        """Send QUIT, wait briefly for the server to close, and stop reconnecting."""
        self._stop.set()
        writer = self._writer
        if self.connected and writer is not None:
            self.send([Message("QUIT", (reason,))])
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closed.wait(), timeout)
            if self.connected:
                writer.transport.abort()

    def stop(self) -> None:
        self._stop.set()
        if self._writer is not None:
            self._writer.transport.abort()
