"""The frozen app's console entry point (`kinetoscope-cli`): the `kinetoscope` command as is."""

from __future__ import annotations

import sys

from kinetoscope.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
