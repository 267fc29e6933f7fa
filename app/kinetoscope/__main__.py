from __future__ import annotations

import sys

from kinetoscope.cli.main import main

sys.exit(main())
