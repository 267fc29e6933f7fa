"""The NPU recovers from a run-time failure: the session is recreated once and the view retried.

A real session of the real demo model on the HTP simulator; onnxruntime's own run is made to fail
with the error the QNN EP raises when it loses the device (after a driver restart, sleep and resume,
or another process taking the NPU), once or every time.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys

import numpy as np
import onnxruntime as ort
import pytest
from onnxruntime.capi.onnxruntime_pybind11_state import EPFail

from kinetoscope.engine.errors import NpuFailed
from kinetoscope.engine.inference.classify import VideoClassifier
from locations import SAMPLES

pytestmark = pytest.mark.npu

CLIP = SAMPLES / "sample_rotating_clockwise.mp4"
QNN_LOST = "[ONNXRuntimeError] : 11 : EP_FAIL : QNN graph execute failed: 1003 (device lost)"

# Makes onnxruntime's InferenceSession.run raise the QNN EP's failure for the first FAILS calls.
FAIL_PATCH = """
import onnxruntime as ort
from onnxruntime.capi.onnxruntime_pybind11_state import EPFail
_real, _left = ort.InferenceSession.run, [FAILS]
def _run(self, *args, **kwargs):
    if _left[0] > 0:
        _left[0] -= 1
        raise EPFail(QNN_LOST)
    return _real(self, *args, **kwargs)
ort.InferenceSession.run = _run
"""


def _fail_runs(monkeypatch: pytest.MonkeyPatch, times: int) -> list[int]:
    """Patch onnxruntime's run to fail `times` times; returns the list that counts all calls."""
    real = ort.InferenceSession.run
    calls: list[int] = []

    def run(self, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003
        calls.append(1)
        if len(calls) <= times:
            raise EPFail(QNN_LOST)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(ort.InferenceSession, "run", run)
    return calls


@pytest.fixture(scope="module")
def expected() -> np.ndarray:
    """The demo model's w8a8 probabilities for one view of the clip on the simulator, undisturbed."""
    classifier = VideoClassifier.open("motion_demo", "npu", precision="w8a8", use_context_cache=False)
    return classifier.classify(CLIP, views=1).probs


def test_one_failure_recreates_the_session_and_the_view_is_right(monkeypatch, caplog, expected):
    classifier = VideoClassifier.open("motion_demo", "npu", precision="w8a8")
    first_session = classifier.session.ort_session
    calls = _fail_runs(monkeypatch, 1)
    with caplog.at_level(logging.INFO, logger="kinetoscope"):
        result = classifier.classify(CLIP, views=1)
    assert len(calls) == 2  # the failed run and the retry on the new session
    assert classifier.session.ort_session is not first_session
    assert result.device.used == "npu" and result.device.label == "NPU (HTP simulator)"
    assert result.top5[0].label == "rotating clockwise"
    np.testing.assert_allclose(result.probs, expected, atol=1e-6)
    text = caplog.text
    assert "the NPU failed running motion_demo (w8a8)" in text and "device lost" in text
    assert "recreating the session and retrying this input" in text
    assert "NPU session recreated" in text and "(cached)" in text  # the compiled context was reused


def test_failing_again_is_a_plain_device_error(monkeypatch, caplog):
    classifier = VideoClassifier.open("motion_demo", "npu", precision="w8a8")
    calls = _fail_runs(monkeypatch, 2)
    with caplog.at_level(logging.INFO, logger="kinetoscope"), pytest.raises(NpuFailed) as info:
        classifier.classify(CLIP, views=1)
    assert len(calls) == 2  # exactly one retry
    assert info.value.message.endswith("Run the model on the CPU instead.")
    assert "device lost" in info.value.detail
    assert "failed again after the session was recreated" in caplog.text


def test_cpu_failures_are_not_retried(monkeypatch):
    classifier = VideoClassifier.open("motion_demo", "cpu", precision="w8a8")
    calls = _fail_runs(monkeypatch, 1)
    with pytest.raises(Exception) as info:
        classifier.classify(CLIP, views=1)
    assert len(calls) == 1 and "failed while running" in str(info.value)


def _cli(fails: int, *args: str) -> subprocess.CompletedProcess:
    code = (FAIL_PATCH.replace("FAILS", str(fails)).replace("QNN_LOST", repr(QNN_LOST))
            + "import sys\nfrom kinetoscope.cli.main import main\nsys.exit(main(sys.argv[1:]))")
    return subprocess.run([sys.executable, "-c", code, "classify", str(CLIP), "--model", "motion_demo",
                           "--precision", "w8a8", "--device", "npu", "--views", "1", *args],
                          capture_output=True, text=True, timeout=300, env=os.environ.copy())


def test_cli_recovers_and_logs_it(kinetoscope_home, expected):
    proc = _cli(1, "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["device"]["used"] == "npu" and out["top5"][0]["label"] == "rotating clockwise"
    assert abs(out["top5"][0]["prob"] - float(expected.max())) < 1e-4
    log = (kinetoscope_home / "logs" / "kinetoscope.log").read_text(encoding="utf-8")
    assert "recreating the session and retrying this input" in log and "NPU session recreated" in log


def test_cli_failing_twice_exits_3_and_says_to_use_the_cpu():
    proc = _cli(2)
    assert proc.returncode == 3, proc.stderr
    assert proc.stdout == ""
    # One line from Kinetoscope (the QNN backend may print its own LIBNATIVE note beside it).
    lines = [line for line in proc.stderr.splitlines() if "LIBNATIVE" not in line]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("kinetoscope: The NPU failed while running the model, and again after")
    assert lines[0].endswith("Run the model on the CPU instead (run again with --device cpu).")
