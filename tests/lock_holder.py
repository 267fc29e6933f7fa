"""Another Python process that holds a download lock, as a second Kinetoscope window or a
`kinetoscope models download` run would, until the test kills it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HOLDER = """\
import sys
from pathlib import Path
from kinetoscope.engine.modelfiles.file_lock import FileLock
lock = FileLock(Path(sys.argv[1]))
print("held" if lock.try_acquire() else "busy", flush=True)
sys.stdin.read()  # hold it until the test closes stdin or kills this process
"""


def start_holder(path: Path) -> subprocess.Popen:
    """Start the holder and return once it has the lock on `path` (the file's folder must exist)."""
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(path)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, env=os.environ.copy())
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


def kill(proc: subprocess.Popen) -> None:
    """SIGKILL on POSIX: no clean-up code runs in the holder, the OS drops its lock."""
    proc.kill()
    proc.communicate(timeout=5)
