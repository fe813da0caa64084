"""The chat-server command."""

from __future__ import annotations

import logging
import sys

from .app import run
from .config import ConfigError, load_config

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    try:
        config = load_config(argv)
        logging.basicConfig(
            level=config.log_level,
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
            stream=sys.stdout,
        )
        return run(config, argv)
    except ConfigError as exc:
        print(exc.message, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
