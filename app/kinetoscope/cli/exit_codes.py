"""The CLI's exit codes, one place for `main` and the commands that return them."""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILED = 1        # a failure that is not the input's or the device's
EXIT_BAD_INPUT = 2     # a clip, model or argument that cannot be used (also: a batch with a failed clip)
EXIT_DEVICE = 3        # the device cannot run the model
EXIT_CANCELLED = 130   # Ctrl+C, as shells report SIGINT
