"""An NPU that fails at run time, also after Kinetoscope recreated its session, is one plain banner
that tells the user to run on the CPU; the window keeps working."""

from __future__ import annotations

from pathlib import Path

import onnxruntime as ort
import pytest
from onnxruntime.capi.onnxruntime_pybind11_state import EPFail
from PySide6.QtWidgets import QApplication

from helpers import pick, wait_until
from kinetoscope.engine.inference.devices import npu_status
from kinetoscope.ui.main.clip_queue import ClipState

pytestmark = [pytest.mark.npu, pytest.mark.slow]


def test_npu_failing_twice_shows_a_banner_that_offers_the_cpu(
        qapp: QApplication, make_window, sample_clip: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if not npu_status().available:
        pytest.skip(f"no NPU path here: {npu_status().reason}")
    window = make_window(views=1)
    window.open_paths([sample_clip])
    clip = sample_clip.resolve()
    wait_until(qapp, lambda: window.queue.state(clip) is ClipState.DONE
               and window.controls._statuses.get("npu") is not None, what="the CPU run")

    def lost(self, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003
        raise EPFail("[ONNXRuntimeError] : 11 : EP_FAIL : QNN graph execute failed (device lost)")

    monkeypatch.setattr(ort.InferenceSession, "run", lost)
    pick(window.controls.device_combo, "npu")
    wait_until(qapp, lambda: window.queue.state(clip) is ClipState.FAILED, timeout_s=120, what="the NPU run to fail")
    message = window.errors.message
    assert message.startswith(f"Could not classify {clip.name}. The NPU failed while running the model")
    assert message.endswith("Run the model on the CPU instead.")
    assert "device lost" in window.errors.detail
