"""The chat-server command."""

from __future__ import annotations

import logging
import sys

from .app import run
from .config import load_config

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    config = load_config(argv)
    logging.basicConfig(
        level=config.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stdout,
    )
    return run(config)


if __name__ == "__main__":
    sys.exit(main())
