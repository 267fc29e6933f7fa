"""Switching device re-runs the clip, and the status bar says what really ran where."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

from helpers import pick, wait_until
from kinetoscope.engine.inference.devices import npu_status
from kinetoscope.ui.main.clip_queue import ClipState

pytestmark = [pytest.mark.npu, pytest.mark.slow]


def _npu_offered(window) -> bool:
    npu = window.controls._statuses.get("npu")
    return npu is not None


def test_switching_to_the_npu_simulator_and_back_reports_the_device(
        qapp: QApplication, make_window, sample_clip: Path, expected_label: str) -> None:
    if not npu_status().available:
        pytest.skip(f"no NPU path here: {npu_status().reason}")
    window = make_window(views=1)  # the HTP simulator takes seconds per view
    window.open_paths([sample_clip])
    clip = sample_clip.resolve()
    wait_until(qapp, lambda: window.queue.state(clip) is ClipState.DONE and _npu_offered(window), what="the CPU run")
    assert window.status_text.text().startswith("Ran on CPU")
    assert window.controls.device_combo.itemText(1) == "NPU (HTP simulator)"

    pick(window.controls.device_combo, "npu")
    wait_until(qapp, lambda: window.queue.state(clip) is ClipState.RUNNING, what="the NPU run to start")
    wait_until(qapp, lambda: window.queue.state(clip) is ClipState.DONE, timeout_s=120, what="the NPU run")
    assert window.status_text.text().startswith("Ran on NPU (HTP simulator)")
    assert window.last_device.used == "npu" and window.last_device.simulated
    assert window.clip_view.predictions.predictions()[0].label == expected_label
    assert "simulator" in window.controls.device_note.text()

    # Back to the CPU: its result for this clip is still there and is shown without a run...
    pick(window.controls.device_combo, "cpu")
    wait_until(qapp, lambda: window.status_text.text().startswith("Ran on CPU"), what="the CPU result again")
    assert window.runner.running is None
    assert window.settings.device == "cpu"
    # ...and Run Again classifies on the CPU once more after the NPU session.
    starts: list[Path] = []
    window.runner.started.connect(starts.append)
    window.actions_.rerun.trigger()
    wait_until(qapp, lambda: starts == [clip] and window.queue.state(clip) is ClipState.DONE, what="the CPU re-run")
    assert window.status_text.text().startswith("Ran on CPU")


def test_an_unavailable_npu_is_listed_disabled_with_its_reason(qapp: QApplication, make_window) -> None:
    from kinetoscope.engine.inference.devices import DeviceStatus, cpu_status

    window = make_window()
    wait_until(qapp, lambda: _npu_offered(window), what="the device check")
    missing = DeviceStatus("npu", False, "NPU", False, "QNNExecutionProvider",
                           reason="onnxruntime-qnn is not installed")
    window.controls.set_devices([cpu_status(), missing])
    combo = window.controls.device_combo
    assert not combo.model().item(1).isEnabled()
    assert combo.currentData() == "cpu"
    assert "onnxruntime-qnn is not installed" in window.controls.device_note.text()
    assert window.controls.device_note.isVisible()
