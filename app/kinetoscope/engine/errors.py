"""Errors that carry a message meant for people.

Every failure the user can cause or fix (a broken clip, a wrong model, a missing NPU) is raised as a
`KinetoscopeError` subclass whose `str()` is one plain sentence. Anything else is a bug.
"""

from __future__ import annotations


class KinetoscopeError(Exception):
    """A failure with a message for people. `detail` holds technical context for the log."""

    def __init__(self, message: str, *, detail: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail


class BadInput(KinetoscopeError):
    """The user's input (a clip, a model file, an option) cannot be used."""


class BadVideo(BadInput):
    """The clip cannot be read as video."""


class ModelError(BadInput):
    """The model bundle is missing, broken or not a video classifier."""


class DeviceError(KinetoscopeError):
    """The requested device cannot run the model."""


class NpuFailed(DeviceError):
    """The NPU failed while running a model, also after its session was recreated; the CPU can run it."""


class Busy(KinetoscopeError):
    """Another Kinetoscope process (or task) is doing the same thing right now; try again later."""


class Cancelled(KinetoscopeError):
    """The user cancelled the work."""

    def __init__(self) -> None:
        super().__init__("Cancelled.")
