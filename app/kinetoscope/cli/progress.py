"""The CLI's one progress line, on stderr: rewritten in place on a terminal; in a log or a pipe only
the lines asked to stay there (so piped output never fills with carriage returns)."""

from __future__ import annotations

import time
from typing import TextIO


class ProgressLine:
    """`show` rewrites the line (at most every `interval_s` on a terminal, unless `final`); with
    `off_terminal` the text is also written as a line of its own where there is no terminal.
    `say` writes a line that stays; `close` clears the rewritten one."""

    def __init__(self, stream: TextIO, *, interval_s: float = 0.0) -> None:
        self.stream = stream
        self.enabled = stream.isatty()
        self.interval_s = interval_s
        self.last = ""
        self._drawn_at = float("-inf")

    def show(self, text: str, *, final: bool = False, off_terminal: bool = False) -> None:
        if text == self.last:
            return
        if not self.enabled:
            if off_terminal:
                self.last = text
                self._write(text + "\n")
            return
        now = time.monotonic()
        if final or now - self._drawn_at >= self.interval_s:
            self.last, self._drawn_at = text, now
            self._write("\r\033[K" + text)

    def say(self, text: str) -> None:
        self.close()
        self._write(text + "\n")

    def close(self) -> None:
        if self.enabled and self.last:
            self._write("\r\033[K")
            self.last = ""

    def _write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()
