"""Inference sessions for a model bundle on the CPU or the NPU, reporting what really ran where."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np
import onnxruntime as ort
import psutil

from kinetoscope.engine.bundle import ModelBundle
from kinetoscope.engine.devices import (CPU_EP, QNN_EP, npu_is_simulated, qnn_ep_devices,
                                         qnn_provider_options)
from kinetoscope.engine.errors import DeviceError, ModelError
from kinetoscope.engine.results import DeviceReport

log = logging.getLogger(__name__)
DEVICES = ("cpu", "npu")


@dataclass(frozen=True)
class CpuConfig:
    """The CPU provider's settings; the defaults are the fastest we measured for these models."""

    threads: int = 0  # 0: one per physical core
    graph_optimization: ort.GraphOptimizationLevel = ort.GraphOptimizationLevel.ORT_ENABLE_ALL

    def resolved_threads(self) -> int:
        return self.threads or psutil.cpu_count(logical=False) or 1


def _base_options() -> ort.SessionOptions:
    so = ort.SessionOptions()
    so.log_severity_level = 3  # errors only: warnings go to our log, not the user's terminal
    so.add_session_config_entry("session.record_ep_graph_assignment_info", "1")
    return so


class ModelSession:
    """One onnxruntime session for a bundle on a device. Create it off the GUI thread: it may
    take seconds (graph compilation for the NPU)."""

    def __init__(self, bundle: ModelBundle, device: str = "cpu", *, cpu: CpuConfig = CpuConfig()) -> None:
        if device not in DEVICES:
            raise DeviceError(f"Unknown device {device!r}; choose cpu or npu.")
        self.bundle = bundle
        started = time.perf_counter()
        if device == "npu":
            self._session, simulated = self._open_npu(bundle)
        else:
            self._session, simulated = self._open_cpu(bundle, cpu), False
        self.load_ms = (time.perf_counter() - started) * 1000
        self.report = self._assignment_report(device, simulated)
        self._input_name = self._session.get_inputs()[0].name
        log.info("session for %s (%s) on %s in %.0f ms", bundle.model_id, bundle.precision,
                 self.report.summary(), self.load_ms)

    # -- creation -------------------------------------------------------------------------
    @staticmethod
    def _create(bundle: ModelBundle, so: ort.SessionOptions, providers: list[str] | None = None) -> ort.InferenceSession:
        try:
            return ort.InferenceSession(str(bundle.onnx_path), sess_options=so, providers=providers)
        except Exception as exc:  # onnxruntime raises untyped Fail/InvalidGraph errors
            raise ModelError(f"The model {bundle.onnx_path.name} could not be loaded; the file may be damaged.",
                             detail=str(exc)) from exc

    def _open_cpu(self, bundle: ModelBundle, cpu: CpuConfig) -> ort.InferenceSession:
        so = _base_options()
        so.intra_op_num_threads = cpu.resolved_threads()
        so.graph_optimization_level = cpu.graph_optimization
        return self._create(bundle, so, [CPU_EP])

    def _open_npu(self, bundle: ModelBundle) -> tuple[ort.InferenceSession, bool]:
        try:
            devices = qnn_ep_devices()
        except RuntimeError as exc:
            raise DeviceError(f"The NPU is not available: {exc}.") from exc
        simulated = npu_is_simulated(devices)
        so = _base_options()
        so.add_provider_for_devices(devices, qnn_provider_options(simulated))
        try:
            return ort.InferenceSession(str(bundle.onnx_path), sess_options=so), simulated
        except Exception as exc:
            raise DeviceError("The NPU could not prepare this model. Try the CPU, or a quantized (w8a8) model.",
                              detail=str(exc)) from exc

    def _assignment_report(self, requested: str, simulated: bool) -> DeviceReport:
        by_ep: dict[str, list[str]] = {}
        try:
            for subgraph in self._session.get_provider_graph_assignment_info():
                by_ep.setdefault(subgraph.ep_name, []).extend(
                    f"{n.op_type}:{n.name}" for n in subgraph.get_nodes())
        except (AttributeError, RuntimeError) as exc:
            log.warning("graph assignment info unavailable: %s", exc)
        npu_nodes = by_ep.get(QNN_EP, [])
        cpu_nodes = by_ep.get(CPU_EP, [])
        total = sum(len(v) for v in by_ep.values())
        if requested == "cpu":
            return DeviceReport("cpu", "cpu", "CPU", CPU_EP, False, (), total)
        npu_label = "NPU (HTP simulator)" if simulated else "NPU"
        if not npu_nodes:
            # The HTP device could not be used and onnxruntime quietly put every node on the CPU.
            return DeviceReport("npu", "cpu", "CPU", CPU_EP, False, tuple(cpu_nodes), total,
                                note="the NPU accepted none of the model's operations")
        return DeviceReport("npu", "npu", npu_label, QNN_EP, simulated, tuple(cpu_nodes), total)

    # -- running --------------------------------------------------------------------------
    def run(self, video: np.ndarray) -> np.ndarray:
        """Class probabilities [classes] for one float32 [1,3,T,H,W] input in [0, 1]."""
        bundle = self.bundle
        feed = bundle.input_quant.quantize(video) if bundle.input_quant else video
        try:
            (out,) = self._session.run(None, {self._input_name: feed})
        except Exception as exc:
            raise ModelError("The model failed while running.", detail=str(exc)) from exc
        scores = bundle.output_quant.dequantize(out) if bundle.output_quant else out.astype(np.float32)
        scores = scores.reshape(-1)
        if not bundle.softmax_applied:
            shifted = np.exp(scores - scores.max())
            scores = shifted / shifted.sum()
        return scores
