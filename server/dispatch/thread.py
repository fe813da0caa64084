"""Thread mode: one thread per connection, blocking on recv (the socketserver shape)."""

from __future__ import annotations

import threading

from .connection import Connection
from .worker import Dispatcher

__all__ = ["ThreadDispatcher"]


class ThreadDispatcher(Dispatcher):
    def start_connection(self, conn: Connection) -> None:
        threading.Thread(target=self._serve, args=(conn,), name=f"conn-{conn.conn_id}", daemon=True).start()

    @staticmethod
    def _serve(conn: Connection) -> None:
        try:
            while not conn.closed:
                data = conn.sock.recv(65536)
                if not data:
                    break
                conn.on_received(data)
        except OSError:
            pass
        finally:
            conn.close()
