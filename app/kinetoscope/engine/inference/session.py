"""Inference sessions for a model bundle on the CPU or the NPU, reporting what really ran where."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
import psutil

from kinetoscope.engine.modelfiles.bundle import QUANTIZED_DTYPES, ModelBundle
from kinetoscope.engine.inference.context_cache import CTX_NAME, ContextCache, ContextKey
from kinetoscope.engine.inference.devices import (CPU_EP, QNN_EP, npu_is_simulated, qnn_ep_devices,
                                         qnn_provider_options)
from kinetoscope.engine.errors import DeviceError, ModelError, NpuFailed
from kinetoscope.engine.inference.results import DeviceReport

log = logging.getLogger(__name__)
DEVICES = ("cpu", "npu")
# How onnxruntime words a failure to write the EP-context model (as opposed to compiling).
_CONTEXT_WRITE_ERRORS = ("ep context", "context model", "context file", "context_file_path")
NPU_FAILED = ("The NPU failed while running the model, and again after Kinetoscope restarted it (a driver "
              "restart, sleep and resume, or another program using the NPU can cause this). "
              "Run the model on the CPU instead.")


@dataclass(frozen=True)
class CpuConfig:
    """The CPU provider's settings. The defaults are the fastest measured for these models on a
    2-core x86-64 machine (see bench/README text): all graph optimisations, one intra-op thread
    per physical core, sequential execution (the graphs are chains: nothing to run in parallel)."""

    threads: int = 0  # 0: one per physical core
    graph_optimization: ort.GraphOptimizationLevel = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    execution_mode: ort.ExecutionMode = ort.ExecutionMode.ORT_SEQUENTIAL
    # Idle intra-op threads spin for a while before sleeping: a little lower latency for a model
    # alone (I3D 0.79 s against 0.88 s a view here), but the spinning takes the cores FFmpeg decodes
    # on when both run at once, as in a scan (`SCAN_CPU`): a 1080p scan with the demo model took
    # 8.3 s spinning and 6.0-6.5 s not, per minute of video.
    spinning: bool = True

    def resolved_threads(self) -> int:
        return self.threads or psutil.cpu_count(logical=False) or 1

    def to_json(self) -> dict[str, Any]:
        return {"threads": self.resolved_threads(), "graph_optimization": self.graph_optimization.name,
                "execution_mode": self.execution_mode.name, "spinning": self.spinning}

    def describe(self) -> str:
        opt = self.graph_optimization.name.removeprefix("ORT_").lower()
        mode = self.execution_mode.name.removeprefix("ORT_").lower()
        return f"{self.resolved_threads()} threads, {opt}, {mode}" + ("" if self.spinning else ", no spinning")


def _base_options() -> ort.SessionOptions:
    so = ort.SessionOptions()
    so.log_severity_level = 3  # errors only: warnings go to our log, not the user's terminal
    so.add_session_config_entry("session.record_ep_graph_assignment_info", "1")
    return so


class ModelSession:
    """One onnxruntime session for a bundle on a device. Create it off the GUI thread: it may
    take seconds (graph compilation for the NPU).

    On the NPU the compiled graph is kept in a `ContextCache` (unless `use_context_cache` is
    False): the first start compiles ("cold"), later starts load the compiled context ("cached").
    A damaged or outdated cache entry is never fatal: it is discarded and the model compiled again.

    If the NPU fails while running (its driver restarted, the laptop slept, another process took
    the NPU), `run` recreates the session once and retries that input before giving up.
    """

    def __init__(self, bundle: ModelBundle, device: str = "cpu", *, cpu: CpuConfig = CpuConfig(),
                 use_context_cache: bool = True, context_cache: ContextCache | None = None) -> None:
        if device not in DEVICES:
            raise DeviceError(f"Unknown device {device!r}; choose cpu or npu.")
        self.bundle = bundle
        self.device = device
        self.cpu_config = cpu if device == "cpu" else None
        self.load_kind = "cold"      # "cold": built or compiled now; "cached": compiled context reused
        self.load_note = ""          # why a cached context was not used, when it existed
        self._recorded: dict[str, list[str]] | None = None  # assignment at compile time (cached loads)
        self._scratch: np.ndarray | None = None  # reused by feed_for for quantized inputs
        started = time.perf_counter()
        self._cache: ContextCache | None = None
        if device == "npu":
            self._cache = (context_cache or ContextCache()) if use_context_cache else None
            self._session, simulated = self._open_npu(bundle, self._cache, started)
        else:
            self._session, simulated = self._open_cpu(bundle, cpu), False
        self.load_ms = (time.perf_counter() - started) * 1000
        self.report = self._assignment_report(device, simulated)
        self._input_name = self._session.get_inputs()[0].name
        recipe = bundle.recipe
        # Each pathway's input: the view's frames at its positions along the frame axis.
        self._pathways = tuple((p.input, np.asarray(p.positions(recipe.frames), np.int64)) for p in recipe.pathways)
        self._frame_axis = 2 if recipe.layout == "ncthw" else 1
        # A bundle with a features output also computes them; `run` asks for the classes alone.
        self._class_output = [bundle.output.name] if bundle.features is not None else None
        log.info("session for %s (%s) ready in %.0f ms (%s): %s", bundle.model_id, bundle.precision,
                 self.load_ms, self.load_kind, self.report.summary())

    # -- creation -------------------------------------------------------------------------
    @staticmethod
    def _create(path: Path, so: ort.SessionOptions, providers: list[str] | None = None) -> ort.InferenceSession:
        try:
            return ort.InferenceSession(str(path), sess_options=so, providers=providers)
        except Exception as exc:  # onnxruntime raises untyped Fail/InvalidGraph errors
            raise ModelError(f"The model {path.name} could not be loaded; the file may be damaged.",
                             detail=str(exc)) from exc

    def _open_cpu(self, bundle: ModelBundle, cpu: CpuConfig) -> ort.InferenceSession:
        so = _base_options()
        so.intra_op_num_threads = cpu.resolved_threads()
        so.graph_optimization_level = cpu.graph_optimization
        so.execution_mode = cpu.execution_mode
        if not cpu.spinning:
            so.add_session_config_entry("session.intra_op.allow_spinning", "0")
        # A quantized bundle may carry a CPU variant of its graph (same model, onnxruntime-friendly
        # layout; see models/i3d_kinetics/cpu_graph.py).
        return self._create(bundle.cpu_onnx_path, so, [CPU_EP])

    def _open_npu(self, bundle: ModelBundle, cache: ContextCache | None,
                  started: float) -> tuple[ort.InferenceSession, bool]:
        try:
            devices = qnn_ep_devices()
        except RuntimeError as exc:
            raise DeviceError(f"The NPU is not available: {exc}.") from exc
        simulated = npu_is_simulated(devices)
        options = qnn_provider_options(simulated)

        def npu_options(**config: str) -> ort.SessionOptions:
            so = _base_options()
            for name, value in config.items():
                so.add_session_config_entry(name, value)
            so.add_provider_for_devices(devices, options)
            return so

        if cache is None:
            return self._compile(bundle.onnx_path, npu_options()), simulated
        try:
            key = ContextKey.for_model(bundle.onnx_path, bundle.precision, options)
        except OSError as exc:
            raise ModelError(f"The model {bundle.onnx_path.name} cannot be read.", detail=str(exc)) from exc
        cached = cache.lookup(key)
        if cached is not None:
            try:
                session = ort.InferenceSession(str(cached.ctx_path), sess_options=npu_options())
            except Exception as exc:  # a stale or damaged context: compile afresh, never fail here
                self.load_note = "the cached compiled model did not load; compiled it again"
                log.warning("cached NPU context %s failed to load (%s); recompiling", cached.folder.name, exc)
                cache.discard(key)
            else:
                self.load_kind, self._recorded = "cached", cached.assignment
                return session, simulated
        try:
            staging = cache.staging_folder()
        except OSError as exc:
            log.warning("no compiled-context cache (%s); compiling without it", exc)
            return self._compile(bundle.onnx_path, npu_options()), simulated
        # Creating with ep.context_enable=1 fails if the context file exists: always a fresh folder.
        so = npu_options(**{"ep.context_enable": "1", "ep.context_file_path": str(staging / CTX_NAME),
                            "ep.context_embed_mode": "0"})
        try:
            session = self._compile(bundle.onnx_path, so)
        except DeviceError as exc:
            cache.discard_staging(staging)
            if not any(words in exc.detail.lower() for words in _CONTEXT_WRITE_ERRORS):
                raise
            # Writing the context failed, not compiling: the NPU still works without the cache.
            log.warning("writing the compiled context failed (%s); compiling without it", exc.detail)
            return self._compile(bundle.onnx_path, npu_options()), simulated
        assignment = _assignment(session)
        if assignment.get(QNN_EP):
            cache.commit(staging, key, assignment, (time.perf_counter() - started) * 1000)
        else:
            cache.discard_staging(staging)  # nothing ran on the NPU: nothing worth caching
        return session, simulated

    @staticmethod
    def _compile(onnx_path: Path, so: ort.SessionOptions) -> ort.InferenceSession:
        try:
            return ort.InferenceSession(str(onnx_path), sess_options=so)
        except Exception as exc:
            raise DeviceError("The NPU could not prepare this model. Try the CPU, or a quantized (w8a8) model.",
                              detail=str(exc)) from exc

    def _assignment_report(self, requested: str, simulated: bool) -> DeviceReport:
        by_ep = _assignment(self._session)
        npu_nodes = by_ep.get(QNN_EP, [])
        cpu_nodes = by_ep.get(CPU_EP, [])
        total = sum(len(v) for v in by_ep.values())
        if self._recorded is not None:
            # A compiled context shows each NPU partition as one EPContext node; the nodes left
            # on the CPU are still listed as themselves, so the fallback list stays true. The
            # total comes from the compilation, when every node was still visible.
            total = max(total, sum(len(v) for v in self._recorded.values()))
            if len(self._recorded.get(CPU_EP, [])) != len(cpu_nodes):
                log.warning("cached context: %d CPU nodes now, %d when compiled",
                            len(cpu_nodes), len(self._recorded.get(CPU_EP, [])))
        if requested == "cpu":
            return DeviceReport("cpu", "cpu", "CPU", CPU_EP, False, (), total)
        npu_label = "NPU (HTP simulator)" if simulated else "NPU"
        if not npu_nodes:
            # The HTP device could not be used and onnxruntime quietly put every node on the CPU.
            return DeviceReport("npu", "cpu", "CPU", CPU_EP, False, tuple(cpu_nodes), total,
                                note="the NPU accepted none of the model's operations")
        return DeviceReport("npu", "npu", npu_label, QNN_EP, simulated, tuple(cpu_nodes), total)

    # -- running --------------------------------------------------------------------------
    @property
    def ort_session(self) -> ort.InferenceSession:
        """The underlying onnxruntime session (for bare timing against `run`)."""
        return self._session

    @property
    def input_name(self) -> str:
        return self._input_name

    def inputs_for(self, feed: np.ndarray) -> dict[str, np.ndarray]:
        """The graph's inputs for one view's tensor (as `feed_for` gives it): the tensor itself, or
        for a multi-input graph (SlowFast) each pathway's frames of it, by input name."""
        if not self._pathways:
            return {self._input_name: feed}
        return {name: (feed if len(positions) == feed.shape[self._frame_axis]
                       else np.ascontiguousarray(np.take(feed, positions, axis=self._frame_axis)))
                for name, positions in self._pathways}

    def feed_for(self, video: np.ndarray) -> np.ndarray:
        """The tensor the graph takes for a float32 [1,3,T,H,W] input: quantized if its I/O is.

        Same values as `IoQuantization.quantize`, computed in place in one reused buffer: the
        textbook expression makes four temporaries of the clip, a few ms per view on the CPU.
        """
        quant = self.bundle.input_quant
        if quant is None:
            return video
        if self._scratch is None or self._scratch.shape != video.shape:
            self._scratch = np.empty(video.shape, np.float32)
        buf = self._scratch
        info = np.iinfo(QUANTIZED_DTYPES[quant.dtype])
        np.divide(video, np.float32(quant.scale), out=buf)
        np.rint(buf, out=buf)
        if quant.zero_point:
            np.add(buf, np.float32(quant.zero_point), out=buf)
        np.clip(buf, info.min, info.max, out=buf)
        return buf.astype(quant.dtype)

    def run(self, video: np.ndarray) -> np.ndarray:
        """Class probabilities [classes] for one float32 [1,3,T,H,W] input in [0, 1].

        On the NPU a failed run recreates the session and retries once; raises NpuFailed if that
        fails too, ModelError when the CPU fails.
        """
        bundle = self.bundle
        (out,) = self._run_outputs(self._class_output, video)
        scores = bundle.output_quant.dequantize(out) if bundle.output_quant else out.astype(np.float32)
        scores = scores.reshape(-1)
        if not bundle.softmax_applied:
            shifted = np.exp(scores - scores.max())
            scores = shifted / shifted.sum()
        return scores

    def features(self, video: np.ndarray) -> np.ndarray:
        """The bundle's pooled features [D] (float32) for one float32 [1,3,T,H,W] input in [0, 1].

        Raises ModelError when the bundle declares no features output (see `ModelBundle.features`).
        """
        if self.bundle.features is None:
            raise ModelError(f"{self.bundle.name} gives no features, so it cannot be taught on.")
        (out,) = self._run_outputs([self.bundle.features.name], video)
        return np.asarray(out, np.float32).reshape(-1)

    def _run_outputs(self, names: list[str] | None, video: np.ndarray) -> list[np.ndarray]:
        feed = self.feed_for(video)
        try:
            return self._session.run(names, self.inputs_for(feed))
        except Exception as exc:
            if self.device != "npu":
                raise ModelError("The model failed while running.", detail=str(exc)) from exc
            return self._recover_and_rerun(names, feed, exc)

    def _recover_and_rerun(self, names: list[str] | None, feed: np.ndarray, first: Exception) -> list[np.ndarray]:
        """Recreate the NPU session (from the compiled-context cache when it has one) and run `feed`
        again; the QNN EP's run-time failures are usually a lost device that a new session regains."""
        log.warning("the NPU failed running %s (%s): %s; recreating the session and retrying this input",
                    self.bundle.model_id, self.bundle.precision, first)
        started = time.perf_counter()
        # Let go of the broken session's NPU resources before asking for new ones. If recreating
        # fails, the next run meets None and tries to recover again.
        self._session = None  # type: ignore[assignment]
        self._recorded = None
        try:
            self._session, simulated = self._open_npu(self.bundle, self._cache, started)
            self.report = self._assignment_report("npu", simulated)
            outputs = self._session.run(names, self.inputs_for(feed))
        except Exception as again:
            log.error("the NPU failed again after the session was recreated: %s", again)
            raise NpuFailed(NPU_FAILED, detail=f"first: {first}\nafter recreating the session: {again}") from again
        log.warning("NPU session recreated in %.0f ms (%s); the retried input ran: %s",
                    (time.perf_counter() - started) * 1000, self.load_kind, self.report.summary())
        return outputs


def npu_context_key(bundle: ModelBundle) -> ContextKey:
    """The compiled-context cache key the NPU session for `bundle` uses here. Raises DeviceError."""
    try:
        devices = qnn_ep_devices()
    except RuntimeError as exc:
        raise DeviceError(f"The NPU is not available: {exc}.") from exc
    options = qnn_provider_options(npu_is_simulated(devices))
    return ContextKey.for_model(bundle.onnx_path, bundle.precision, options)


def forget_compiled_context(bundle: ModelBundle, cache: ContextCache | None = None) -> None:
    """Drop the NPU's cached compiled graph for `bundle`, so the next start compiles (cold)."""
    (cache or ContextCache()).discard(npu_context_key(bundle))


def _assignment(session: ort.InferenceSession) -> dict[str, list[str]]:
    """Nodes per execution provider, as "OpType:name", from onnxruntime's assignment record."""
    by_ep: dict[str, list[str]] = {}
    try:
        for subgraph in session.get_provider_graph_assignment_info():
            by_ep.setdefault(subgraph.ep_name, []).extend(
                f"{n.op_type}:{n.name}" for n in subgraph.get_nodes())
    except (AttributeError, RuntimeError) as exc:
        log.warning("graph assignment info unavailable: %s", exc)
    return by_ep
