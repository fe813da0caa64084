"""Tab completion: /commands, channel names, and nicks with the most recent speaker first."""

from __future__ import annotations

from collections.abc import Iterable

from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document

from server.protocol import CHANTYPES, casefold

from ..commands import COMMANDS
from ..state import ClientState, WindowKind

__all__ = ["ChatCompleter", "nick_candidates"]


def nick_candidates(state: ClientState) -> list[str]:
    """Nicks of the current window: recent speakers first, then the other members, alphabetically."""
    window = state.current_window
    own = casefold(state.nick)
    names: dict[str, str] = {}
    for folded in window.speakers:
        member = window.members.get(folded)
        if member is not None:
            names[folded] = member.nick
        elif window.kind is WindowKind.QUERY and folded == window.key:
            names[folded] = window.name
    if window.kind is WindowKind.QUERY:
        names.setdefault(window.key, window.name)
    for member in sorted(window.members.values(), key=lambda m: casefold(m.nick)):
        names.setdefault(casefold(member.nick), member.nick)
    names.pop(own, None)
    return list(names.values())


class ChatCompleter(Completer):
    """Completes the word before the cursor from the live client state."""

    def __init__(self, state: ClientState) -> None:
        self.state = state

    def get_completions(self, document: Document, complete_event: CompleteEvent) -> Iterable[Completion]:
        before = document.text_before_cursor
        word = before.rsplit(" ", 1)[-1]
        at_start = " " not in before
        if not word:  # nothing typed to complete: Tab must not insert a guess (it gave "#lobby #lobby")
            return
        folded = casefold(word)
        if at_start and word.startswith("/"):
            for name, spec in COMMANDS.items():
                if name.startswith(word[1:].lower()):
                    yield Completion("/" + name + " ", -len(word), display="/" + name, display_meta=spec.help)
            return
        if word[:1] in CHANTYPES:
            for window in self.state.windows:
                if window.kind is WindowKind.CHANNEL and window.key.startswith(folded):
                    yield Completion(window.name + " ", -len(word), display=window.name)
            return
        suffix = ": " if at_start else " "
        for nick in nick_candidates(self.state):
            if casefold(nick).startswith(folded):
                yield Completion(nick + suffix, -len(word), display=nick)
