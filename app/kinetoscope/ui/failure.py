"""What went wrong, for people: the one mapping from an exception to words (no Qt here, so the
clips' records can hold a failure)."""

from __future__ import annotations

import traceback
from dataclasses import dataclass

from kinetoscope.engine.errors import KinetoscopeError


@dataclass(frozen=True)
class Failure:
    """What went wrong, in words for people, with the technical detail for the curious and the log."""

    message: str
    detail: str = ""
    resumable: bool = False  # a download that can continue where it stopped
    unexpected: bool = False  # not an engine error: a bug, or a library's own exception
    hint: str = ""  # what the person can do about it, shown before the detail


def describe(exc: BaseException) -> Failure:
    """The one mapping from an exception to words: engine errors carry theirs; anything else is a bug."""
    if isinstance(exc, KinetoscopeError):
        return Failure(exc.message, exc.detail or "", bool(getattr(exc, "resumable", False)), hint=exc.hint)
    return Failure(f"Unexpected error: {exc}",
                   "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)), unexpected=True)
