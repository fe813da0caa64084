"""Slash-command parsing: each command becomes the right actions; bad input gives a readable error."""

from __future__ import annotations

import pytest

from client.actions import Clear, Close, Context, Help, LocalError, Open, Quit, Raw, Say
from client.commands import COMMANDS, parse_input, split_text
from server.protocol import Message

IN_LOBBY = Context("#lobby", True)
IN_QUERY = Context("bob", False)
IN_SERVER = Context(None)


def raw(*parts: str) -> list[Raw]:
    return [Raw(Message(parts[0], tuple(parts[1:])))]


@pytest.mark.parametrize(("text", "ctx", "expected"), [
    ("hello", IN_LOBBY, [Say("#lobby", "hello")]),
    ("//not a command", IN_LOBBY, [Say("#lobby", "/not a command")]),
    ("/join #a,b key", IN_LOBBY, raw("JOIN", "#a,#b", "key")),
    ("/JOIN #x", IN_LOBBY, raw("JOIN", "#x")),
    ("/part", IN_LOBBY, raw("PART", "#lobby")),
    ("/part see you", IN_LOBBY, raw("PART", "#lobby", "see you")),
    ("/part #other bye", IN_LOBBY, raw("PART", "#other", "bye")),
    ("/part", IN_QUERY, [Close("bob")]),
    ("/j dev", IN_LOBBY, raw("JOIN", "#dev")),
    ("/kick bob", IN_LOBBY, raw("KICK", "#lobby", "bob")),
    ("/kick bob stop  spamming", IN_LOBBY, raw("KICK", "#lobby", "bob", "stop  spamming")),
    ("/kick #bob bob off topic", IN_QUERY, raw("KICK", "#bob", "bob", "off topic")),
    ("/ban bob", IN_LOBBY, raw("MODE", "#lobby", "+b", "bob!*@*")),
    ("/ban #dev bob *!*@evil.example", IN_LOBBY, raw("MODE", "#dev", "+bb", "bob!*@*", "*!*@evil.example")),
    ("/ban", IN_LOBBY, raw("MODE", "#lobby", "+b")),
    ("/mode +m", IN_LOBBY, raw("MODE", "#lobby", "+m")),
    ("/mode", IN_LOBBY, raw("MODE", "#lobby")),
    ("/mode #dev +k secret", IN_LOBBY, raw("MODE", "#dev", "+k", "secret")),
    ("/mode alice +i", IN_SERVER, raw("MODE", "alice", "+i")),
    ("/op bob carol", IN_LOBBY, raw("MODE", "#lobby", "+oo", "bob", "carol")),
    ("/deop #dev bob", IN_QUERY, raw("MODE", "#dev", "-o", "bob")),
    ("/voice bob", IN_LOBBY, raw("MODE", "#lobby", "+v", "bob")),
    ("/devoice bob", IN_LOBBY, raw("MODE", "#lobby", "-v", "bob")),
    ("/invite bob", IN_LOBBY, raw("INVITE", "bob", "#lobby")),
    ("/invite bob #dev", IN_QUERY, raw("INVITE", "bob", "#dev")),
    ("/msg bob hi there", IN_SERVER, [Say("bob", "hi there")]),
    ("/notice #a note", IN_LOBBY, [Say("#a", "note", notice=True)]),
    ("/query bob", IN_LOBBY, [Open("bob")]),
    ("/query bob hi", IN_LOBBY, [Open("bob"), Say("bob", "hi")]),
    ("/me waves", IN_LOBBY, [Say("#lobby", "waves", action=True)]),
    ("/nick newnick", IN_LOBBY, raw("NICK", "newnick")),
    ("/topic", IN_LOBBY, raw("TOPIC", "#lobby")),
    ("/topic new topic here", IN_LOBBY, raw("TOPIC", "#lobby", "new topic here")),
    ("/topic #x a b", IN_LOBBY, raw("TOPIC", "#x", "a b")),
    ("/names", IN_LOBBY, raw("NAMES", "#lobby")),
    ("/list", IN_LOBBY, raw("LIST")),
    ("/whois bob", IN_LOBBY, raw("WHOIS", "bob")),
    ("/away gone to lunch", IN_LOBBY, raw("AWAY", "gone to lunch")),
    ("/away", IN_LOBBY, raw("AWAY")),
    ("/quit", IN_LOBBY, [Quit("Leaving")]),
    ("/quit see you", IN_LOBBY, [Quit("see you")]),
    ("/help", IN_LOBBY, [Help()]),
    ("/clear", IN_LOBBY, [Clear()]),
    ("/quote MODE #lobby +t", IN_LOBBY, raw("MODE", "#lobby", "+t")),
    ("   ", IN_LOBBY, []),
])
def test_commands(text: str, ctx: Context, expected: list[object]) -> None:
    assert parse_input(text, ctx) == expected


@pytest.mark.parametrize(("text", "ctx"), [
    ("/bogus", IN_LOBBY),
    ("/join", IN_LOBBY),
    ("/msg bob", IN_LOBBY),
    ("/query #chan", IN_LOBBY),
    ("/me", IN_LOBBY),
    ("/me waves", IN_SERVER),
    ("hello", IN_SERVER),
    ("/nick", IN_LOBBY),
    ("/names", IN_SERVER),
    ("/whois", IN_LOBBY),
    ("/quote", IN_LOBBY),
    ("/quote :::", IN_LOBBY),
    ("/nick bad\x00nick", IN_LOBBY),
    ("/kick", IN_LOBBY),
    ("/kick bob", IN_QUERY),
    ("/op", IN_LOBBY),
    ("/voice bob", IN_SERVER),
    ("/invite", IN_LOBBY),
    ("/invite bob", IN_QUERY),
    ("/mode +m", IN_QUERY),
])
def test_bad_input_is_a_local_error(text: str, ctx: Context) -> None:
    actions = parse_input(text, ctx)
    assert len(actions) == 1 and isinstance(actions[0], LocalError) and actions[0].text


def test_issue_commands_are_all_in_the_table() -> None:
    wanted = {
        "join", "part", "msg", "query", "me", "nick", "topic", "names", "list", "whois", "away", "quit",
        "help", "clear", "quote", "kick", "ban", "mode", "op", "deop", "voice", "invite", "j",
    }
    assert wanted <= set(COMMANDS)


def test_split_text_keeps_pieces_under_the_byte_limit_at_spaces() -> None:
    text = " ".join(["word"] * 200)
    pieces = split_text(text, 100)
    assert all(len(p.encode()) <= 100 for p in pieces)
    assert " ".join(pieces) == text
    wide = "\u00e9" * 300
    assert "".join(split_text(wide, 101)) == wide
    assert all(len(p.encode()) <= 101 for p in split_text(wide, 101))
    assert split_text("short") == ["short"]


def test_account_commands_and_which_lines_are_secret() -> None:
    from client.actions import LoginAccount, RegisterAccount, VerifyAccount
    from client.commands import is_secret

    assert parse_input("/login pw", IN_LOBBY) == [LoginAccount(None, "pw")]
    assert parse_input("/login ada correct horse", IN_LOBBY) == [LoginAccount("ada", "correct horse")]
    assert parse_input("/register pw", IN_SERVER) == [RegisterAccount("pw", None)]
    assert parse_input("/register pw a@b.c", IN_SERVER) == [RegisterAccount("pw", "a@b.c")]
    assert parse_input("/verify 123456", IN_SERVER) == [VerifyAccount(None, "123456")]
    for bad in ("/login", "/register", "/register a b c", "/verify"):
        assert isinstance(parse_input(bad, IN_LOBBY)[0], LocalError), bad
    assert is_secret("/login pw") and is_secret("/REGISTER pw") and not is_secret("/join #a")
    assert not is_secret("login pw") and not is_secret("/verify 123")
