"""A progress line on stderr, shown only when stderr is a terminal (never in logs or pipes)."""

from __future__ import annotations

from typing import TextIO


class ProgressLine:
    """One line rewritten in place; silent unless the stream is a TTY."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.enabled = stream.isatty()
        self.last = ""

    def show(self, text: str) -> None:
        if not self.enabled or text == self.last:
            return
        self.last = text
        self.stream.write("\r\033[K" + text)
        self.stream.flush()

    def close(self) -> None:
        if self.enabled and self.last:
            self.stream.write("\r\033[K")
            self.stream.flush()
            self.last = ""
