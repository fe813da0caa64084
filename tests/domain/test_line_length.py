"""A relayed message fits IRC's 512 bytes: its text is cut, at a character, to leave room for the sender's source."""

from __future__ import annotations

from .harness import Net


def test_a_message_that_would_relay_past_512_bytes_is_cut_to_fit_and_the_sender_sees_the_cut() -> None:
    net = Net()
    a, b = net.user("alice"), net.user("bob")
    a.say("CAP REQ :echo-message")
    a.lines()
    prefix = "PRIVMSG bob :"
    a.say(prefix + "é" * ((510 - len(prefix)) // 2) + "x")  # 510 bytes as sent: the most a line may carry
    (got,) = b.lines()
    overhead = ":alice!~alice@127.0.0.1 PRIVMSG bob :"
    room = 510 - len(overhead)
    assert room % 2 == 1  # the cut falls inside a two-byte character, which goes whole
    assert got == overhead + "é" * (room // 2)
    (echo,) = a.lines()
    assert echo == got
    a.say("PRIVMSG bob :short")
    assert b.lines() == [":alice!~alice@127.0.0.1 PRIVMSG bob :short"]
