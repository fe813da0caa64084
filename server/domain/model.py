"""Users and channels as the network holds them, and the read-only views handed out."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Channel", "ChannelView", "Member", "Refusal", "User", "UserView", "WasUser", "member_prefix",
           "served_by"]

# A refusal is a numeric and its parameters after the client's nick,
# e.g. ("403", "#nope", "No such channel").
Refusal = tuple[str, ...]

PREFIX_ORDER = "ov"
PREFIX_SYMBOL = {"o": "@", "v": "+"}


@dataclass(slots=True)
class User:
    conn_id: str
    nick: str
    host: str
    user: str = ""
    realname: str = ""
    registered: bool = False
    away: str = ""
    # Replaced rather than mutated: a shared empty frozenset costs a user nothing
    # (two empty sets were over 400 bytes of every idle connection).
    modes: frozenset[str] = frozenset()
    channels: frozenset[str] = frozenset()  # casefolded
    signon: float = 0.0

    @property
    def source(self) -> str:
        return f"{self.nick}!{self.user}@{self.host}"

    def view(self) -> UserView:
        return UserView(self.conn_id, self.nick, self.user, self.host, self.realname, self.away,
                        "".join(sorted(self.modes)), self.signon)


@dataclass(slots=True)
class Channel:
    name: str
    created: float
    members: dict[str, set[str]] = field(default_factory=dict)  # conn_id -> member modes ("o", "v")
    topic: str = ""
    topic_by: str = ""
    topic_time: float = 0.0
    modes: set[str] = field(default_factory=lambda: {"n", "t"})
    key: str = ""
    limit: int = 0
    bans: list[str] = field(default_factory=list)
    invited: set[str] = field(default_factory=set)  # casefolded nicks

    def is_op(self, conn_id: str) -> bool:
        return "o" in self.members.get(conn_id, ())

    def mode_string(self, show_key: bool) -> tuple[str, ...]:
        letters = "".join(sorted(self.modes))
        args: list[str] = []
        if self.key:
            letters += "k"
            args.append(self.key if show_key else "*")
        if self.limit:
            letters += "l"
            args.append(str(self.limit))
        return ("+" + letters, *args)


@dataclass(frozen=True, slots=True)
class UserView:
    conn_id: str
    nick: str
    user: str
    host: str
    realname: str
    away: str
    modes: str
    signon: float

    @property
    def source(self) -> str:
        return f"{self.nick}!{self.user}@{self.host}"


def member_prefix(modes: str, all_prefixes: bool = False) -> str:
    """``"ov"`` -> ``"@"`` (or ``"@+"`` for multi-prefix clients)."""
    if not modes:  # most members of a big channel: NAMES asks for each of them
        return ""
    symbols = [PREFIX_SYMBOL[m] for m in PREFIX_ORDER if m in modes]
    return "".join(symbols) if all_prefixes else "".join(symbols[:1])


@dataclass(frozen=True, slots=True)
class Member:
    user: UserView
    modes: str  # "o", "v", "ov" or ""

    def prefix(self, all_prefixes: bool = False) -> str:
        return member_prefix(self.modes, all_prefixes)


@dataclass(frozen=True, slots=True)
class ChannelView:
    name: str
    topic: str
    topic_by: str
    topic_time: float
    modes: tuple[str, ...]
    created: float
    secret: bool
    size: int
    viewer_is_member: bool
    # (nick, member modes) of everyone, when asked for: plain tuples, because this
    # crosses the Manager's pipe once per JOIN and NAMES and must stay cheap to pickle.
    names: tuple[tuple[str, str], ...] = ()

    @property
    def visible(self) -> bool:
        return not self.secret or self.viewer_is_member


@dataclass(frozen=True, slots=True)
class WasUser:
    """Who held a nick before (WHOWAS): recorded when they changed it or quit."""

    nick: str
    user: str
    host: str
    realname: str


def served_by(conn_id: str) -> str:
    """Where a connection is served, from its id: ``[<node>~<run>/]<worker>:<n>`` (WHOIS says it)."""
    incarnation, slash, rest = conn_id.rpartition("/")
    worker = rest.partition(":")[0]
    return f"node {incarnation.partition('~')[0]}, worker {worker}" if slash else f"worker {worker}"
