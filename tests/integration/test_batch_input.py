"""Over real sockets, in every dispatch mode: a refused line ends the open multiline batch, a batch tag on QUIT
or a plain client's PRIVMSG means nothing, STATUSMSG carries the sender's account, and CAP LS fits 512 bytes
under a 63-character --server-name."""

from __future__ import annotations

from server.protocol import parse_line
from tests.support.client import LineClient
from tests.support.servers import NO_FLOOD_CONTROL, chat_server

LONG_NAME = "irc." + "n" * 55 + ".net"
MULTI = "batch message-tags draft/multiline account-tag"


def joined(address: tuple[str, int], nick: str, caps: str) -> LineClient:
    c = LineClient(address)
    c.send(f"CAP REQ :{caps}")
    c.expect(" ACK ")
    c.register_after_cap(nick)
    c.send("JOIN #b")
    c.expect(" 366 ")
    return c


def test_batch_input_and_cap_ls(mode: str) -> None:
    with chat_server(mode, *NO_FLOOD_CONTROL, "--server-name", LONG_NAME, "--register-email", "required") as srv:
        with LineClient(srv.address) as probe:
            probe.send("CAP LS 302")
            lines = [line for line in probe.expect_until(r" LS :") if line.command == "CAP"]
            assert len(lines) >= 2 and all(line.params[2] == "*" for line in lines[:-1])
            assert all(len(raw.encode()) + 2 <= 512 for raw in probe.seen)
            caps = " ".join(line.params[-1] for line in lines).split()
            assert "draft/multiline=max-bytes=4096,max-lines=100" in caps and "userhost-in-names" in caps

        with joined(srv.address, "op", MULTI) as op, joined(srv.address, "writer", MULTI) as writer, \
                joined(srv.address, "plain", "message-tags") as plain:
            writer.send(b"BATCH +a draft/multiline #b\r\n@batch=a PRIVMSG #b :ok\r\n"
                        b"@batch=a PRIVMSG #b :\xff\r\nBATCH -a\r\n")
            writer.expect("FAIL PRIVMSG INVALID_UTF8")
            writer.expect("FAIL BATCH MULTILINE_INVALID")
            plain.send("@batch=x PRIVMSG #b :tagged")  # no draft/multiline: an ordinary message
            got = op.expect("PRIVMSG #b :")
            assert got.params == ("#b", "tagged")  # and not "ok": the broken batch reached nobody

            writer.send("NS REGISTER long-password writer@example.org")
            writer.expect("You are now logged in as writer")
            plain.send("MODE #b +o plain")  # plain is no operator: only op gets the status message
            writer.send("PRIVMSG @#b :ops only")
            status = op.expect("PRIVMSG @#b")
            assert status.tags.get("account") == "writer"

            plain.send("@batch=x QUIT :tagged bye")
            op.expect(r"QUIT :Quit: tagged bye")
            assert not any(parse_line(raw.encode()).params[-1] == "ok" for raw in op.seen if " PRIVMSG " in raw)
