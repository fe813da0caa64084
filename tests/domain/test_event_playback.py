"""draft/event-playback: CHATHISTORY also plays back topic changes and the TAGMSGs that ask to be kept,
to the clients that asked for them; everyone else, and the replay on join, gets what was said."""

from __future__ import annotations

from .harness import Net, NetUser
from .test_ircv3 import ALL_CAPS, capable

PLAYBACK = f"{ALL_CAPS} draft/event-playback"


def history(user: NetUser, request: str) -> list[tuple[str, tuple[str, ...]]]:
    user.say(request)
    return [(m.command, m.params) for m in user.messages() if m.command != "BATCH"]


def test_topics_are_played_back_only_to_clients_that_asked() -> None:
    net = Net()
    alice = capable(net, "alice", PLAYBACK)
    bob = capable(net, "bob")
    for user in (alice, bob):
        user.say("JOIN #c")
    for i in range(3):
        alice.say(f"TOPIC #c :topic {i}")
        alice.say(f"PRIVMSG #c :message {i}")
    alice.lines(), bob.lines()
    assert history(alice, "CHATHISTORY LATEST #c * 4") == [
        ("TOPIC", ("#c", "topic 1")), ("PRIVMSG", ("#c", "message 1")),
        ("TOPIC", ("#c", "topic 2")), ("PRIVMSG", ("#c", "message 2"))]
    # Without the cap the limit counts messages: three of them, not the last three events.
    assert history(bob, "CHATHISTORY LATEST #c * 3") == [("PRIVMSG", ("#c", f"message {i}")) for i in range(3)]


def test_the_join_replay_is_what_was_said() -> None:
    net = Net()
    alice = capable(net, "alice", PLAYBACK)
    alice.say("JOIN #c")
    alice.say("TOPIC #c :the topic")
    alice.say("PRIVMSG #c :hello")
    carol = net.user("carol")  # a client that does not fetch history itself gets the replay
    carol.say("JOIN #c")
    replayed = [(m.command, m.params) for m in carol.messages() if m.command in ("PRIVMSG", "TOPIC")]
    assert replayed == [("PRIVMSG", ("#c", "hello"))]


def test_reactions_are_kept_and_typing_notices_are_not() -> None:
    net = Net()
    alice = capable(net, "alice", PLAYBACK)
    bob = capable(net, "bob")
    for user in (alice, bob):
        user.say("JOIN #c")
    alice.say("PRIVMSG #c :hello")
    (echo,) = [m for m in alice.messages() if m.command == "PRIVMSG"]
    bob.say(f"@+draft/react=👍;+draft/reply={echo.tags['msgid']} TAGMSG #c")
    bob.say("@+typing=active TAGMSG #c")
    bob.say("@+draft/persist TAGMSG alice")  # a private one, kept in the conversation's history
    alice.lines(), bob.lines()
    assert history(alice, "CHATHISTORY LATEST #c * 10") == [("PRIVMSG", ("#c", "hello")), ("TAGMSG", ("#c",))]
    alice.say("CHATHISTORY LATEST #c * 10")
    (reaction,) = [m for m in alice.messages() if m.command == "TAGMSG"]
    assert reaction.tags["+draft/react"] == "👍" and reaction.source.startswith("bob!")
    assert history(alice, "CHATHISTORY LATEST bob * 10") == [("TAGMSG", ("alice",))]
    assert history(bob, "CHATHISTORY LATEST #c * 10") == [("PRIVMSG", ("#c", "hello"))]


def test_a_reaction_can_be_redacted() -> None:
    net = Net()
    alice = capable(net, "alice", PLAYBACK)
    alice.say("JOIN #c")
    alice.say("PRIVMSG #c :hello")
    alice.say("@+draft/react=🎉 TAGMSG #c")
    (reaction,) = [m for m in alice.messages() if m.command == "TAGMSG"]
    alice.say(f"REDACT #c {reaction.tags['msgid']}")
    assert [m.command for m in alice.messages()] == ["REDACT"]
    assert history(alice, "CHATHISTORY LATEST #c * 10") == [("PRIVMSG", ("#c", "hello"))]
