"""NickServ REGISTER and draft/account-registration's REGISTER hold an email address to one rule."""

from __future__ import annotations

import pytest

from .harness import Net

CASES = {
    "no @": ("not-an-address", "not-an-address is not an email address"),
    "over 200 characters": ("a@" + "b" * 199, "a@" + "b" * 48 + " is not an email address"),
    "none, where one is required": ("", "This server needs an email address to register an account"),
}


@pytest.mark.parametrize(("email", "reason"), CASES.values(), ids=CASES.keys())
def test_both_register_commands_refuse_an_email_for_the_same_reason(email: str, reason: str) -> None:
    net = Net(register_email_required=True)
    nickserv, ircv3 = net.user("viaservices"), net.user("viaregister")
    nickserv.say(f"NS REGISTER long-password {email}".rstrip())
    assert nickserv.lines() == [f":NickServ!NickServ@services. NOTICE viaservices :{reason}"]
    ircv3.say(f"REGISTER * {email or '*'} long-password")
    assert ircv3.lines() == [f":chat.local FAIL REGISTER INVALID_EMAIL viaregister :{reason}"]
    assert net.accounts is not None
    assert not net.accounts.exists("viaservices") and not net.accounts.exists("viaregister")


def test_an_address_both_take() -> None:
    net = Net(register_email_required=True)
    nickserv, ircv3 = net.user("viaservices"), net.user("viaregister")
    nickserv.say("NS REGISTER long-password a@example.org")
    assert nickserv.lines()[0].endswith(":Account created")
    ircv3.say("REGISTER * b@example.org long-password")
    assert ircv3.lines()[0] == ":chat.local REGISTER SUCCESS viaregister :Account created"
