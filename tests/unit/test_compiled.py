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
from server.compiled import (
    FORCE_SOURCE,
    HOT_MODULES,
    SOURCES,
    FreshSourceFinder,
    running_compiled,
    stale,
    write_manifest,
)
from server.protocol import InputTooLong, LineBuffer, ProtocolError
from tests.support.client import LineClient
from tests.support.servers import NO_FLOOD_CONTROL, chat_server

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


@compiled
@settings(max_examples=500, deadline=None)
@given(st.lists(st.lists(LINE_PARTS | st.sampled_from([b"\n", b"\r\n", b"x" * 5000]), max_size=8).map(b"".join),
                max_size=6))
def test_the_compiled_line_buffer_frames_as_its_source(chunks: list[bytes]) -> None:
    interpreted = _from_source("server.protocol.framing")
    framed = []
    for buffer in (LineBuffer(max_line=600), interpreted.LineBuffer(max_line=600)):
        taken = []
        for chunk in chunks:
            buffer.feed(chunk)
            taken.append([item if isinstance(item, bytes) else type(item).__name__ for item in buffer.lines()])
        framed.append((taken, len(buffer)))
    assert framed[0] == framed[1]


@pytest.mark.timeout(60)
@pytest.mark.parametrize("flags", [("thread",), ("pool", "--fsync", "everysec")], ids=["thread", "pool-everysec"])
def test_the_interpreted_hot_path_serves_a_conversation(flags: tuple[str, ...]) -> None:
    """What a machine without a C compiler runs: one order for everyone, nothing lost."""
    with chat_server(*flags, *NO_FLOOD_CONTROL, env={FORCE_SOURCE: "1"}) as srv:
        clients = [LineClient(srv.address, f"n{i}") for i in range(3)]
        for client in clients:
            client.send("JOIN #plain")
            client.expect(" 366 ")
        for n in range(40):
            clients[n % 2].send(f"PRIVMSG #plain :m{n}")
        clients[0].expect("PRIVMSG #plain :m39$")
        clients[1].expect("PRIVMSG #plain :m38$")
        for last in ("m38", "m39"):
            if not any(line.endswith(f":{last}") for line in clients[2].seen):
                clients[2].expect(f"PRIVMSG #plain :{last}$")
        heard = [[int(line.rsplit(":m", 1)[1]) for line in c.seen if " PRIVMSG #plain :" in line] for c in clients]
        evens, odds = list(range(0, 40, 2)), list(range(1, 40, 2))
        assert (heard[0], heard[1]) == (odds, evens)
        assert sorted(heard[2]) == list(range(40))
        assert [n for n in heard[2] if n % 2] == odds and [n for n in heard[2] if not n % 2] == evens
        for client in clients:
            client.close()
        assert f"{FORCE_SOURCE}=1: running the hot path interpreted" in srv.log_text()


def test_the_makefile_rebuilds_when_any_hot_source_changes() -> None:
    root = Path(__file__).resolve().parents[2]
    makefile = (root / "Makefile").read_text()
    listed = makefile.split("\nHOT :=", 1)[1].split("\n\n", 1)[0].replace("\\\n", " ").split()
    assert sorted(listed) == sorted(str(source.relative_to(root)) for source in SOURCES)


@pytest.fixture
def package(tmp_path: Path) -> Iterator[Path]:
    """A package ``guarded`` with a module ``hot`` and a 'build' of it that is not a loadable extension.

    The build is whole (the module's copy, the group library, a manifest of the source), so
    importing ``guarded.hot`` fails unless the finder sends the import to the source.
    """
    root = tmp_path / "guarded"
    root.mkdir()
    (root / "__init__.py").write_text("")
    (root / "hot.py").write_text("WHERE = 'source'\n")
    (root / ("hot" + SUFFIX)).write_bytes(b"not an extension")
    (root / ("group__mypyc" + SUFFIX)).write_bytes(b"not an extension either")
    write_manifest(root / "manifest.json", ["guarded.hot"], [root / "hot.py"])
    sys.path.insert(0, str(tmp_path))
    yield root
    sys.path.remove(str(tmp_path))
    for name in ("guarded", "guarded.hot"):
        sys.modules.pop(name, None)


def _finder(root: Path) -> FreshSourceFinder:
    return FreshSourceFinder(["guarded.hot"], [root / "hot.py"], root / "manifest.json", root / "group__mypyc")


def test_an_edited_source_runs_from_source_whatever_its_timestamp(package: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    built = (package / "hot.py").stat()
    (package / "hot.py").write_text("WHERE = 'edited source'\n")
    os.utime(package / "hot.py", ns=(built.st_atime_ns, built.st_mtime_ns))  # as cp -p or tar would leave it
    finder = _finder(package)
    sys.meta_path.insert(0, finder)
    try:
        module = importlib.import_module("guarded.hot")
    finally:
        sys.meta_path.remove(finder)
    assert module.WHERE == "edited source"
    assert "hot.py changed since it was compiled" in capsys.readouterr().err


def test_a_matching_build_is_left_to_the_normal_import(package: Path) -> None:
    assert _finder(package).find_spec("guarded.hot", None) is None
    assert stale(["guarded.hot"], [package / "hot.py"], package / "manifest.json", package / "group__mypyc") is None


@pytest.mark.parametrize("missing", ["the group library", "the manifest", "nothing; no build at all"])
def test_a_build_missing_a_piece_is_not_used(package: Path, missing: str) -> None:
    if missing == "the group library":
        (package / ("group__mypyc" + SUFFIX)).unlink()
    elif missing == "the manifest":
        (package / "manifest.json").unlink()
    else:
        (package / ("hot" + SUFFIX)).unlink()
    why = stale(["guarded.hot"], [package / "hot.py"], package / "manifest.json", package / "group__mypyc")
    if missing.startswith("nothing"):
        assert why is None  # nothing compiled: nothing to guard
    else:
        assert why is not None and _finder(package).find_spec("guarded.hot", None) is not None


def test_a_build_without_its_sources_is_trusted(package: Path) -> None:
    (package / "hot.py").unlink()  # an installed build that ships no .py
    assert stale(["guarded.hot"], [package / "hot.py"], package / "manifest.json", package / "group__mypyc") is None


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
