"""``python -m rtcfg.emulator``."""

import sys

from .cli import main

sys.exit(main())
