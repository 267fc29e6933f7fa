"""The frozen app's windowed entry point (`Kinetoscope.exe`): the window unless told otherwise.

Started from the Start menu it gets no arguments and opens the window; "Open with" runs it as
`Kinetoscope.exe gui "<file>"`. A windowed Windows process has no stdout or stderr, and the CLI
redirects file descriptor 1, so both are pointed at the null device first.
"""

from __future__ import annotations

import os
import sys

from kinetoscope.cli.main import main


def _give_windowless_process_null_streams() -> None:
    if sys.stdout is not None and sys.stderr is not None:
        return
    sink = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - lives as long as the process
    os.dup2(sink.fileno(), 1)
    os.dup2(sink.fileno(), 2)
    sys.stdout = sys.stdout or sink
    sys.stderr = sys.stderr or sink


def gui_argv(args: list[str]) -> list[str]:
    """No arguments, or files dropped on the exe: open the window (on those files)."""
    if not args or os.path.exists(args[0]):
        return ["gui", *args]
    return args


if __name__ == "__main__":
    _give_windowless_process_null_streams()
    sys.exit(main(gui_argv(sys.argv[1:])))
