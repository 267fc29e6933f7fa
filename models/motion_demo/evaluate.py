"""Held-out evaluation of the float and w8a8 graphs; writes work/eval.json and work/report.md.

Two kinds of held-out data, all from seeds training never used and including the "arrow" shape
family training never saw:
- rendered clips pushed straight into the model's input space (as in training, with artefacts);
- real h264 files (encode_clip) at several source sizes and frame rates, read by the app's own
  engine (VideoReader, ClipSampler, centre crop) and scored as the app does: 5 views, mean of probs.
The w8a8 graph is also run on the QNN HTP backend with CPU fallback disabled.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort

import data
from config import (
    FLOAT_ONNX, HELDOUT_FAMILIES, HELDOUT_SEED, INPUT_NAME, MODELS, UNSEEN_FAMILY, W8A8_ONNX, WORK,
)
from kinetoscope.engine.media.synthetic import MOTION_LABELS, encode_clip, random_spec, render_frames

FILE_SIZES = ((48, 32), (320, 240), (1920, 1080), (240, 426))
FILE_FPS = (15, 24, 30, 60)
FILE_SECONDS = 1.6
VIEWS = 5


@dataclass(frozen=True)
class Scores:
    """Top-1 figures of one condition."""

    condition: str
    n: int
    float_top1: float
    w8a8_top1: float
    agreement: float


def cpu_session(path: Path) -> ort.InferenceSession:
    so = ort.SessionOptions()
    so.intra_op_num_threads = 2
    return ort.InferenceSession(str(path), sess_options=so, providers=["CPUExecutionProvider"])


def run(session: ort.InferenceSession, clip: np.ndarray) -> np.ndarray:
    return session.run(None, {INPUT_NAME: np.ascontiguousarray(clip[None], np.float32)})[0][0]


def score(condition: str, labels: list[int], float_probs: list[np.ndarray], w8a8_probs: list[np.ndarray]) -> Scores:
    y = np.asarray(labels)
    pf = np.argmax(float_probs, axis=1)
    pq = np.argmax(w8a8_probs, axis=1)
    return Scores(condition, len(y), float((pf == y).mean()), float((pq == y).mean()), float((pf == pq).mean()))


def rendered_sets() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    mixed_x, mixed_y = data.fixed_set(HELDOUT_SEED, 450, HELDOUT_FAMILIES, augment=True)
    unseen_x, unseen_y = data.fixed_set(HELDOUT_SEED + 1, 180, (UNSEEN_FAMILY,), augment=True)
    return {
        "rendered, all families (degraded)": (mixed_x.numpy(), mixed_y.numpy()),
        f"rendered, unseen family '{UNSEEN_FAMILY}' only": (unseen_x.numpy(), unseen_y.numpy()),
    }


def read_views(path: Path) -> list[np.ndarray]:
    """The model inputs [3, 16, 112, 112] of each view of a file, as the app makes them."""
    from kinetoscope.engine.modelfiles.bundle import open_bundle
    from kinetoscope.engine.media.preprocess import center_crop, to_model_input
    from kinetoscope.engine.recipe import with_views
    from kinetoscope.engine.media.sampling import ClipSampler
    from kinetoscope.engine.media.video import VideoReader

    recipe = with_views(open_bundle(MODELS / "motion_demo-onnx-float.zip").recipe, VIEWS)
    with VideoReader(path, threads=1, resize=recipe.resize) as reader:
        plan = ClipSampler(recipe).plan(reader.info)
        return [to_model_input(center_crop(v.rgb, recipe.crop), recipe)[0] for v in reader.read_views(plan.views)]


def file_conditions(float_s: ort.InferenceSession, w8a8_s: ort.InferenceSession, confusion: np.ndarray) -> list[Scores]:
    folder = WORK / "heldout_files"
    folder.mkdir(parents=True, exist_ok=True)
    results = []
    for c, ((width, height), fps) in enumerate((s, f) for s in FILE_SIZES for f in FILE_FPS):
        per_class = 1 if width * height > 1e6 else 2
        rng = np.random.default_rng([HELDOUT_SEED, 2, c])
        labels, pf, pq = [], [], []
        for i in range(per_class * len(MOTION_LABELS)):
            motion = MOTION_LABELS[i % len(MOTION_LABELS)]
            spec = random_spec(rng, motion=motion, families=HELDOUT_FAMILIES, duration=FILE_SECONDS)
            n_frames = round(FILE_SECONDS * fps)
            path = encode_clip(folder / f"{width}x{height}_{fps}fps_{i:02d}.mp4",
                               render_frames(spec, width, height, fps, n_frames), fps)
            views = read_views(path)
            labels.append(i % len(MOTION_LABELS))
            pf.append(np.mean([run(float_s, v) for v in views], axis=0))
            pq.append(np.mean([run(w8a8_s, v) for v in views], axis=0))
            confusion[labels[-1], int(np.argmax(pf[-1]))] += 1
        s = score(f"h264 file {width}x{height} @ {fps} fps", labels, pf, pq)
        print(f"  {s.condition}: float {s.float_top1:.3f} w8a8 {s.w8a8_top1:.3f} agree {s.agreement:.3f}", flush=True)
        results.append(s)
    return results


def htp_check(clips: np.ndarray) -> dict:
    """Run the w8a8 graph on the QNN HTP backend with CPU fallback disabled; compare with the CPU.

    Uses the app's own provider options (`qnn_provider_options`), which keep the graph-input
    QuantizeLinear and graph-output DequantizeLinear on the HTP instead of offloading them to the
    CPU, so "all nodes on QNNExecutionProvider" covers the whole graph.
    """
    from kinetoscope.engine.inference.devices import QNN_EP, npu_is_simulated, qnn_ep_devices, qnn_provider_options

    devices = qnn_ep_devices()
    options = qnn_provider_options(True)  # the build machine is x86-64: Qualcomm's HTP simulator
    config = {"session.disable_cpu_ep_fallback": "1", "session.record_ep_graph_assignment_info": "1"}
    so = ort.SessionOptions()
    for key, value in config.items():
        so.add_session_config_entry(key, value)
    so.add_provider_for_devices(devices, options)
    t0 = time.perf_counter()
    htp = ort.InferenceSession(str(W8A8_ONNX), sess_options=so)
    compile_s = time.perf_counter() - t0
    graph_nodes = len(onnx.load(str(W8A8_ONNX)).graph.node)
    assignment: dict[str, int] = {}
    op_types: dict[str, dict[str, int]] = {}
    try:
        for info in htp.get_provider_graph_assignment_info():
            nodes = info.get_nodes()
            assignment[info.ep_name] = assignment.get(info.ep_name, 0) + len(nodes)
            ops = op_types.setdefault(info.ep_name, {})
            for node in nodes:
                op = getattr(node, "op_type", "?")
                ops[op] = ops.get(op, 0) + 1
    except Exception as exc:  # the API is new; the fallback flag is the proof either way
        assignment = {"unavailable": str(exc)}
    cpu = cpu_session(W8A8_ONNX)
    t0 = time.perf_counter()
    got = np.stack([run(htp, c) for c in clips])
    run_s = (time.perf_counter() - t0) / len(clips)
    want = np.stack([run(cpu, c) for c in clips])
    return {
        "providers": htp.get_providers(),
        "simulated": npu_is_simulated(devices),
        "options": {**options, **config},
        "graph_nodes": graph_nodes,
        "nodes_per_ep": assignment,
        # The EP sees the graph after onnxruntime's layout transformation (it adds Transposes and
        # their Q/DQ), so its node count exceeds the file's; what matters is that no EP but QNN appears.
        "all_nodes_on_qnn": set(assignment) == {QNN_EP},
        "op_types_per_ep": op_types,
        "clips": len(clips),
        "compile_s": round(compile_s, 2),
        "seconds_per_inference": round(run_s, 3),
        "max_abs_diff_vs_cpu": float(np.abs(got - want).max()),
        "top1_agreement_vs_cpu": float((got.argmax(1) == want.argmax(1)).mean()),
    }


def report(scores: list[Scores], htp: dict, confusion: np.ndarray) -> str:
    lines = ["| condition | clips | float top-1 | w8a8 top-1 | w8a8 = float |", "|---|---|---|---|---|"]
    for s in scores:
        lines.append(f"| {s.condition} | {s.n} | {s.float_top1:.1%} | {s.w8a8_top1:.1%} | {s.agreement:.1%} |")
    lines += ["", "Float confusions (true -> predicted: count):"]
    for t, p in zip(*np.nonzero(confusion)):
        if t != p:
            lines.append(f"- {MOTION_LABELS[t]} -> {MOTION_LABELS[p]}: {int(confusion[t, p])}")
    lines += ["", "HTP check: " + json.dumps(htp)]
    return "\n".join(lines) + "\n"


def main() -> dict:
    float_s, w8a8_s = cpu_session(FLOAT_ONNX), cpu_session(W8A8_ONNX)
    confusion = np.zeros((len(MOTION_LABELS),) * 2, np.int64)
    scores = []
    sets = rendered_sets()
    for name, (xs, ys) in sets.items():
        pf = [run(float_s, x) for x in xs]
        pq = [run(w8a8_s, x) for x in xs]
        for y, p in zip(ys, pf):
            confusion[int(y), int(np.argmax(p))] += 1
        scores.append(score(name, list(ys), pf, pq))
        print(f"  {name}: {scores[-1]}", flush=True)
    file_scores = file_conditions(float_s, w8a8_s, confusion)
    scores += file_scores
    total = sum(s.n for s in file_scores)
    scores.append(Scores(
        "h264 files, all conditions", total,
        sum(s.float_top1 * s.n for s in file_scores) / total,
        sum(s.w8a8_top1 * s.n for s in file_scores) / total,
        sum(s.agreement * s.n for s in file_scores) / total,
    ))
    mixed_x = next(iter(sets.values()))[0]
    htp = htp_check(mixed_x[:18])
    print(f"  HTP: {htp}", flush=True)
    result = {"scores": [s.__dict__ for s in scores], "htp": htp, "confusion": confusion.tolist()}
    (WORK / "eval.json").write_text(json.dumps(result, indent=2))
    (WORK / "report.md").write_text(report(scores, htp, confusion))
    print(report(scores, htp, confusion))
    return result


if __name__ == "__main__":
    main()
