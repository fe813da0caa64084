"""The per-line hot path compiled by mypyc, and the guard that keeps a stale build from running.

``make`` compiles these modules from their own source where a C compiler is
present (``CHAT_COMPILE=1 python setup.py build_ext --inplace --force``); they stay
ordinary Python modules, which is what runs anywhere else. mypyc builds them
as one group (a compiled module calls another's functions natively), so the
build is either fresh as a whole or not used at all: once any of the sources
is newer than its compiled copy, every one of them is imported from source,
with a warning, until the next ``make``. Nobody can test or run an edit of the
parser while an older compiled parser answers instead.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
import warnings
from collections.abc import Sequence
from importlib.abc import MetaPathFinder
from pathlib import Path
from types import ModuleType

__all__ = ["HOT_MODULES", "SOURCES", "FreshSourceFinder", "install_guard", "running_compiled", "stale"]

HOT_MODULES = ("server.protocol.parser", "loadtest.payload", "loadtest.receive", "loadtest.tracker")
_ROOT = Path(__file__).resolve().parent.parent
SOURCES = tuple(_ROOT.joinpath(*name.split(".")).with_suffix(".py") for name in HOT_MODULES)


def _compiled_copy(source: Path) -> Path | None:
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        candidate = source.with_suffix(suffix)
        if candidate.exists():
            return candidate
    return None


def stale(sources: Sequence[Path]) -> bool:
    """True when some compiled copy is older than its source, or missing beside compiled siblings."""
    copies = [_compiled_copy(source) for source in sources]
    if not any(copies):
        return False
    return any(copy is None or source.stat().st_mtime > copy.stat().st_mtime
               for source, copy in zip(sources, copies, strict=True))


class FreshSourceFinder(MetaPathFinder):
    """Finds a group of modules' .py files instead of their compiled copies when the build is stale."""

    def __init__(self, names: Sequence[str], sources: Sequence[Path]) -> None:
        self.sources = dict(zip(names, sources, strict=True))
        self._stale: bool | None = None  # judged once, at the first import of one of them

    def find_spec(self, fullname: str, path: Sequence[str] | None,
                  target: ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        source = self.sources.get(fullname)
        if source is None:
            return None
        if self._stale is None:
            self._stale = stale(list(self.sources.values()))
        if not self._stale:
            return None
        warnings.warn(f"{source} is newer than its compiled copy: running it interpreted (run make to "
                      "compile it again)", RuntimeWarning, stacklevel=2)
        return importlib.util.spec_from_file_location(fullname, source)


def install_guard() -> None:
    """Put the finder first on the import path (once); the packages holding hot modules call this."""
    if not any(isinstance(finder, FreshSourceFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, FreshSourceFinder(HOT_MODULES, SOURCES))


def running_compiled() -> dict[str, bool]:
    """For each hot module: does the compiled copy run? (Imports them.)"""
    out = {}
    for name in HOT_MODULES:
        module = importlib.import_module(name)
        out[name] = not str(module.__file__).endswith(".py")
    return out
