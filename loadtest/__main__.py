"""python -m loadtest: the same as chat-loadtest."""

from __future__ import annotations

import sys

from .cli import main

if __name__ == "__main__":  # spawned driver processes import this module under another name
    sys.exit(main())
