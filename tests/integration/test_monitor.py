"""MONITOR over real sockets, in every dispatch mode: in process mode the watcher and the
watched user sit on different workers, so the notices must travel through the shared log."""

from __future__ import annotations

import pytest

from tests.integration.test_process_mode import clients_on_two_workers
from tests.support.client import LineClient
from tests.support.servers import NO_FLOOD_CONTROL, chat_server


@pytest.mark.timeout(60)
@pytest.mark.parametrize("mode", ["thread", "pool", "process"])
def test_monitor_notices_follow_registration_nick_changes_and_quits(mode: str) -> None:
    with chat_server(mode, *NO_FLOOD_CONTROL, "--workers", "2") as srv:
        if mode == "process":
            (watcher, *_), (watched, *_) = list(clients_on_two_workers(srv, "m").values())[:2]
        else:
            watcher, watched = LineClient(srv.address, "m0"), LineClient(srv.address, "m1")
        with watcher, watched:
            watcher.send("MONITOR + target,other")
            assert watcher.expect(" 731 ").params[-1] == "target,other"
            watched.send("NICK target")
            assert watcher.expect(" 730 ").params[-1].startswith("target!")
            watched.send("NICK moved")
            assert watcher.expect(" 731 ").params[-1] == "target"
            with LineClient(srv.address, "other") as other:
                assert watcher.expect(" 730 ").params[-1].startswith("other!")
                other.send("QUIT :gone")
                assert watcher.expect(" 731 ").params == (watcher.nick, "other")
            watcher.send("CAP REQ :extended-monitor away-notify")
            watcher.expect(" ACK ")
            watcher.send("MONITOR + moved")
            watcher.expect(" 730 ")
            watched.send("AWAY :out")
            assert watcher.expect(" AWAY ").params == ("out",)
