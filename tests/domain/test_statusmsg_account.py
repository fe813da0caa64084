"""STATUSMSG (``@#chan``, ``+#chan``), one line or a multiline batch, carries the sender's account to clients
with account-tag, as every other message does."""

from __future__ import annotations

from .harness import Net
from .test_accounts import registered
from .test_ircv3 import capable


def test_a_status_message_carries_the_senders_account() -> None:
    net = Net()
    op = capable(net, "op", "account-tag message-tags batch draft/multiline")
    plain_op = capable(net, "plainop", "account-tag")
    op.say("JOIN #c")
    plain_op.say("JOIN #c")
    op.say("MODE #c +o plainop")
    alice = registered(net, "alice")
    alice.say("CAP REQ :batch draft/multiline")
    alice.say("JOIN #c")
    op.lines(), plain_op.lines(), alice.lines()

    alice.say("PRIVMSG @#c :ops only")
    assert [(m.params, m.tags.get("account")) for m in op.messages()] == [(("@#c", "ops only"), "alice")]
    assert plain_op.lines() == ["@account=alice :alice!~alice@127.0.0.1 PRIVMSG @#c :ops only"]

    alice.say("BATCH +m draft/multiline @#c")
    alice.say("@batch=m PRIVMSG @#c :one")
    alice.say("@batch=m PRIVMSG @#c :two")
    alice.say("BATCH -m")
    batch = op.messages()
    assert batch[0].command == "BATCH" and batch[0].tags.get("account") == "alice"
    assert [m.params for m in batch[1:-1]] == [("@#c", "one"), ("@#c", "two")]
    fallback = plain_op.messages()  # the lines one by one, each with the account
    assert [(m.params, m.tags.get("account")) for m in fallback] == [(("@#c", "one"), "alice"),
                                                                     (("@#c", "two"), "alice")]
