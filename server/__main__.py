"""``python -m server`` runs chat-server."""

import sys

from .cli import main

sys.exit(main())
