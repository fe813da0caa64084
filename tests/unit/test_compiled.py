"""The compiled hot path: it must answer exactly as its source does, and a stale build must not run."""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loadtest.payload import make_text
from loadtest.tracker import ReceiverLog, SenderTally
from server.compiled import HOT_MODULES, SOURCES, FreshSourceFinder, running_compiled, stale
from server.protocol import InputTooLong, ProtocolError

SUFFIX = importlib.machinery.EXTENSION_SUFFIXES[0]


def _from_source(name: str) -> ModuleType:
    """A hot module loaded from its .py file under a name of its own, beside the compiled one.

    (In its package, so that its relative imports resolve: to the compiled siblings.)
    """
    source = SOURCES[HOT_MODULES.index(name)]
    package, _, leaf = name.rpartition(".")
    spec = importlib.util.spec_from_file_location(f"{package}._interpreted_{leaf}", source)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


compiled = pytest.mark.skipif(not all(running_compiled().values()),
                              reason="the hot path runs interpreted here (no C compiler, or not built by make)")

LINE_PARTS = st.sampled_from([b"@", b"+a=b;c", b" ", b":", b"nick!u@h", b"PRIVMSG", b"001", b"#ch", b"LT1",
                              b"\\s", b"\xc3", b"\xff", b"\r", b"\0", b"x" * 300, b"=", b";", b"7"])


@compiled
@settings(max_examples=2000, deadline=None)
@given(st.lists(LINE_PARTS, max_size=12).map(b"".join), st.booleans())
def test_the_compiled_parser_answers_as_its_source(line: bytes, strict: bool) -> None:
    from server.protocol import parser

    interpreted = _from_source("server.protocol.parser")

    def outcome(parse_parts):  # type: ignore[no-untyped-def]
        try:
            return parse_parts(line, strict_utf8=strict)
        except ProtocolError as exc:
            return type(exc).__name__

    assert outcome(parser.parse_parts) == outcome(interpreted.parse_parts)


@compiled
def test_the_compiled_receive_loop_counts_as_its_source() -> None:
    from loadtest import receive

    interpreted = _from_source("loadtest.receive")
    now = time.monotonic_ns()
    lines: list[bytes | InputTooLong] = [
        f":a!a@h PRIVMSG #c :{make_text(i % 3, i, now - i * 1_000_000)}".encode() for i in range(50)]
    lines += [b"PING :x", b":s 001 me :hi", b"\0bad", InputTooLong("long"), b":a PRIVMSG #c :LT1 x 1 2",
              lines[7], f":a PRIVMSG #c :{make_text(2, 1, now)}".encode(),  # a duplicate, one out of order
              f":a PRIVMSG #c :{make_text(1, 200, now + 5_000_000)}".encode()]  # a clock that disagrees
    results = []
    for module in (receive, interpreted):
        latency: dict[int, int] = {}
        tallies: dict[int, SenderTally] = {}
        others: list[tuple[str, tuple[str, ...], int]] = []
        problems: Counter[str] = Counter()
        delivered = module.take_lines(lines, now, latency, ReceiverLog(tallies),
                                      lambda c, p, t, out=others: out.append((c, p, t)), problems)
        results.append((delivered, latency, tallies, others, problems))
    assert results[0] == results[1]
    delivered, _, tallies, others, problems = results[0]
    assert delivered == 53
    assert sum(t.duplicated for t in tallies.values()) == 1 and sum(t.reordered for t in tallies.values()) == 1
    assert [c for c, _, _ in others] == ["PING", "001", "PRIVMSG"] and sum(problems.values()) == 2


@pytest.fixture
def package(tmp_path: Path) -> Iterator[Path]:
    """A package ``guarded`` with a module ``hot`` whose 'compiled copy' is not a loadable extension."""
    root = tmp_path / "guarded"
    root.mkdir()
    (root / "__init__.py").write_text("")
    (root / "hot.py").write_text("WHERE = 'source'\n")
    (root / ("hot" + SUFFIX)).write_bytes(b"not an extension")
    sys.path.insert(0, str(tmp_path))
    yield root
    sys.path.remove(str(tmp_path))
    for name in ("guarded", "guarded.hot"):
        sys.modules.pop(name, None)


def _age(path: Path, seconds: float) -> None:
    when = time.time() - seconds
    os.utime(path, (when, when))


def test_a_stale_compiled_module_runs_from_source(package: Path) -> None:
    _age(package / ("hot" + SUFFIX), 60)  # built before the source's last edit
    finder = FreshSourceFinder(["guarded.hot"], [package / "hot.py"])
    sys.meta_path.insert(0, finder)
    try:
        with pytest.warns(RuntimeWarning, match="newer than its compiled copy"):
            module = importlib.import_module("guarded.hot")
    finally:
        sys.meta_path.remove(finder)
    assert module.WHERE == "source"


def test_a_fresh_compiled_module_is_left_to_the_normal_import(package: Path) -> None:
    _age(package / "hot.py", 60)
    finder = FreshSourceFinder(["guarded.hot"], [package / "hot.py"])
    assert finder.find_spec("guarded.hot", None) is None
    assert not stale([package / "hot.py"])


def test_a_group_is_stale_when_one_member_lacks_its_compiled_copy(tmp_path: Path) -> None:
    for name in ("a", "b"):
        (tmp_path / f"{name}.py").write_text("")
    assert not stale([tmp_path / "a.py", tmp_path / "b.py"])  # nothing compiled: nothing to guard
    (tmp_path / ("a" + SUFFIX)).write_bytes(b"")
    _age(tmp_path / "a.py", 60)
    assert stale([tmp_path / "a.py", tmp_path / "b.py"])


def test_an_installed_copy_runs_the_same_build_from_any_directory(tmp_path: Path) -> None:
    # The entry points (chat-server, chat-loadtest) do not run from the checkout, so every
    # compiled piece must be importable through the installed package, not through the cwd.
    probe = "import server.compiled as c; print(c.running_compiled())"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    found = subprocess.run([sys.executable, "-c", "import server"], cwd=tmp_path, env=env, capture_output=True)
    if found.returncode != 0:
        pytest.skip("the package is not installed in this interpreter (run the tests through make)")
    out = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=30)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == str(running_compiled())
