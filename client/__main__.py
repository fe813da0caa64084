"""Run chat-client with ``python -m client``."""

from __future__ import annotations

import sys

from .cli import main

sys.exit(main())
