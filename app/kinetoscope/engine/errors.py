"""Errors that carry a message meant for people.

Every failure the user can cause or fix (a broken clip, a wrong model, a missing NPU) is raised as a
`KinetoscopeError` subclass whose `str()` is one plain sentence. Anything else is a bug.
"""

from __future__ import annotations


class KinetoscopeError(Exception):
    """A failure with a message for people. `detail` holds technical context for the log; `hint`
    says what the person can do about it (each kind of failure has its own), in words that hold in
    the window and on the command line alike: both show it."""

    hint = ""

    def __init__(self, message: str, *, detail: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail


class BadInput(KinetoscopeError):
    """The user's input (a clip, a model file, an option) cannot be used."""


class BadVideo(BadInput):
    """The clip cannot be read as video."""

    hint = ("What you can do:\n"
            "• Check that the file plays in a video player. If it does not, it is damaged or was not "
            "copied completely: copy or download it again.\n"
            "• If it plays, convert it to MP4 (H.264), which Kinetoscope always reads.\n"
            "• Leave it out (in the window, Delete takes it off the clip list); the other clips are not "
            "affected.")


class ModelError(BadInput):
    """The model bundle is missing, broken or not a video classifier."""

    hint = ("What you can do:\n"
            "• Choose another model (the Model list in the window, --model on the command line).\n"
            "• Verify or repair this one (Tools ▸ Models, or kinetoscope models verify), or download it again.")


class DeviceError(KinetoscopeError):
    """The requested device cannot run the model."""

    hint = ("What you can do:\n• Choose the CPU (under Device in the window, --device cpu on the command line): "
            "every model runs there.")


class NpuFailed(DeviceError):
    """The NPU failed while running a model, also after its session was recreated; the CPU can run it."""


class Busy(KinetoscopeError):
    """Another Kinetoscope process (or task) is doing the same thing right now; try again later."""


class Cancelled(KinetoscopeError):
    """The user cancelled the work."""

    def __init__(self) -> None:
        super().__init__("Cancelled.")
