"""WHOIS replies collected until 318 and written as a few readable lines, not raw numerics."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

__all__ = ["WHOIS_NUMERICS", "Whois", "idle_text"]

# 311 user, 312 server, 313 operator, 317 idle, 319 channels, 301 away, 330 account, 671 TLS,
# 338/378 real host, 320/276 other notes; 318 ends the reply.
WHOIS_NUMERICS = frozenset({"301", "311", "312", "313", "317", "318", "319", "320", "276", "330", "338", "378", "671"})


def idle_text(seconds: int) -> str:
    """3m, 2h 5m, 1d 4h: the two largest units are enough to read at a glance."""
    parts: list[str] = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size or (unit == "s" and not parts):
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return " ".join(parts[:2])


@dataclass
class Whois:
    """One WHOIS reply as it arrives; lines() gives what the user reads."""

    nick: str
    user: str = ""
    realname: str = ""
    channels: list[str] = field(default_factory=list)
    server: str = ""
    server_info: str = ""
    away: str | None = None
    operator: str = ""
    idle: str = ""
    account: str = ""
    secure: bool = False
    notes: list[str] = field(default_factory=list)

    def feed(self, code: str, params: tuple[str, ...]) -> None:
        """Take one numeric's parameters after our own nick: (nick, ...)."""
        rest = params[1:]
        if code == "311" and len(rest) >= 4:
            self.nick = params[0]
            self.user = f"{rest[0]}@{rest[1]}"
            self.realname = rest[-1]
        elif code == "319" and rest:
            self.channels += rest[-1].split()
        elif code == "312" and rest:
            self.server = rest[0]
            self.server_info = rest[1] if len(rest) > 1 else ""
        elif code == "301" and rest:
            self.away = rest[-1]
        elif code == "313":
            self.operator = rest[-1] if rest else "is an IRC operator"
        elif code == "317" and rest and rest[0].isdigit():
            self.idle = f"idle {idle_text(int(rest[0]))}"
            if len(rest) > 2 and rest[1].isdigit():
                signon = datetime.fromtimestamp(int(rest[1]), UTC).astimezone()
                self.idle += f", signed on {signon:%Y-%m-%d %H:%M}"
        elif code == "330" and rest:
            self.account = rest[0]
        elif code == "671":
            self.secure = True
        elif rest:
            self.notes.append(rest[-1])

    def lines(self) -> list[str]:
        nick = self.nick
        out = [f"{nick} is {self.user} ({self.realname})" if self.user else f"{nick}:"]
        if self.channels:
            out.append(f"  channels: {' '.join(self.channels)}")
        if self.server:
            out.append(f"  server:   {self.server}" + (f" ({self.server_info})" if self.server_info else ""))
        if self.account:
            out.append(f"  account:  logged in as {self.account}")
        if self.idle:
            out.append(f"  {self.idle}")
        if self.away is not None:
            out.append(f"  away:     {self.away}")
        if self.operator:
            out.append(f"  {nick} {self.operator}")
        if self.secure:
            out.append("  uses a secure connection (TLS)")
        out += [f"  {note}" for note in self.notes]
        return out
