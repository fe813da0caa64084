"""Accounts through the real connection core: NickServ, REGISTER, SASL PLAIN and SCRAM, PASS, the nick rule."""

from __future__ import annotations

import base64

from server.accounts.credentials import check_password, make_credentials
from tests.support.scram_client import ScramClient

from .harness import Net, NetUser
from .test_ircv3 import capable


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def registered(net: Net, nick: str, password: str = "correct-horse") -> NetUser:
    user = net.user(nick)
    user.say(f"NS REGISTER {password}")
    lines = user.lines()
    assert lines[0] == f":NickServ!NickServ@services. NOTICE {nick} :Account created", lines
    assert f" 900 {nick} {nick}!~{nick}@127.0.0.1 {nick} :You are now logged in as {nick}" in lines[1]
    return user


def sasl_start(net: Net, mechanism: str) -> NetUser:
    user = net.connect()
    user.say("CAP LS 302")
    user.say("CAP REQ sasl")
    user.lines()
    user.say(f"AUTHENTICATE {mechanism}")
    assert user.lines() == ["AUTHENTICATE +"]
    return user


def test_nickserv_register_hashes_in_the_pool_and_the_account_survives(tmp_path: object) -> None:
    net = Net()
    alice = registered(net, "alice")
    assert [job for job, _ in net.jobs] == [make_credentials]
    assert alice.session.account == "alice"
    alice.say("WHOIS alice")
    assert ":chat.local 330 alice alice alice :is logged in as" in alice.lines()
    alice.say("NS REGISTER another-password")
    assert alice.lines() == [":NickServ!NickServ@services. NOTICE alice :You are already logged in as alice"]


def test_short_passwords_and_bad_emails_are_refused_with_a_reason() -> None:
    net = Net()
    bob = net.user("bob")
    bob.say("NS REGISTER short")
    assert bob.lines() == [":NickServ!NickServ@services. NOTICE bob :Password too short: use at least 8 characters"]
    bob.say("PRIVMSG NickServ :REGISTER long-enough not-an-email")
    assert "is not an email address" in bob.lines()[0]
    assert net.jobs == []


def test_identify_logout_info_set_password_and_drop() -> None:
    net = Net()
    registered(net, "alice").say("QUIT")
    alice = net.user("alice")
    alice.lines()
    alice.say("NS IDENTIFY wrong-password")
    assert alice.lines() == [":NickServ!NickServ@services. NOTICE alice :Invalid account name or password"]
    alice.say("NS IDENTIFY alice correct-horse")
    lines = alice.lines()
    assert " 900 alice " in lines[0] and lines[1].endswith("You are now logged in as alice")
    assert alice.session.nick_deadline == 0.0
    alice.say("NS INFO")
    assert "Account alice, registered" in alice.lines()[0]
    alice.say("NS SET PASSWORD new-password-1")
    assert alice.lines() == [":NickServ!NickServ@services. NOTICE alice :Password changed"]
    account = net.accounts.get("alice") if net.accounts else None
    assert account is not None and check_password(account.password_hash, "new-password-1")[0]
    alice.say("NS LOGOUT")
    lines = alice.lines()
    assert " 901 alice " in lines[0] and "You are now logged out" in lines[1] and "belongs to a registered" in lines[2]
    alice.say("NS IDENTIFY new-password-1")
    alice.lines()
    alice.say("NS DROP")
    assert alice.lines()[-1].endswith("Account alice dropped")
    assert net.accounts is not None and not net.accounts.exists("alice") and alice.session.account == ""


def test_a_registered_nick_is_reserved_and_ghost_frees_it() -> None:
    net = Net()
    registered(net, "alice").say("QUIT")
    bob = net.user("bob")
    bob.say("NICK Alice")
    assert bob.lines() == [":chat.local 433 bob Alice :Nickname is reserved by a registered account"]
    bob.say("NICK NickServ")
    assert " 433 " in bob.lines()[0]
    squatter = net.user("alice")  # connecting with it is allowed, then a login is due
    assert squatter.session.nick_deadline == net.now + 30
    owner = net.user("owner")
    owner.say("NS IDENTIFY alice correct-horse")
    owner.lines()
    owner.say("NS GHOST alice")
    assert owner.lines()[-1].endswith("alice has been disconnected")
    assert squatter.closed_with is not None and "GHOST" in squatter.closed_with
    owner.say("NICK alice")
    assert owner.lines() == [":owner!~owner@127.0.0.1 NICK alice"]


def test_the_grace_deadline_renames_to_guest() -> None:
    net = Net(nick_grace=5.0)
    registered(net, "alice").say("QUIT")
    squatter = net.user("alice")
    net.now += 6
    squatter.core.resume(net.mono)
    net.pump()
    lines = squatter.lines()
    assert lines[0].startswith(":alice!~alice@127.0.0.1 NICK Guest"), lines
    assert "did not log in to the account that owns alice in time" in lines[1]


def test_sasl_plain_before_registration_then_907() -> None:
    net = Net()
    registered(net, "alice").say("QUIT")
    user = sasl_start(net, "PLAIN")
    user.say("AUTHENTICATE " + b64(b"\0alice\0correct-horse"))
    assert user.lines() == [":chat.local 900 * * alice :You are now logged in as alice",
                            ":chat.local 903 * :SASL authentication successful"]
    user.say("NICK alice")
    user.say("USER a 0 * :A")
    user.say("CAP END")
    assert user.session.registered and user.session.nick_deadline == 0.0
    user.lines()
    user.say("AUTHENTICATE PLAIN")
    assert " 907 alice " in user.lines()[0]


def test_sasl_refusals() -> None:
    net = Net()
    registered(net, "alice").say("QUIT")
    user = sasl_start(net, "PLAIN")
    user.say("AUTHENTICATE " + b64(b"\0alice\0wrong password"))
    assert user.lines() == [":chat.local 904 * :SASL authentication failed: Invalid account name or password"]
    user.say("AUTHENTICATE PLAIN")
    user.say("AUTHENTICATE !!!")
    assert " 904 * " in user.lines()[-1]
    user.say("AUTHENTICATE PLAIN")
    user.say("AUTHENTICATE " + "A" * 401)
    assert user.lines()[-1] == ":chat.local 905 * :SASL message too long"
    user.say("AUTHENTICATE PLAIN")
    for _ in range(21):  # 8400 bytes, all of them chunks that say more follows: the exchange fails
        user.say("AUTHENTICATE " + "A" * 400)
    assert user.lines()[-1] == ":chat.local 904 * :SASL authentication failed: the SASL payload is over 8192 bytes"
    user.say("AUTHENTICATE PLAIN")
    user.say("AUTHENTICATE *")
    assert user.lines()[-1] == ":chat.local 906 * :SASL authentication aborted"
    user.say("AUTHENTICATE FOO")
    assert user.lines() == [":chat.local 908 * PLAIN,SCRAM-SHA-256 :are available SASL mechanisms",
                            ":chat.local 904 * :Unknown SASL mechanism FOO"]
    nocap = net.connect()
    nocap.say("AUTHENTICATE PLAIN")
    assert " 904 * " in nocap.lines()[0]


def test_sasl_scram_sha_256_and_its_refusals() -> None:
    net = Net()
    registered(net, "alice").say("QUIT")
    user = sasl_start(net, "SCRAM-SHA-256")
    client = ScramClient("alice", "correct-horse")
    user.say("AUTHENTICATE " + b64(client.first()))
    (challenge,) = user.messages()
    final = client.final(base64.b64decode(challenge.params[0]))
    user.say("AUTHENTICATE " + b64(final))
    (server_final,) = user.messages()
    assert client.verify_server(base64.b64decode(server_final.params[0]))
    user.say("AUTHENTICATE +")
    assert [m.command for m in user.messages()] == ["900", "903"]
    assert not any(job is check_password for job, _ in net.jobs)  # SCRAM needs no password hash

    replay = sasl_start(net, "SCRAM-SHA-256")
    replay.say("AUTHENTICATE " + b64(client.first()))
    replay.lines()
    replay.say("AUTHENTICATE " + b64(final))  # the old exchange's proof, with its old nonce
    assert " 904 * :SASL authentication failed: the nonce does not match" in replay.lines()[0]

    wrong = sasl_start(net, "SCRAM-SHA-256")
    liar = ScramClient("alice", "not the password")
    wrong.say("AUTHENTICATE " + b64(liar.first()))
    (challenge,) = wrong.messages()
    wrong.say("AUTHENTICATE " + b64(liar.final(base64.b64decode(challenge.params[0]))))
    assert wrong.lines() == [":chat.local 904 * :SASL authentication failed: wrong password"]

    unknown = sasl_start(net, "SCRAM-SHA-256")
    ghost = ScramClient("nobody", "whatever pw")
    unknown.say("AUTHENTICATE " + b64(ghost.first()))
    (challenge,) = unknown.messages()  # a challenge all the same: it does not tell the name is unknown
    unknown.say("AUTHENTICATE " + b64(ghost.final(base64.b64decode(challenge.params[0]))))
    assert " 904 " in unknown.lines()[0]

    early = sasl_start(net, "SCRAM-SHA-256")
    early.say("AUTHENTICATE " + b64(b"c=biws,r=abc,p=AAAA"))  # a final message first
    assert " 904 " in early.lines()[0]


def test_failed_logins_are_throttled_per_address() -> None:
    net = Net()
    registered(net, "alice").say("QUIT")
    user = net.user("mallory")
    for _ in range(5):
        user.say("NS IDENTIFY alice wrong-password")
    user.lines()
    jobs = len(net.jobs)
    user.say("NS IDENTIFY alice correct-horse")
    assert user.lines() == [":NickServ!NickServ@services. NOTICE mallory :Too many failed logins from your address; "
                            "wait a few minutes"]
    assert len(net.jobs) == jobs  # no hash spent on a throttled attempt


def test_account_registration_cap_before_connect() -> None:
    net = Net()
    user = net.connect()
    user.say("CAP LS 302")
    assert "draft/account-registration=before-connect" in user.lines()[0]
    user.say("REGISTER * * long-password")
    assert user.lines() == [":chat.local FAIL REGISTER NEED_NICK * :Choose a nick (NICK) first: the account is "
                            "named after it"]
    user.say("NICK carol")
    user.say("REGISTER dave * long-password")
    assert " ACCOUNT_NAME_MUST_BE_NICK dave " in user.lines()[0]
    user.say("REGISTER * * short")
    assert " WEAK_PASSWORD carol " in user.lines()[0]
    user.say("REGISTER * carol@example.org long-password")
    lines = user.lines()
    assert lines[0] == ":chat.local REGISTER SUCCESS carol :Account created" and " 900 " in lines[1]
    other = net.connect()
    other.say("NICK carol2")
    other.say("REGISTER carol2 CAROL@example.org long-password")
    assert " FAIL REGISTER UNACCEPTABLE_EMAIL carol2 " in other.lines()[0]
    third = net.user("erin")
    third.say("NICK carol")
    assert " 433 " in third.lines()[0]


def test_pass_account_password_logs_in_at_registration() -> None:
    net = Net()
    registered(net, "alice").say("QUIT")
    user = net.connect()
    user.say("PASS alice:correct-horse")
    user.say("NICK alice")
    user.say("USER a 0 * :A")
    assert user.session.registered and user.session.account == "alice" and not user.session.nick_deadline
    failed = net.connect()
    failed.say("PASS alice:nope-nope")
    failed.say("NICK someone")
    failed.say("USER a 0 * :A")
    assert failed.session.registered and failed.session.account == ""
    assert "PASS login failed" in failed.lines()[0]


def test_account_notify_extended_join_and_account_tag() -> None:
    net = Net()
    registered(net, "alice").say("QUIT")
    watcher = capable(net, "watcher", "account-notify extended-join account-tag")
    watcher.say("JOIN #c")
    alice = net.user("alice")
    alice.say("JOIN #c")
    watcher.lines()
    alice.say("NS IDENTIFY correct-horse")
    assert watcher.lines() == [":alice!~alice@127.0.0.1 ACCOUNT alice"]
    alice.say("PRIVMSG #c :hi")
    assert watcher.lines() == ["@account=alice :alice!~alice@127.0.0.1 PRIVMSG #c :hi"]
    alice.say("PART #c")
    alice.say("JOIN #c")
    assert watcher.lines()[-1] == "@account=alice :alice!~alice@127.0.0.1 JOIN #c alice :alice real"
    alice.say("NS LOGOUT")
    assert watcher.lines() == [":alice!~alice@127.0.0.1 ACCOUNT *"]


def history(user: NetUser, target: str) -> list[str]:
    user.lines()
    user.say(f"CHATHISTORY LATEST {target} * 50")
    return [m.params[1] for m in user.messages() if m.command == "PRIVMSG"]


def test_private_history_belongs_to_accounts_and_connections_not_nicks() -> None:
    net = Net()
    alice = registered(net, "alice")
    bob = net.user("bob")
    alice.say("PRIVMSG bob :for bob's eyes")
    bob.say("PRIVMSG alice :and alice's")
    assert history(alice, "bob") == ["for bob's eyes", "and alice's"]
    assert history(bob, "alice") == ["for bob's eyes", "and alice's"]
    bob.say("QUIT")
    later_bob = net.user("bob")  # a later holder of the nick, without an account
    assert history(later_bob, "alice") == []
    alice.say("QUIT")
    elsewhere = net.user("alice2")  # the account, from another connection
    assert history(elsewhere, "bob") == []
    elsewhere.say("NS IDENTIFY alice correct-horse")
    elsewhere.lines()
    assert history(elsewhere, "bob") == []  # "bob" is someone else now...
    later_bob.say("NICK robert")
    assert history(elsewhere, "bob") == ["for bob's eyes", "and alice's"]  # ...and then nobody: the old ones
    carol = registered(net, "carol")
    assert history(carol, "bob") == [] and history(carol, "alice") == []
    elsewhere.say("CHATHISTORY TARGETS timestamp=2000-01-01T00:00:00.000Z timestamp=2100-01-01T00:00:00.000Z 10")
    assert [m.params[1] for m in elsewhere.messages() if m.command == "CHATHISTORY"] == ["bob"]


def test_a_message_to_oneself_is_delivered_and_echoed_and_kept_once() -> None:
    net = Net()
    me = capable(net, "me", "echo-message draft/chathistory batch")
    me.say("PRIVMSG me :note to self")
    assert me.lines() == [":me!~me@127.0.0.1 PRIVMSG me :note to self"] * 2
    assert history(me, "me") == ["note to self"]


def test_chanserv_founder_gets_op_on_every_join_and_passes_the_locks() -> None:
    net = Net()
    alice = registered(net, "alice")
    alice.say("JOIN #home")
    bob = registered(net, "bob")
    bob.say("JOIN #home")
    bob.say("CS REGISTER #home")
    assert bob.lines()[-1] == ":ChanServ!ChanServ@services. NOTICE bob :You must be an operator of #home to register it"
    alice.say("PRIVMSG ChanServ :REGISTER #home")
    assert alice.lines()[-1] == ":ChanServ!ChanServ@services. NOTICE alice :#home is registered to your account alice"
    alice.say("MODE #home +i")
    alice.say("PART #home")
    bob.lines()
    alice.say("JOIN #home")  # invite-only, and bob is its only member: the founder still gets in, as operator
    assert ":ChanServ!ChanServ@services. MODE #home +o alice" in bob.lines()
    assert any(" 353 alice = #home :" in line and "@alice" in line for line in alice.lines())
    bob.say("CS OP #home bob")
    assert bob.lines()[-1].endswith("Only the founder of #home may do that (and must be logged in)")
    alice.say("CS OP #home bob")
    assert ":ChanServ!ChanServ@services. MODE #home +o bob" in bob.lines()
    alice.say("CS INFO #home")
    assert "#home: founder alice, registered " in alice.lines()[-1]
    alice.say("NS LOGOUT")
    alice.say("PART #home")
    alice.say("JOIN #home")
    assert " 473 alice #home " in alice.lines()[-1]  # logged out: no founder's rights
    alice.say("NS IDENTIFY correct-horse")
    alice.say("CS DROP #home")
    assert alice.lines()[-1].endswith("#home is no longer registered")


def test_only_a_registered_channel_keeps_its_topic_and_modes_while_empty() -> None:
    net = Net()
    alice = registered(net, "alice")
    for name in ("#kept", "#gone"):
        alice.say(f"JOIN {name}")
        alice.say(f"TOPIC {name} :about {name}")
        alice.say(f"MODE {name} +m")
    alice.say("CS REGISTER #kept")
    alice.say("PART #kept")
    alice.say("PART #gone")
    bob = net.user("bob")
    bob.say("JOIN #kept")
    lines = bob.lines()
    assert " 332 bob #kept :about #kept" in lines[1] and any(" 353 bob = #kept :bob" in line for line in lines)
    bob.say("MODE #kept")
    assert " 324 bob #kept :+mnt" in bob.lines()[0]
    bob.say("JOIN #gone")
    lines = bob.lines()
    assert not any(" 332 " in line for line in lines) and any(" 353 bob = #gone :@bob" in line for line in lines)


def test_the_longest_password_a_registration_line_holds_logs_in_over_chunked_sasl() -> None:
    net = Net()
    password = "x" * 480  # "PRIVMSG NickServ :REGISTER " and it fill 509 of the line's 512 bytes
    user = net.user("longpw")
    user.say(f"PRIVMSG NickServ :REGISTER {password}")
    assert "Account created" in user.lines()[0]
    user.say("QUIT")
    plain = sasl_start(net, "PLAIN")
    text = b64(b"\0longpw\0" + password.encode())
    chunks = [text[i:i + 400] for i in range(0, len(text), 400)]
    assert len(chunks) == 2 and len(chunks[-1]) < 400
    plain.say("AUTHENTICATE " + chunks[0])
    assert plain.lines() == []  # a 400-byte chunk: more follows
    plain.say("AUTHENTICATE " + chunks[1])
    assert [m.command for m in plain.messages()] == ["900", "903"]
    scram = sasl_start(net, "SCRAM-SHA-256")
    client = ScramClient("longpw", password)
    scram.say("AUTHENTICATE " + b64(client.first()))
    (challenge,) = scram.messages()
    scram.say("AUTHENTICATE " + b64(client.final(base64.b64decode(challenge.params[0]))))
    (server_final,) = scram.messages()
    assert client.verify_server(base64.b64decode(server_final.params[0]))
    scram.say("AUTHENTICATE +")
    assert [m.command for m in scram.messages()] == ["900", "903"]


def test_registration_only_once_connected_and_with_an_email_when_so_configured() -> None:
    net = Net(register_before_connect=False, register_email_required=True)
    early = net.connect()
    early.say("CAP LS 302")
    assert "draft/account-registration=email-required " in early.lines()[0] + " "  # no before-connect
    early.say("NICK early")
    early.say("REGISTER * early@example.org long-password")
    assert early.lines() == [":chat.local FAIL REGISTER COMPLETE_CONNECTION_REQUIRED * :Complete connecting "
                             "first, then REGISTER"]
    early.say("USER e 0 * :E")
    early.say("CAP END")
    early.lines()
    early.say("REGISTER * * long-password")
    assert " FAIL REGISTER INVALID_EMAIL early :This server needs an email address" in early.lines()[0]
    early.say("NS REGISTER long-password")
    assert "This server needs an email address to register an account" in early.lines()[0]  # the same rule
    early.say("REGISTER * early@example.org long-password")
    assert early.lines()[0] == ":chat.local REGISTER SUCCESS early :Account created"
    plain = Net()  # the defaults: before-connect, email optional
    user = plain.connect()
    user.say("CAP LS 302")
    assert "draft/account-registration=before-connect " in user.lines()[0] + " "
