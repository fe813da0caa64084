"""irctest's controller for chat-server: starts this checkout's ``server`` package for one test.

irctest loads it by module path (``--controller tests.conformance.chat_server_controller``),
builds one controller per test and calls ``run`` with the port the test's clients will use.
``make conformance`` runs the general selection with it; README.md says how.
"""

from __future__ import annotations

import functools
import os
import shutil
import sys
from pathlib import Path
from typing import Any

from irctest import patma
from irctest.basecontrollers import BaseServerController, DirectoryBasedController
from irctest.runner import NotImplementedByController
from irctest.specifications import Capabilities, OptionalBehaviors

__all__ = ["ChatServerController", "get_irctest_controller_class"]

# The checkout this file belongs to: the server we test is its ``server`` package,
# whatever else is installed in the environment running irctest.
CHECKOUT = Path(__file__).resolve().parents[2]

# irctest's operator, which its OPER/KILL/WALLOPS tests log in as.
OPER_NAME = "operuser"
OPER_PASSWORD = "operpassword"


@functools.cache
def _oper_hash() -> str:
    """The argon2id hash of irctest's operator password, made once per irctest process."""
    sys.path.insert(0, str(CHECKOUT))
    try:
        from server.auth import hash_password
    finally:
        sys.path.remove(str(CHECKOUT))
    return hash_password(OPER_PASSWORD)


class ChatServerController(BaseServerController, DirectoryBasedController):
    software_name = "chat-server"
    supported_sasl_mechanisms = {"PLAIN", "SCRAM-SHA-256"}
    supports_sts = False
    extban_mute_char = "m"  # MODE +b m:<mask> mutes (ISUPPORT EXTBAN=,am; a:<account> is the account extban)

    # The capabilities we offer (server/domain/handlers/registration.py, SUPPORTED_CAPS) that
    # irctest knows: declared, a NAK for one of them fails a test instead of skipping it.
    capabilities = frozenset(
        (
            Capabilities.ACCOUNT_NOTIFY,
            Capabilities.ACCOUNT_TAG,
            Capabilities.AWAY_NOTIFY,
            Capabilities.BATCH,
            Capabilities.ECHO_MESSAGE,
            Capabilities.EXTENDED_JOIN,
            Capabilities.EXTENDED_MONITOR,
            Capabilities.LABELED_RESPONSE,
            Capabilities.MESSAGE_REDACTION,
            Capabilities.MESSAGE_TAGS,
            Capabilities.MULTI_PREFIX,
            Capabilities.MULTILINE,
            Capabilities.READ_MARKER,
            Capabilities.SERVER_TIME,
            Capabilities.SETNAME,
        )
    )

    # Behaviours we implement: declared, a test that finds one missing fails instead of skipping.
    optional_behaviors = frozenset((OptionalBehaviors.MULTI_JOIN, OptionalBehaviors.MULTI_PRIVMSG,
                                    OptionalBehaviors.SASL_AFTER_REGISTRATION))

    # ISUPPORT tokens (and values) our 005 must carry: IsupportTestCase.testValues checks them.
    isupport: dict[str, str | patma.Operator | None] = {
        "CASEMAPPING": "rfc1459",
        "CHANTYPES": patma.ANYSTR,
        "PREFIX": "(ov)@+",
        "STATUSMSG": "@+",
        "TARGMAX": patma.ANYSTR,
        "UTF8ONLY": None,
    }

    def run(
        self,
        hostname: str,
        port: int,
        *,
        password: str | None,
        ssl: bool,
        run_services: bool,
        faketime: str | None,
        websocket_hostname: str | None,
        websocket_port: int | None,
    ) -> None:
        if ssl:
            raise NotImplementedByController("TLS")  # no test of the general selection asks for it
        # Tests that let hours pass (LIST C<n, T<n) run the server under libfaketime (Debian: faketime);
        # without it they would sleep for real and time out, so they skip.
        faketime_cmd = ["faketime", "-f", faketime] if faketime and shutil.which("faketime") else []
        if faketime and not faketime_cmd:
            raise NotImplementedByController("faketime")
        self.faketime_enabled = bool(faketime_cmd)
        assert self.proc is None
        self.port = port
        self.hostname = hostname
        self.create_config()
        assert self.directory is not None
        config = self.directory / "server.toml"
        config.write_text(f'[opers.{OPER_NAME}]\npassword = "{_oper_hash()}"\nhosts = ["*@*"]\n')
        args: list[str | Path] = [
            *faketime_cmd, sys.executable, "-m", "server",
            "--host", "127.0.0.1",
            "--port", str(port),
            "--server-name", "My.Little.Server",
            "--flood-control", "off",
            "--data-dir", self.directory / "data",
            "--config", config,
            "--hash-workers", "1",
            # irctest registers many accounts from one address, with passwords such as "sesame".
            "--register-throttle", "0/0",
            "--password-min", "1",
            "--log-level", "DEBUG" if self.debug_mode else "WARNING",
        ]
        # The test's account-registration settings, as server options a user would set the same way.
        args += ["--register-before-connect", "on" if self.test_config.account_registration_before_connect else "off",
                 "--register-email", "required" if self.test_config.account_registration_requires_email else "optional"]
        if websocket_port is not None:  # the same host: irctest asks for 127.0.0.1 too
            args += ["--websocket-port", str(websocket_port)]
            # irctest's TCP client writes a line, then its CRLF, without TCP_NODELAY, so the CRLF
            # follows an ACK round trip later (the server acknowledges a partial line at once); its
            # WebSocket client sends a message in one write. A test that has the TCP client send and
            # the WebSocket client sync (PING) at once would race that round trip: give it the time.
            self.sync_sleep_time = 0.01
        if password is not None:
            args += ["--password", password]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(CHECKOUT), os.environ.get("PYTHONPATH")]))}
        env = {key: value for key, value in env.items() if not key.startswith("CHAT_")}
        self.proc = self.execute(args, proc_name="chat-server", cwd=CHECKOUT, env=env)
        self.wait_for_port()


    def wait_for_services(self) -> None:
        """Accounts are built in: there is no services process to wait for."""

    def registerUser(self, case: Any, username: str, password: str | None = None) -> None:
        """Register an account as irctest's Ergo controller does: connect, NS REGISTER, quit."""
        assert password
        client = case.addClient(show_io=False)
        case.sendLine(client, "CAP LS 302")
        case.sendLine(client, "NICK " + username)
        case.sendLine(client, "USER r e g :user")
        case.sendLine(client, "CAP END")
        while case.getRegistrationMessage(client).command != "001":
            pass
        case.getMessages(client)
        case.sendLine(client, "NS REGISTER " + password)
        msg = case.getMessage(client)
        assert msg.params == [username, "Account created"], msg
        case.sendLine(client, "QUIT")
        case.assertDisconnected(client)


def get_irctest_controller_class() -> type[ChatServerController]:
    return ChatServerController
