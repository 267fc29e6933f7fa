"""`kinetoscope --self-test`: prove that this installation works, without a window.

It loads the bundled demo model, classifies the bundled sample clip on the CPU and, where the QNN
execution provider reports a device, on the NPU, and checks the expected label. The installer's CI
runs it on the frozen app, so it also proves that the freeze collected what the engine needs: the
model zips, the sample clips, PyAV's FFmpeg, onnxruntime and the QNN libraries. No Qt here.
"""

from __future__ import annotations

import platform
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from kinetoscope import __version__
from kinetoscope.engine.modelfiles import bundled_data
from kinetoscope.engine.inference.classify import VideoClassifier
from kinetoscope.engine.errors import KinetoscopeError
from kinetoscope.engine.modelfiles.model_store import DEMO_MODEL_ID

SAMPLE_CLIP = "sample_rotating_clockwise.mp4"
EXPECTED_LABEL = "rotating clockwise"
PASS, FAIL, SKIP = "PASS", "FAIL", "SKIP"


@dataclass(frozen=True)
class SelfTestPlan:
    """What to check: the demo model's zips, the catalog, one sample clip and the label it must get."""

    models_dir: Path
    catalog: Path
    sample: Path
    expected: str
    model_id: str = DEMO_MODEL_ID
    views: int = 5
    # The x86 HTP simulator is slow; one view still proves the graph compiles and runs there.
    simulator_views: int = 1

    @classmethod
    def bundled(cls) -> SelfTestPlan:
        """The files that ship with the app (in the checkout, or inside the frozen bundle)."""
        return cls(bundled_data.models_dir(), bundled_data.catalog_file(), bundled_data.samples_dir() / SAMPLE_CLIP,
                   EXPECTED_LABEL)

    def model_zips(self) -> dict[str, Path]:
        """The demo model's release zips by precision, float first."""
        found = {p.name.removeprefix(f"{self.model_id}-onnx-").removesuffix(".zip"): p
                 for p in sorted(self.models_dir.glob(f"{self.model_id}-onnx-*.zip"))}
        return dict(sorted(found.items(), key=lambda kv: kv[0] != "float"))


@dataclass(frozen=True)
class Check:
    name: str
    outcome: str    # PASS | FAIL | SKIP
    detail: str
    seconds: float = 0.0


def run_self_test(out: TextIO, plan: SelfTestPlan | None = None) -> int:
    """Run every check, print one line per check and a verdict; 0 only if none failed."""
    from kinetoscope.cli.output import stdout_for_results
    from kinetoscope.engine.logs import setup_file_logging

    setup_file_logging()
    plan = plan or SelfTestPlan.bundled()
    started = time.perf_counter()
    # The QNN backend prints to the C-level stdout; keep the report readable.
    with stdout_for_results() as stream:
        stream.write(_header() + "\n")
        checks = []
        for check in _checks(plan):
            checks.append(check)
            stream.write(_format(check) + "\n")
            stream.flush()
        stream.write(_verdict(checks, time.perf_counter() - started) + "\n")
    return 0 if _passed(checks) else 1


def _passed(checks: list[Check]) -> bool:
    return bool(checks) and all(c.outcome != FAIL for c in checks) and any(
        c.outcome == PASS and c.name.startswith("CPU") for c in checks)


def _header() -> str:
    if getattr(sys, "frozen", False):
        frozen = "frozen app"
    else:
        frozen = "installed package" if "site-packages" in Path(__file__).parts else "from source"
    return (f"Kinetoscope {__version__} self-test ({frozen}; {platform.system()} {platform.machine()}, "
            f"Python {platform.python_version()})")


def _format(check: Check) -> str:
    timing = f"  [{check.seconds:.1f} s]" if check.seconds >= 0.05 else ""
    return f"  {check.outcome}  {check.name:<30} {check.detail}{timing}"


def _verdict(checks: list[Check], seconds: float) -> str:
    failed = [c for c in checks if c.outcome == FAIL]
    skipped = sum(c.outcome == SKIP for c in checks)
    note = f" ({skipped} skipped)" if skipped else ""
    if _passed(checks):
        return f"Self-test passed: {len(checks) - skipped} checks{note} in {seconds:.1f} s."
    if not failed:
        return "Self-test FAILED: no model could be run on the CPU."
    return f"Self-test FAILED: {', '.join(c.name for c in failed)}."


def _checks(plan: SelfTestPlan) -> Iterator[Check]:
    files = _timed("bundled files", lambda: _check_files(plan))
    yield files
    if files.outcome == FAIL:
        return
    zips = plan.model_zips()
    for precision, zip_path in zips.items():
        yield _timed(f"CPU · {precision}", lambda z=zip_path: _classify(plan, z, "cpu", plan.views))
    runtime, simulated = _npu_runtime()
    yield runtime
    if runtime.outcome != PASS:
        return
    # The NPU's natural precision is the quantized one; float runs there too (as fp16).
    precision = "w8a8" if "w8a8" in zips else next(iter(zips))
    views = plan.simulator_views if simulated else plan.views
    label = "NPU (HTP simulator)" if simulated else "NPU"
    yield _timed(f"{label} · {precision}", lambda: _classify(plan, zips[precision], "npu", views))


def _timed(name: str, run: Callable[[], tuple[str, str]]) -> Check:
    started = time.perf_counter()
    try:
        outcome, detail = run()
    except KinetoscopeError as exc:
        outcome, detail = FAIL, exc.message + (f" ({exc.detail})" if exc.detail else "")
    except Exception as exc:  # a self-test reports every failure rather than stopping at the first
        outcome, detail = FAIL, f"{type(exc).__name__}: {exc}"
    return Check(name, outcome, detail, time.perf_counter() - started)


def _check_files(plan: SelfTestPlan) -> tuple[str, str]:
    missing = [str(p) for p in (plan.catalog, plan.sample) if not p.is_file()]
    zips = plan.model_zips()
    if not zips:
        missing.append(str(plan.models_dir / f"{plan.model_id}-onnx-*.zip"))
    if missing:
        return FAIL, "missing: " + ", ".join(missing)
    return PASS, f"{plan.model_id} ({', '.join(zips)}), {plan.sample.name}"


def _classify(plan: SelfTestPlan, zip_path: Path, device: str, views: int) -> tuple[str, str]:
    result = VideoClassifier.open(zip_path, device).classify(plan.sample, views=views)
    best = result.top5[0]
    plural = "view" if views == 1 else "views"
    detail = f"{best.label} {best.prob * 100:.1f} % ({views} {plural}; {result.device.summary()})"
    if result.device.used != device:
        return FAIL, detail
    if best.label != plan.expected:
        return FAIL, f"expected {plan.expected!r}, got {detail}"
    return PASS, detail


def _npu_runtime() -> tuple[Check, bool]:
    """Load the QNN execution provider. SKIP where the platform has none or no NPU device; FAIL when
    the package is there but its libraries do not load, which is a packaging fault."""
    started = time.perf_counter()

    def done(outcome: str, detail: str, simulated: bool = False) -> tuple[Check, bool]:
        return Check("NPU runtime (QNN)", outcome, detail, time.perf_counter() - started), simulated

    try:
        import onnxruntime_qnn
    except ImportError:
        return done(SKIP, "onnxruntime-qnn is not part of this build (Windows and Linux x86-64 only)")
    from kinetoscope.engine.inference.devices import npu_is_simulated, qnn_ep_devices

    library = Path(onnxruntime_qnn.get_library_path())
    if not library.is_file():
        return done(FAIL, f"the QNN provider library is missing: {library}")
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root and Path(frozen_root) not in library.parents:
        return done(FAIL, f"the QNN libraries resolve outside the app: {library}")
    try:
        devices = qnn_ep_devices()
    except RuntimeError as exc:
        if "no device" in str(exc):
            return done(SKIP, f"QNN loaded from {library.parent}; no NPU on this machine")
        return done(FAIL, str(exc))
    simulated = npu_is_simulated(devices)
    kind = "the HTP simulator" if simulated else "an NPU"
    return done(PASS, f"QNN loaded from {library.parent}; {kind}", simulated)
