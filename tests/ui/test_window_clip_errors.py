"""An error belongs to its clip: shown with it, hidden with the next; its details lead with a remedy."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QApplication

from helpers import wait_until
from kinetoscope.ui.main.clip_queue import ClipState


def _broken(tmp_path: Path) -> Path:
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(bytes(range(256)) * 64)
    return broken


def test_the_error_banner_goes_and_comes_with_its_clip(qapp: QApplication, make_window, sample_clip,
                                                        tmp_path: Path) -> None:
    broken = _broken(tmp_path)
    window = make_window(views=1)
    window.open_paths([broken, sample_clip])
    wait_until(qapp, lambda: window.queue.state(broken) is ClipState.FAILED, what="the failure")
    assert "broken.mp4" in window.errors.message
    window.errors.set_details_visible(True)

    window.show_clip(sample_clip)  # the user moves to a good clip
    assert not window.errors.isVisible()
    wait_until(qapp, lambda: window.queue.state(sample_clip) is ClipState.DONE, what="the good clip")
    assert not window.errors.isVisible()

    window.show_clip(broken)  # and back: its error is shown with it, without trying again
    assert "broken.mp4" in window.errors.message
    assert window.runner.running is None


def test_a_background_failure_does_not_cover_the_clip_on_show(qapp: QApplication, make_window, sample_clip,
                                                               tmp_path: Path) -> None:
    broken = _broken(tmp_path)
    window = make_window(views=1)
    window.open_paths([sample_clip, broken])
    wait_until(qapp, lambda: window.queue.state(broken) is ClipState.FAILED, what="the failure")
    assert not window.errors.isVisible()
    assert "broken.mp4" in window.status_text.text()  # said, where it does not hide the clip on show


def test_the_details_lead_with_what_to_do(qapp: QApplication, make_window, tmp_path: Path) -> None:
    broken = _broken(tmp_path)
    window = make_window(views=1)
    window.open_paths([broken])
    wait_until(qapp, lambda: window.queue.state(broken) is ClipState.FAILED, what="the failure")
    detail = window.errors.detail
    first = detail.splitlines()[0]
    assert "Error" not in first and "Errno" not in first  # not the raw exception
    assert "video player" in detail  # a remedy first
    assert "Technical detail" in detail and "broken.mp4" in detail.split("Technical detail")[1]
    window.errors.set_details_visible(True)
    box = window.errors._details
    lines = detail.count("\n") + 1
    assert box.height() <= box.fontMetrics().lineSpacing() * (lines + 3)  # no mostly empty box


def test_an_engine_job_failure_nobody_handles_reaches_the_error_panel(qapp: QApplication, make_window) -> None:
    from kinetoscope.engine.errors import KinetoscopeError
    from kinetoscope.ui.tasks import Op

    window = make_window()

    def probe(_ctx) -> None:  # noqa: ANN001 - as the device probe would fail
        raise KinetoscopeError("Could not list the devices.")

    Op(window.engine, probe, name="probe devices").run()
    wait_until(qapp, lambda: window.errors.message == "Could not list the devices.", timeout_s=10,
               what="the error panel")
