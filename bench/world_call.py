"""What one World call costs as its home holds it: a channel PRIVMSG (World.message) and a view (World.user).

    python -m bench.world_call [--repeats 7]

Run it with ``CHAT_INTERPRETED=1`` on two checkouts to compare them without
the compiled log (the World itself is never compiled). It takes the best of
``--repeats`` timings of 20,000 calls each, on a World of 10 users in one channel.
"""

from __future__ import annotations

import argparse
import timeit

from server.domain import World
from server.log import MemoryLog


def home() -> World:
    """The World as this checkout's in-process home holds it."""
    try:
        from server.shared.locked import LockedWorld
    except ImportError:  # a checkout from before the lock moved to the home
        return World(MemoryLog())
    return LockedWorld(MemoryLog())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    world = home()
    for i in range(10):
        world.set_nick(f"c{i}", f"n{i}", "127.0.0.1", 0.0)
        world.register(f"c{i}", "u", "real", 0.0)
        world.join(f"c{i}", "#room", "", 0.0)
    calls = {"message": lambda: world.message("c1", "PRIVMSG", "#room", "hello"), "view": lambda: world.user("c1")}
    for name, call in calls.items():
        best = min(timeit.repeat(call, number=20_000, repeat=args.repeats)) / 20_000
        print(f"{name}: {best * 1e6:.2f} us")


if __name__ == "__main__":
    main()
