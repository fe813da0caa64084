"""A thousand concurrent clients on a pool of four threads."""

from __future__ import annotations

import pytest

from tests.support.client import LineClient
from tests.support.crowd import Crowd
from tests.support.servers import NO_FLOOD_CONTROL, chat_server, wait_for


def member_count(client: LineClient) -> int:
    client.send("NAMES #everyone")
    names = client.expect_until(" 366 .* #everyone ", timeout=30)
    return sum(len(m.params[-1].split()) for m in names if m.command == "353")


@pytest.mark.timeout(120)
def test_a_thousand_clients_register_join_and_all_receive_a_channel_message() -> None:
    with chat_server("pool", *NO_FLOOD_CONTROL, "--pool", "4") as srv:
        crowd = Crowd(srv.address, 1000)
        try:
            assert crowd.wait_all(b" 376 ", timeout=60) == set()
            crowd.send_all("JOIN #everyone")
            with LineClient(srv.address, "announcer", timeout=60) as announcer:
                announcer.send("JOIN #everyone")
                assert wait_for(lambda: member_count(announcer) == 1001, timeout=60)
                announcer.send("PRIVMSG #everyone :hello, all thousand of you")
                assert crowd.wait_all(b"PRIVMSG #everyone :hello, all thousand of you", timeout=60) == set()
                announcer.send("LUSERS")
                assert announcer.expect(" 251 ").params[-1].startswith("There are 1001 users")
        finally:
            crowd.close()
