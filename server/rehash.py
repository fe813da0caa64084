"""REHASH and SIGHUP: read the configuration again and apply what may change while running.

What changes: the MOTD and other settings, operators, the TLS certificate
(for new connections), flood and connection limits. What needs a restart:
ports, the dispatch mode, the data directory. A configuration with any
problem changes nothing: the server keeps the one it runs with, and says why.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import signal
import threading
from types import FrameType

from .config import ConfigError, load_config
from .dispatch.services import Services
from .dispatch.tls import load_server_context
from .dispatch.worker import Listener
from .wiring import admission_policy, limits_from, login_policy, settings_from

__all__ = ["Rehasher"]

log = logging.getLogger("chat-server")


class Rehasher:
    """The server side of REHASH (``ServerHooks.rehash``), for one worker's Services."""

    def __init__(self, argv: list[str] | None, services: Services, listeners: list[Listener],
                 tell_parent: bool = False) -> None:
        self._argv = argv
        self._services = services
        self._listeners = listeners
        self._tell_parent = tell_parent  # process mode: the parent passes SIGHUP on to every worker
        self._lock = threading.Lock()

    def install(self) -> None:
        signal.signal(signal.SIGHUP, self._on_sighup)

    def _on_sighup(self, signum: int, frame: FrameType | None) -> None:
        # Reading files is no work for a signal handler, which interrupts the main thread.
        threading.Thread(target=self.reload, name="rehash", daemon=True).start()

    def rehash(self) -> list[str]:
        """REHASH from an operator: reload here, and in process mode in every worker."""
        problems = self.reload()
        if not problems and self._tell_parent:
            os.kill(os.getppid(), signal.SIGHUP)
        return problems

    def reload(self) -> list[str]:
        """Load and apply the configuration; the problems found (then nothing changed)."""
        with self._lock:
            services = self._services
            try:
                config = load_config(self._argv)
                settings = settings_from(config)
                tls = [load_server_context(config.tls_cert, config.tls_key)
                       for listener in self._listeners if listener.tls is not None]
                policy = admission_policy(config)
                logins = login_policy(config)
            except (ConfigError, OSError, ValueError) as exc:
                problem = exc.message if isinstance(exc, ConfigError) else f"chat-server: TLS: {exc}"
                log.error("REHASH failed, the configuration in use stays: %s", problem)
                return [problem]
            services.settings = dataclasses.replace(settings, created=services.settings.created)
            services.limits = limits_from(config)
            services.admission.configure(policy)
            if services.accounts is not None:
                services.accounts.configure(logins)
            contexts = iter(tls)
            for listener in self._listeners:
                if listener.tls is not None:
                    listener.tls.context = next(contexts)
            log.info("configuration reloaded%s", " (TLS certificate too)" if tls else "")
            return []
