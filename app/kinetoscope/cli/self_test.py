"""`kinetoscope --self-test`: prove that this installation works, without a window.

It loads each bundled model (the Kinetics-400 model and the motion demo), classifies its sample clip
on the CPU and, where the QNN execution provider reports a device, on the NPU, and checks the
expected label. The installer's CI
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
from kinetoscope.engine.modelfiles.model_store import DEFAULT_MODEL_ID, DEMO_MODEL_ID

PASS, FAIL, SKIP = "PASS", "FAIL", "SKIP"


@dataclass(frozen=True)
class ModelCheck:
    """One bundled model, a sample clip and the label it must give for it."""

    model_id: str
    sample: Path
    expected: str
    views: int | None = None   # None: as many as the model's recipe asks for


@dataclass(frozen=True)
class SelfTestPlan:
    """What to check: the bundled models' zips, the catalog, and each model on its sample clip."""

    models_dir: Path
    catalog: Path
    checks: tuple[ModelCheck, ...]
    # The x86 HTP simulator is slow; one view of the smallest model proves that graphs compile and
    # run there (the Kinetics-400 model takes minutes a view on it).
    simulator_views: int = 1

    @classmethod
    def bundled(cls) -> SelfTestPlan:
        """The files that ship with the app (in the checkout, a wheel, or inside the frozen bundle)."""
        samples = bundled_data.samples_dir()
        return cls(bundled_data.models_dir(), bundled_data.catalog_file(), (
            ModelCheck(DEFAULT_MODEL_ID, samples / "sample_arm_wrestling.mp4", "arm wrestling"),
            ModelCheck(DEMO_MODEL_ID, samples / "sample_rotating_clockwise.mp4", "rotating clockwise", 5),
        ))

    def model_zips(self, model_id: str) -> dict[str, Path]:
        """A model's release zips by precision, float first."""
        found = {p.name.removeprefix(f"{model_id}-onnx-").removesuffix(".zip"): p
                 for p in sorted(self.models_dir.glob(f"{model_id}-onnx-*.zip"))}
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
    return f"  {check.outcome}  {check.name:<38} {check.detail}{timing}"


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
    for check in plan.checks:
        for precision, zip_path in plan.model_zips(check.model_id).items():
            yield _timed(f"CPU · {check.model_id} {precision}",
                         lambda c=check, z=zip_path: _classify(c, z, "cpu", c.views))
    runtime, simulated = _npu_runtime()
    yield runtime
    if runtime.outcome != PASS:
        return
    for check, zip_path, precision in _npu_runs(plan, simulated):
        views = plan.simulator_views if simulated else check.views
        label = "NPU (HTP simulator)" if simulated else "NPU"
        yield _timed(f"{label} · {check.model_id} {precision}",
                     lambda c=check, z=zip_path, v=views: _classify(c, z, "npu", v))


def _npu_runs(plan: SelfTestPlan, simulated: bool) -> list[tuple[ModelCheck, Path, str]]:
    """Each model's quantized zip (the NPU's natural precision; float runs there too, as fp16); on
    the simulator only the smallest one."""
    runs = []
    for check in plan.checks:
        zips = plan.model_zips(check.model_id)
        precision = next((p for p in zips if p != "float"), next(iter(zips)))
        runs.append((check, zips[precision], precision))
    if simulated and runs:
        runs = [min(runs, key=lambda r: r[1].stat().st_size)]
    return runs


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
    missing = [str(p) for p in (plan.catalog, *(c.sample for c in plan.checks)) if not p.is_file()]
    missing += [str(plan.models_dir / f"{c.model_id}-onnx-*.zip") for c in plan.checks if not plan.model_zips(c.model_id)]
    if missing:
        return FAIL, "missing: " + ", ".join(missing)
    return PASS, "; ".join(f"{c.model_id} ({', '.join(plan.model_zips(c.model_id))}), {c.sample.name}"
                           for c in plan.checks)


def _classify(check: ModelCheck, zip_path: Path, device: str, views: int | None) -> tuple[str, str]:
    result = VideoClassifier.open(zip_path, device).classify(check.sample, views=views)
    best = result.top5[0]
    n = len(result.views)
    detail = f"{best.label} {best.prob * 100:.1f} % ({n} view{'' if n == 1 else 's'}; {result.device.summary()})"
    if result.device.used != device:
        return FAIL, detail
    if best.label != check.expected:
        return FAIL, f"expected {check.expected!r}, got {detail}"
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
