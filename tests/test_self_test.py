"""`kinetoscope --self-test`, in subprocesses: on a tiny stand-in bundle (always) and on the real
bundled demo model (when it has been built)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from locations import BUNDLED_MODELS, CATALOG, REPO, SAMPLES
from model_factory import tiny_classifier, write_bundle_folder, zip_folder

DEMO_ZIPS = [BUNDLED_MODELS / f"{m}-onnx-{p}.zip" for m in ("motion_demo", "i3d_kinetics") for p in ("float", "w8a8")]
BLOCK_QNN = "import sys\nsys.modules['onnxruntime_qnn'] = None\n"


def run(code: str, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          timeout=timeout, env=os.environ.copy(), cwd=REPO)


def run_plan(models: Path, expected: str, *, qnn: bool = False) -> subprocess.CompletedProcess:
    code = (("" if qnn else BLOCK_QNN) +
            "import sys\nfrom pathlib import Path\n"
            "from kinetoscope.cli.self_test import ModelCheck, SelfTestPlan, run_self_test\n"
            f"check = ModelCheck('motion_demo', Path({str(SAMPLES / 'sample_rotating_clockwise.mp4')!r}), {expected!r}, 5)\n"
            f"plan = SelfTestPlan(Path({str(models)!r}), Path({str(models / 'catalog.json')!r}), (check,))\n"
            "code = run_self_test(sys.stdout, plan)\n"
            "print('qt loaded' if any(m.split('.')[0] in ('PySide6', 'shiboken6') for m in sys.modules) else 'no qt')\n"
            "sys.exit(code)")
    return run(code)


@pytest.fixture
def stand_in_models(tmp_path) -> Path:
    """The demo model's file layout with tiny graphs whose every class is 'rotating clockwise'."""
    models = tmp_path / "models"
    models.mkdir()
    (models / "catalog.json").write_text(CATALOG.read_text())
    for precision, quantized in (("float", False), ("w8a8", True)):
        folder = write_bundle_folder(tmp_path / precision, tiny_classifier(9, quantized_io=quantized),
                                     model_id="motion_demo", precision=precision,
                                     labels=["rotating clockwise"] * 9)
        zip_folder(folder, models / f"motion_demo-onnx-{precision}.zip")
    return models


def lines_with(text: str, word: str) -> list[str]:
    return [line for line in text.splitlines() if word in line]


def test_passes_and_reports_each_check_without_loading_qt(stand_in_models):
    proc = run_plan(stand_in_models, "rotating clockwise")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert len(lines_with(proc.stdout, "PASS")) == 3          # files, CPU float, CPU w8a8
    assert lines_with(proc.stdout, "SKIP")[0].split()[1:3] == ["NPU", "runtime"]
    assert "Self-test passed" in proc.stdout
    assert proc.stdout.strip().endswith("no qt")


def test_a_wrong_label_fails_with_exit_code_1(stand_in_models):
    proc = run_plan(stand_in_models, "moving left")
    assert proc.returncode == 1
    failed = lines_with(proc.stdout, "  FAIL  ")
    assert len(failed) == 2 and all("expected 'moving left'" in line for line in failed)
    assert "Self-test FAILED: CPU · motion_demo float, CPU · motion_demo w8a8." in proc.stdout


def test_missing_bundled_files_fail_before_any_model_runs(tmp_path):
    proc = run_plan(tmp_path, "rotating clockwise")
    assert proc.returncode == 1
    assert "FAIL  bundled files" in proc.stdout and "catalog.json" in proc.stdout
    assert "CPU" not in proc.stdout.split("Self-test")[-1] and "Traceback" not in proc.stderr


@pytest.mark.npu
def test_stand_in_runs_on_the_htp_simulator(stand_in_models):
    proc = run_plan(stand_in_models, "rotating clockwise", qnn=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert lines_with(proc.stdout, "NPU (HTP simulator) · motion_demo w8a8")[0].split()[0] == "PASS"


def test_the_flag_is_listed_in_help():
    proc = run("from kinetoscope.cli.main import main\nimport sys\nsys.exit(main(['--help']))")
    assert proc.returncode == 0 and "--self-test" in proc.stdout


needs_demo = pytest.mark.skipif(not all(p.is_file() for p in DEMO_ZIPS),
                                reason="the bundled models are not built yet (make models)")


@needs_demo
def test_bundled_models_pass_on_the_cpu():
    code = BLOCK_QNN + "import runpy\nrunpy.run_module('kinetoscope', run_name='__main__')"
    proc = run(code, "--self-test")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    passed = lines_with(proc.stdout, "PASS  CPU")
    assert len(passed) == 4
    assert sum("i3d_kinetics" in line and "arm wrestling" in line and "3 views" in line for line in passed) == 2


@needs_demo
@pytest.mark.npu
def test_bundled_models_pass_on_the_npu_simulator_with_the_smallest_model():
    proc = subprocess.run([sys.executable, "-m", "kinetoscope", "--self-test"], capture_output=True, text=True,
                          timeout=600, env=os.environ.copy(), cwd=REPO)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    npu = [line for line in lines_with(proc.stdout, "NPU") if "runtime" not in line]
    # On the x86 simulator the Kinetics-400 model takes minutes a view: only the demo runs there.
    assert len(npu) == 1 and npu[0].split()[0] == "PASS" and "motion_demo w8a8" in npu[0]
