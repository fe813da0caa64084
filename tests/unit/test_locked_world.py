"""The World's lock belongs to its home: the domain's World holds none, LockedWorld runs its methods one at a time."""

from __future__ import annotations

import ast
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import server.domain
from server.domain import World
from server.domain.world import OPERATIONS
from server.log import MemoryLog
from server.shared.locked import LockedWorld

DOMAIN = Path(server.domain.__file__).parent
WORLD_PARTS = sorted({Path(c.__module__.replace(".", "/") + ".py").name for c in World.__mro__
                      if c.__module__.startswith("server.domain")})


def test_the_world_and_its_parts_import_no_threads_and_no_storage() -> None:
    assert "world_state.py" in WORLD_PARTS and "channel_modes.py" in WORLD_PARTS
    for name in WORLD_PARTS:
        tree = ast.parse((DOMAIN / name).read_text())
        imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        assert not {"threading", "sqlite3", "server.log.sqlite", "server.log.durable"} & imported, name


def test_a_plain_world_holds_no_lock() -> None:
    world = World(MemoryLog())
    lock_types = (type(threading.Lock()), type(threading.RLock()))
    assert not [k for k, v in vars(world).items() if isinstance(v, lock_types)]


def registered(world: World, conn_id: str, nick: str) -> None:
    assert world.set_nick(conn_id, nick, "127.0.0.1", 0.0).ok
    world.register(conn_id, "u", "real", 0.0)


@pytest.mark.timeout(10)
@pytest.mark.parametrize("call", [
    pytest.param(lambda w: w.users(), id="a view"),
    pytest.param(lambda w: w.join("c1", "#room", "", 0.0), id="an operation"),
    pytest.param(lambda w: w.export_state(), id="a snapshot"),
])
def test_every_method_waits_for_the_one_running(call: Callable[[LockedWorld], Any]) -> None:
    world = LockedWorld(MemoryLog())
    registered(world, "c1", "alice")
    done = threading.Event()

    def run() -> None:
        call(world)
        done.set()

    with world._serial:  # what another thread's operation holds while it runs
        thread = threading.Thread(target=run)
        thread.start()
        assert not done.wait(0.2)
    assert done.wait(5)
    thread.join()


def test_every_operation_and_view_is_wrapped() -> None:
    public = [name for name in dir(World) if not name.startswith("_") and callable(getattr(World, name))]
    assert set(OPERATIONS) <= set(public)
    unwrapped = [name for name in public if getattr(LockedWorld, name) is getattr(World, name)]
    assert unwrapped == []


def test_an_operation_may_call_others_and_views_within_itself() -> None:
    world = LockedWorld(MemoryLog())
    registered(world, "c1", "alice")
    registered(world, "c2", "bob")
    assert world.join("c1", "#room", "", 0.0)[0].ok
    assert world.join("c2", "#room", "", 0.0)[0].ok
    assert world.quit("c1", "bye") > 0  # quitting parts every channel and logs one QUIT
    view = world.channel("#room", "c2")
    assert view is not None and [nick for nick, _ in view.names] == ["bob"]


@pytest.mark.timeout(30)
def test_racing_nick_claims_have_one_winner() -> None:
    world = LockedWorld(MemoryLog())
    start = threading.Barrier(8)
    wins: list[str] = []

    def claim(conn_id: str) -> None:
        start.wait()
        if world.set_nick(conn_id, "prize", "127.0.0.1", 0.0).ok:
            wins.append(conn_id)

    threads = [threading.Thread(target=claim, args=(f"c{i}",)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(wins) == 1
