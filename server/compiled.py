"""The per-message hot path compiled by mypyc, and the guard that keeps a stale build from running.

``make`` compiles these modules from their own source where a C compiler is
present (``CHAT_COMPILE=1 python setup.py build_ext --inplace --force``); they stay
ordinary Python modules, which is what runs anywhere else. mypyc builds them
as one group (a compiled module calls another's functions natively, through
the group's library ``server/hot_path__mypyc``), so the build is used whole or
not at all. The build records the SHA-256 of each source it compiled
(``MANIFEST``); when a source no longer matches, or a piece of the build is
missing, every hot module is imported from source, with a note on stderr,
until the next ``make``. Nobody can test or run an edit of the parser while an
older compiled parser answers instead, whatever the files' timestamps say.
``CHAT_INTERPRETED=1`` in the environment imports them from source too.
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import json
import os
import sys
from collections.abc import Mapping, Sequence
from importlib.abc import MetaPathFinder
from pathlib import Path
from types import ModuleType

__all__ = ["FORCE_SOURCE", "GROUP", "HOT_MODULES", "MANIFEST", "SOURCES", "FreshSourceFinder", "digest",
           "install_guard", "running_compiled", "stale", "write_manifest"]

# What every message passes through: framing and parsing, the connection core that runs it, the
# log that commits it, the fanout and send queues that deliver it; and the load tester's
# receive loop. Not the domain: in process mode the World is a Manager proxy, and compiled
# code checks at run time that an argument annotated World is one. Not the log's entries:
# mypyc's frozen dataclasses cannot be unpickled, and entries cross the Manager.
HOT_MODULES = ("server.protocol.parser", "server.protocol.framing", "server.dispatch.core",
               "server.dispatch.connection", "server.log.memory", "server.log.durable", "server.delivery.fanout",
               "server.delivery.outbound",
               "loadtest.payload", "loadtest.receive", "loadtest.tracker")
GROUP = "server.hot_path"  # mypyc's group name: its library is server/hot_path__mypyc.<ext>
_ROOT = Path(__file__).resolve().parent.parent
SOURCES = tuple(_ROOT.joinpath(*name.split(".")).with_suffix(".py") for name in HOT_MODULES)
MANIFEST = Path(__file__).with_name("hot_path.sha256.json")
# Set to 1, the hot path runs from source even beside a good build: what a machine
# without a C compiler runs, for comparing the two and for testing that copy.
FORCE_SOURCE = "CHAT_INTERPRETED"


def digest(source: Path) -> str:
    return hashlib.sha256(source.read_bytes()).hexdigest()


def write_manifest(path: Path, names: Sequence[str] = HOT_MODULES, sources: Sequence[Path] = SOURCES) -> None:
    """Record what a build compiled (setup.py calls this once the build has succeeded)."""
    path.write_text(json.dumps({name: digest(source) for name, source in zip(names, sources, strict=True)},
                               indent=1) + "\n")


def _compiled_copy(source: Path) -> Path | None:
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        candidate = source.with_suffix(suffix)
        if candidate.exists():
            return candidate
    return None


def stale(names: Sequence[str], sources: Sequence[Path], manifest: Path, library: Path) -> str | None:
    """Why the compiled build must not run (None: it may, or there is none to run).

    ``library`` is the group's library without its extension suffix.
    """
    copies = [_compiled_copy(source) for source in sources]
    if not any(copies):
        return None
    if not all(copies) or _compiled_copy(library) is None:
        return "part of the compiled build is missing"
    try:
        recorded: Mapping[str, str] = json.loads(manifest.read_text())
    except (OSError, ValueError):
        return f"{manifest.name} is missing or unreadable"
    for name, source in zip(names, sources, strict=True):
        if source.exists() and recorded.get(name) != digest(source):  # no source: an installed build
            return f"{source} changed since it was compiled"
    return None


class FreshSourceFinder(MetaPathFinder):
    """Finds a group of modules' .py files instead of their compiled copies when the build is stale."""

    def __init__(self, names: Sequence[str], sources: Sequence[Path], manifest: Path, library: Path) -> None:
        self.sources = dict(zip(names, sources, strict=True))
        self._judge = (list(names), list(sources), manifest, library)
        self._judged = False  # once, at the first import of one of them
        self._why: str | None = None

    def find_spec(self, fullname: str, path: Sequence[str] | None,
                  target: ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        source = self.sources.get(fullname)
        if source is None:
            return None
        if not self._judged:
            self._judged = True
            if os.environ.get(FORCE_SOURCE) == "1":
                self._why = f"{FORCE_SOURCE}=1"
                print(f"chat: {self._why}: running the hot path interpreted", file=sys.stderr)
            else:
                self._why = stale(*self._judge)
                if self._why:
                    print(f"chat: {self._why}: running the hot path interpreted until `make` compiles it again",
                          file=sys.stderr)
        if not self._why:
            return None
        return importlib.util.spec_from_file_location(fullname, source)


def install_guard() -> None:
    """Put the finder first on the import path (once); the packages holding hot modules call this."""
    if not any(isinstance(finder, FreshSourceFinder) for finder in sys.meta_path):
        library = _ROOT.joinpath(*f"{GROUP}__mypyc".split("."))
        sys.meta_path.insert(0, FreshSourceFinder(HOT_MODULES, SOURCES, MANIFEST, library))


def running_compiled() -> dict[str, bool]:
    """For each hot module: does the compiled copy run? (Imports them.)"""
    out = {}
    for name in HOT_MODULES:
        module = importlib.import_module(name)
        out[name] = not str(module.__file__).endswith(".py")
    return out
