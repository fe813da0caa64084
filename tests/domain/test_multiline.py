"""draft/multiline: a client batch checked whole, relayed as one message (a batch, or its lines as fallback),
logged once and kept so in history."""

from __future__ import annotations

import pytest

from server.domain.client_batch import MAX_BYTES, MAX_LINES
from server.domain.flood import FloodPolicy
from server.protocol import Message

from .harness import Net, NetUser
from .test_ircv3 import capable

BASE = "message-tags batch echo-message server-time labeled-response draft/chathistory"
MULTI = BASE + " draft/multiline"


def channel(net: Net) -> tuple[NetUser, NetUser, NetUser]:
    """alice and bob take multiline messages, charlie does not; all three in #c."""
    alice, bob, charlie = capable(net, "alice", MULTI), capable(net, "bob", MULTI), capable(net, "charlie", BASE)
    for user in (alice, bob, charlie):
        user.say("JOIN #c")
    for user in (alice, bob, charlie):
        user.lines()
    return alice, bob, charlie


def send_batch(user: NetUser, target: str, *lines: str, ref: str = "r1", opening_tags: str = "") -> None:
    """BATCH +ref, each line as ``[concat:]text`` (a leading "+" marks draft/multiline-concat), BATCH -ref."""
    prefix = f"@{opening_tags} " if opening_tags else ""
    user.say(f"{prefix}BATCH +{ref} draft/multiline {target}")
    for line in lines:
        concat = line.startswith("+")
        tags = f"batch={ref};draft/multiline-concat" if concat else f"batch={ref}"
        user.say(f"@{tags} PRIVMSG {target} :{line.removeprefix('+')}")
    user.say(f"BATCH -{ref}")


def test_the_capability_announces_its_limits() -> None:
    net = Net()
    user = net.connect()
    user.say("CAP LS 302")
    assert f"draft/multiline=max-bytes={MAX_BYTES},max-lines={MAX_LINES}" in " ".join(user.lines())


def test_a_batch_is_one_message_a_batch_for_multiline_clients_and_separate_lines_for_others() -> None:
    net = Net()
    alice, bob, charlie = channel(net)
    before = net.log.last_seq()
    send_batch(alice, "#c", "hello", "", "how is ", "+everyone?", opening_tags="label=L1;+draft/react=x")
    assert net.log.last_seq() == before + 1  # one event: one seq, one msgid

    echo = alice.messages()  # echo-message and labeled-response: the batch itself, labelled on its opening
    opening = echo[0]
    assert (opening.command, opening.params[1:], opening.tags["label"]) == ("BATCH", ("draft/multiline", "#c"), "L1")
    msgid, time = opening.tags["msgid"], opening.tags["time"]
    assert opening.tags["+draft/react"] == "x"
    ref = opening.params[0][1:]
    assert [(m.params, "draft/multiline-concat" in m.tags) for m in echo[1:-1]] == [
        (("#c", "hello"), False), (("#c", ""), False), (("#c", "how is "), False), (("#c", "everyone?"), True)]
    assert all(m.tags["batch"] == ref and "msgid" not in m.tags for m in echo[1:-1])
    assert echo[-1].params == (f"-{ref}",) and len(echo) == 6

    relayed = bob.messages()
    assert relayed[0].tags["msgid"] == msgid and relayed[0].tags["time"] == time and "label" not in relayed[0].tags
    assert [m.params[1] for m in relayed[1:-1]] == ["hello", "", "how is ", "everyone?"]

    fallback = charlie.messages()  # no blank line, no concat tag, the msgid on the first line only
    assert [m.params for m in fallback] == [("#c", "hello"), ("#c", "how is "), ("#c", "everyone?")]
    assert [m.tags.get("msgid") for m in fallback] == [msgid, None, None]
    assert all(m.tags["time"] == time and m.tags["+draft/react"] == "x" and "draft/multiline-concat" not in m.tags
               and "batch" not in m.tags for m in fallback)


def test_nobody_sees_part_of_a_batch_before_it_closes_and_other_commands_run_meanwhile() -> None:
    net = Net()
    alice, bob, charlie = channel(net)
    alice.say("BATCH +b draft/multiline #c")
    alice.say("@batch=b PRIVMSG #c :one")
    alice.say("PRIVMSG #c :an ordinary message, in between")
    alice.say("JOIN #d")
    alice.say("@batch=b PRIVMSG #c :two")
    assert [m.params[1] for m in charlie.messages()] == ["an ordinary message, in between"]
    assert [m.params[1] for m in bob.messages()] == ["an ordinary message, in between"]
    assert "JOIN" in [m.command for m in alice.messages()]
    alice.say("BATCH -b")
    assert [m.params[1] for m in charlie.messages()] == ["one", "two"]
    assert [m.params[1] for m in bob.messages()[1:-1]] == ["one", "two"]


@pytest.mark.parametrize(("lines", "code"), [
    (["@batch=r PRIVMSG #other :hi"], ("MULTILINE_INVALID_TARGET", "#c", "#other")),
    (["@batch=r PRIVMSG #c :hi", "@batch=r NOTICE #c :mixed"], ("MULTILINE_INVALID",)),
    (["@batch=r PRIVMSG #c :hi", "@batch=r;draft/multiline-concat PRIVMSG #c :"], ("MULTILINE_INVALID",)),
    (["@batch=wrong PRIVMSG #c :hi"], ("MULTILINE_INVALID",)),
    (["@batch=r TOPIC #c :not a message"], ("MULTILINE_INVALID",)),
    ([f"@batch=r PRIVMSG #c :{n}" for n in range(MAX_LINES + 1)], ("MULTILINE_MAX_LINES", str(MAX_LINES))),
    ([f"@batch=r PRIVMSG #c :{'x' * 400}"] * (MAX_BYTES // 400 + 1), ("MULTILINE_MAX_BYTES", str(MAX_BYTES))),
])
def test_a_batch_that_breaks_a_rule_is_refused_once_and_nothing_of_it_is_relayed(lines: list[str],
                                                                              code: tuple[str, ...]) -> None:
    net = Net()
    alice, bob, charlie = channel(net)
    before = net.log.last_seq()
    alice.say("BATCH +r draft/multiline #c")
    for line in lines:
        alice.say(line)
    alice.say("@batch=r PRIVMSG #c :a late line of the refused batch")
    alice.say("BATCH -r")
    fails = [m for m in alice.messages() if m.command == "FAIL"]
    assert len(fails) == 1 and fails[0].params[:1 + len(code)] == ("BATCH", *code), fails
    assert bob.lines() == [] and charlie.lines() == [] and net.log.last_seq() == before
    send_batch(alice, "#c", "the next batch is fine")  # and the connection goes on as before
    assert [m.params[1] for m in charlie.messages()] == ["the next batch is fine"]


def test_limits_count_text_and_the_line_feeds_between_lines_not_concatenated() -> None:
    net = Net()
    alice, _, charlie = channel(net)
    rest = MAX_BYTES % 400
    pieces = ["x" * 400] * (MAX_BYTES // 400) + ["x" * rest]
    send_batch(alice, "#c", pieces[0], *("+" + piece for piece in pieces[1:]))  # exactly MAX_BYTES, no line feed
    assert [m.params[1] for m in charlie.messages()] == pieces
    alice.lines()
    last = "x" * (rest - (len(pieces) - 2))  # the line feeds between the 400-byte lines take the rest
    send_batch(alice, "#c", *pieces[:-1], "+" + last, ref="r2")
    assert [m.params[1] for m in charlie.messages()] == [*pieces[:-1], last]
    alice.lines()
    send_batch(alice, "#c", *pieces[:-1], "+x" + last, ref="r3")  # one byte more
    assert alice.messages()[0].params[:3] == ("BATCH", "MULTILINE_MAX_BYTES", str(MAX_BYTES))
    assert charlie.lines() == []


def test_empty_blank_unopened_and_unsupported_batches_are_refused() -> None:
    net = Net()
    alice, bob, charlie = channel(net)
    alice.say("BATCH +e draft/multiline #c")
    alice.say("BATCH -e")
    send_batch(alice, "#c", "", "", ref="blank")
    alice.say("BATCH -never-opened")
    alice.say("@batch=nothing PRIVMSG #c :stray")
    alice.say("BATCH +x example.com/other #c")
    charlie.say("BATCH +n draft/multiline #c")  # without the capability
    assert [m.params[1] for m in alice.messages()] == ["MULTILINE_INVALID"] * 4 + ["UNKNOWN_TYPE"]
    assert [m.params[1] for m in charlie.messages()] == ["UNKNOWN_TYPE"]
    assert bob.lines() == []


def test_a_second_batch_opened_before_the_first_closes_ends_both() -> None:
    net = Net()
    alice, _, charlie = channel(net)
    alice.say("BATCH +a draft/multiline #c")
    alice.say("@batch=a PRIVMSG #c :first")
    alice.say("BATCH +b draft/multiline #c")
    alice.say("@batch=b PRIVMSG #c :second")
    alice.say("BATCH -b")
    alice.say("BATCH -a")
    assert [m.params[1] for m in alice.messages()] == ["MULTILINE_INVALID", "MULTILINE_INVALID", "MULTILINE_INVALID"]
    assert charlie.lines() == []


def test_a_batch_never_closed_goes_with_its_connection() -> None:
    net = Net()
    alice, bob, charlie = channel(net)
    alice.say("BATCH +u draft/multiline #c")
    alice.say("@batch=u PRIVMSG #c :never sent")
    alice.say("QUIT :bye")
    assert [m.command for m in charlie.messages()] == ["QUIT"]
    assert [m.command for m in bob.messages()] == ["QUIT"]


def test_the_label_answers_at_the_close_with_an_ack_when_nothing_is_echoed() -> None:
    net = Net()
    _, _, charlie = channel(net)
    dave = capable(net, "dave", "batch labeled-response draft/multiline")
    dave.say("JOIN #c")
    dave.lines(), charlie.lines()
    dave.say("@label=open BATCH +d draft/multiline #c")
    assert dave.lines() == []  # no ACK for the opening: the response comes at the close
    dave.say("@batch=d PRIVMSG #c :hi")
    dave.say("BATCH -d")
    assert [(m.command, m.tags.get("label")) for m in dave.messages()] == [("ACK", "open")]
    assert [m.params[1] for m in charlie.messages()] == ["hi"]


def test_chathistory_returns_the_batch_to_multiline_clients_and_the_lines_to_others() -> None:
    net = Net()
    alice, bob, charlie = channel(net)
    alice.say("PRIVMSG #c :before")
    send_batch(alice, "#c", "one", "", "+two")
    alice.say("PRIVMSG #c :after")
    for user in (alice, bob, charlie):
        user.lines()

    bob.say("CHATHISTORY LATEST #c * 10")
    got = bob.messages()
    outer = got[0].params[0][1:]
    assert (got[0].params[1], got[-1].params) == ("chathistory", (f"-{outer}",))
    body = got[1:-1]
    assert [m.command for m in body] == ["PRIVMSG", "BATCH", "PRIVMSG", "PRIVMSG", "PRIVMSG", "BATCH", "PRIVMSG"]
    inner = body[1]
    assert inner.params[1:] == ("draft/multiline", "#c") and inner.tags["batch"] == outer and inner.tags["msgid"]
    assert body[5].params == (f"-{inner.params[0][1:]}",) and body[5].tags["batch"] == outer
    assert [(m.params[1], m.tags["batch"], "draft/multiline-concat" in m.tags) for m in body[2:5]] == [
        ("one", inner.params[0][1:], False), ("", inner.params[0][1:], False), ("two", inner.params[0][1:], True)]

    charlie.say("CHATHISTORY LATEST #c * 10")
    lines = charlie.messages()[1:-1]
    assert [m.params[1] for m in lines] == ["before", "one", "two", "after"]
    assert lines[1].tags["msgid"] == inner.tags["msgid"] and "msgid" not in lines[2].tags
    assert all(m.tags["batch"] == lines[0].tags["batch"] for m in lines)


def test_a_private_multiline_message_is_kept_in_the_conversation_and_answers_away() -> None:
    net = Net()
    alice, bob, charlie = channel(net)
    charlie.say("AWAY :lunch")
    charlie.lines()
    send_batch(alice, "charlie", "hi", "+ there")
    assert [m.params for m in charlie.messages()] == [("charlie", "hi"), ("charlie", " there")]
    assert [m.command for m in alice.messages()] == ["BATCH", "PRIVMSG", "PRIVMSG", "BATCH", "301"]
    send_batch(alice, "bob", "to bob")
    assert [m.params[1] for m in bob.messages()[1:-1]] == ["to bob"]
    alice.lines()
    charlie.say("CHATHISTORY LATEST alice * 10")
    assert [m.params[1] for m in charlie.messages()[1:-1]] == ["hi", " there"]
    send_batch(alice, "nobody", "hello?")
    assert [m.command for m in alice.messages()] == ["401"]


def test_channel_rules_apply_to_every_line() -> None:
    net = Net()
    alice, bob, charlie = channel(net)
    alice.say("MODE #c +C")
    alice.lines(), bob.lines(), charlie.lines()
    send_batch(bob, "#c", "fine", "\x01VERSION\x01")
    assert [m.command for m in bob.messages()] == ["404"]
    assert alice.lines() == [] and charlie.lines() == []
    outsider = capable(net, "out", MULTI)
    alice.say("MODE #c +n")
    send_batch(outsider, "#c", "from outside")
    assert [m.command for m in outsider.messages()] == ["404"]


def test_notice_batches_and_statusmsg_targets() -> None:
    net = Net()
    alice, bob, charlie = channel(net)  # alice is the channel's operator
    bob.say("BATCH +n draft/multiline #c")
    bob.say("@batch=n NOTICE #c :a notice")
    bob.say("@batch=n NOTICE #c :in two lines")
    bob.say("BATCH -n")
    assert [(m.command, m.params[1]) for m in charlie.messages()] == [("NOTICE", "a notice"),
                                                                      ("NOTICE", "in two lines")]
    alice.lines(), bob.lines()
    send_batch(bob, "@#c", "ops only", "+!")
    assert [m.params for m in alice.messages()[1:-1]] == [("@#c", "ops only"), ("@#c", "!")]
    assert charlie.lines() == []
    assert [m.command for m in bob.messages()] == ["BATCH", "PRIVMSG", "PRIVMSG", "BATCH"]  # its echo


def test_a_redacted_multiline_message_leaves_history_whole() -> None:
    net = Net()
    alice, bob, _ = channel(net)
    alice.say("CAP REQ draft/message-redaction")
    send_batch(alice, "#c", "oops", "two lines")
    msgid = alice.messages()[1].tags["msgid"]
    alice.say(f"REDACT #c {msgid}")
    bob.lines()
    bob.say("CHATHISTORY LATEST #c * 10")
    assert [m.command for m in bob.messages()] == ["BATCH", "BATCH"]


def test_flood_control_counts_every_line_but_sends_the_batch_at_once() -> None:
    net = Net(flood=FloodPolicy(enabled=True, burst=5, rate=2.0, recvq=2048))
    alice, _, charlie = (capable(net, nick, caps) for nick, caps in (("alice", MULTI), ("bob", MULTI),
                                                                     ("charlie", BASE)))
    for user in (alice, charlie):
        user.say("JOIN #c")
    net.advance(10)
    alice.lines(), charlie.lines()
    lines = 20
    data = b"BATCH +f draft/multiline #c\r\n" + b"".join(b"@batch=f PRIVMSG #c :line %d\r\n" % n for n in range(lines))
    alice.send_raw(data + b"BATCH -f\r\nPRIVMSG #c :after the batch\r\n")
    assert [m.params[1] for m in charlie.messages()] == [f"line {n}" for n in range(lines)]  # at once, whole
    # 22 tokens spent of a burst of 5: the next command waits for the 17 owed, and one of its own, at 2 a second.
    net.advance(8.9)
    assert charlie.lines() == []
    net.advance(0.1)
    assert [m.params[1] for m in charlie.messages()] == ["after the batch"]


def test_replies_are_labelled_once_when_a_batch_echo_is_not_alone() -> None:
    """A multiline message to an away nick: the echo batch and the 301 go in one labeled-response batch."""
    net = Net()
    alice, _, charlie = channel(net)
    charlie.say("AWAY :gone")
    charlie.lines()
    send_batch(alice, "charlie", "hi", opening_tags="label=two")
    got = alice.messages()
    assert (got[0].command, got[0].params[1], got[0].tags["label"]) == ("BATCH", "labeled-response", "two")
    assert [m.command for m in got[1:-1]] == ["BATCH", "PRIVMSG", "BATCH", "301"]
    assert all(isinstance(m, Message) and "label" not in m.tags for m in got[1:])
