"""Who may join and speak in a channel: keys, limits, invites, bans and their exceptions, mutes, +C.

The list modes (``+b`` bans, ``+e`` ban exceptions, ``+I`` invite exceptions)
hold ``nick!user@host`` masks or account extbans ``a:<account mask>``
(IRCv3 account-extban: ISUPPORT ``ACCOUNTEXTBAN=a``), which match whoever is
logged in to a matching account and never someone who is not; a ban
``m:<mask>`` (ISUPPORT ``EXTBAN=,am``) mutes instead of keeping out. Pure
functions of a channel and a user, called by the World within an operation.
"""

from __future__ import annotations

from fnmatch import fnmatchcase

from server.log import Event
from server.protocol import casefold
from server.protocol import numerics as n

from .model import Channel, ListEntry, Refusal, User

__all__ = ["ACCOUNT", "LIST_REPLIES", "MAX_LIST_ENTRIES", "MUTE", "invite_notices", "join_refusal", "list_entry_change",
           "mask_matches", "speak_refusal"]

MUTE = "m:"
ACCOUNT = "a:"
MAX_LIST_ENTRIES = 100  # entries in each of a channel's +b, +e and +I lists

# A list mode's entry and end-of-list numerics, and the end line's text.
LIST_REPLIES = {
    "b": (n.RPL_BANLIST, n.RPL_ENDOFBANLIST, "End of channel ban list"),
    "e": (n.RPL_EXCEPTLIST, n.RPL_ENDOFEXCEPTLIST, "End of channel exception list"),
    "I": (n.RPL_INVEXLIST, n.RPL_ENDOFINVEXLIST, "End of channel invite exception list"),
}


def mask_matches(mask: str, source: str) -> bool:
    return fnmatchcase(casefold(source), casefold(mask).replace("[", "[[]"))


def _is(mask: str, kind: str) -> bool:
    """Whether ``mask`` is an extban of that kind (``m:``, ``a:``); the letter's case does not matter."""
    return mask[:len(kind)].lower() == kind


def _matches(mask: str, user: User) -> bool:
    """A ``nick!user@host`` mask against the user's source, an ``a:<account mask>`` against their account."""
    if _is(mask, ACCOUNT):
        return bool(user.account) and mask_matches(mask[2:], user.account)
    return mask_matches(mask, user.source)


def _listed(channel: Channel, letter: str, user: User, kind: str = "") -> bool:
    """Whether a ``letter`` entry of that kind (``""``: a plain mask, ``MUTE``: a mute) matches ``user``."""
    for mask, _, _ in channel.lists.get(letter, ()):
        if kind:
            if _is(mask, kind) and _matches(mask[len(kind):], user):
                return True
        elif not _is(mask, MUTE) and _matches(mask, user):
            return True
    return False


def join_refusal(channel: Channel, user: User, key: str) -> Refusal | None:
    invited = bool(channel.invited) and casefold(user.nick) in channel.invited
    if channel.key and key != channel.key:
        return (n.ERR_BADCHANNELKEY, channel.name, "Cannot join channel (+k)")
    if channel.limit and len(channel.members) >= channel.limit and not invited:  # an INVITE lets one in past +l
        return (n.ERR_CHANNELISFULL, channel.name, "Cannot join channel (+l)")
    if "i" in channel.modes and not invited and not _listed(channel, "I", user):
        return (n.ERR_INVITEONLYCHAN, channel.name, "Cannot join channel (+i)")
    if not invited and _listed(channel, "b", user) and not _listed(channel, "e", user):
        return (n.ERR_BANNEDFROMCHAN, channel.name, "Cannot join channel (+b)")
    return None


def speak_refusal(channel: Channel, user: User, text: str | None) -> Refusal | None:
    modes = channel.members.get(user.conn_id)
    if modes is None and "n" in channel.modes:
        return (n.ERR_CANNOTSENDTOCHAN, channel.name, "Cannot send to channel (+n)")
    if "m" in channel.modes and not modes:
        return (n.ERR_CANNOTSENDTOCHAN, channel.name, "Cannot send to channel (+m)")
    if text is not None and "C" in channel.modes and text.startswith("\x01") and not text.startswith("\x01ACTION "):
        return (n.ERR_CANNOTSENDTOCHAN, channel.name, "Cannot send CTCP to channel (+C)")
    if not modes and channel.lists and not _listed(channel, "e", user):
        if _listed(channel, "b", user):
            return (n.ERR_CANNOTSENDTOCHAN, channel.name, "Cannot send to channel (+b)")
        if _listed(channel, "b", user, MUTE) and not _listed(channel, "e", user, MUTE):
            return (n.ERR_CANNOTSENDTOCHAN, channel.name, "Cannot send to channel (muted)")
    return None


def invite_notices(channel: Channel, invite: Event) -> list[Event]:
    """invite-notify: a copy of an INVITE for each other operator of the channel (those who may invite too).

    Marked with the channel, which delivery takes to mean "only for clients with invite-notify".
    """
    key = casefold(channel.name)
    return [Event("INVITE", invite.source, invite.params, invite.origin, (key,), target_conn=cid)
            for cid, modes in channel.members.items() if "o" in modes and cid != invite.origin]


def list_entry_change(channel: Channel, letter: str, add: bool, mask: str, setter: str, now: float,
                      refusals: list[Refusal]) -> bool:
    """Add or remove a list entry (masks compare without case); True if the list changed."""
    entries = channel.lists.get(letter, [])
    folded = casefold(mask)
    index = next((i for i, (m, _, _) in enumerate(entries) if casefold(m) == folded), None)
    if (index is not None) == add:
        return False
    if add and len(entries) >= MAX_LIST_ENTRIES:
        refusals.append((n.ERR_BANLISTFULL, channel.name, mask, "Channel list is full"))
        return False
    if add:
        entry: ListEntry = (mask, setter, now)
        channel.lists.setdefault(letter, []).append(entry)
    else:
        assert index is not None
        del entries[index]
        if not entries:
            del channel.lists[letter]
    return True
