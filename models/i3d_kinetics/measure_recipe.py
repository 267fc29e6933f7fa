"""Which input recipe should the app ship with I3D? Measured on the media clips.

    .venv/bin/python models/i3d_kinetics/measure_recipe.py [--json FILE]

Reference (the setting the model was trained and evaluated for): 25 fps, 64-frame views, 5 views
spread over the clip, short side 256, centre crop 224. Candidates: frames per view (the graph's T)
16 or 32; sampling 25 fps, 15 fps or every 2nd native frame; 1, 3 or 5 views. For each candidate:
how many clips keep the reference's top-1, the mean overlap of the top-5 sets, and the cost.
Latency: onnxruntime CPU, 2 threads, float and w8a8, median of several runs of one view.
Whole-clip time for a 10 s clip = decoding and resizing + views x per-view latency.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import onnxruntime as ort  # noqa: E402

import clips  # noqa: E402
import network  # noqa: E402
import quantize  # noqa: E402
from checkpoint import fetch_sdist, load_weights  # noqa: E402
from config import INPUT_NAME, LABELS, MEDIA, cache_dir  # noqa: E402

REFERENCE = {"frames": 64, "sampling": {"fps": 25}, "views": 5}
FRAMES = (16, 32)
SAMPLINGS = ({"fps": 25}, {"fps": 15}, {"every": 2})
VIEWS = (1, 3, 5)
LATENCY_RUNS = 5


def session(model: onnx.ModelProto) -> ort.InferenceSession:
    so = ort.SessionOptions()
    so.intra_op_num_threads = 2
    so.inter_op_num_threads = 1
    return ort.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"])


def label(sampling: dict) -> str:
    return f"{sampling['fps']} fps" if "fps" in sampling else f"every {sampling['every']}"


class ViewScorer:
    """Probabilities of views, computed once per (T, sampling, start) and reused across settings."""

    def __init__(self, sessions: dict[int, ort.InferenceSession]) -> None:
        self._sessions = sessions
        self._memo: dict[tuple, np.ndarray] = {}

    def clip_probs(self, clip: clips.DecodedClip, frames: int, sampling: dict, views: int) -> np.ndarray:
        sampled_idx = clips.sample_indices(len(clip.frames), clip.fps, sampling)
        total = np.zeros(400, np.float64)
        for start in clips.view_starts(len(sampled_idx), frames, views):
            key = (clip.path.name, frames, json.dumps(sampling), start)
            if key not in self._memo:
                window = clip.frames[sampled_idx[start:start + frames]]
                if len(window) < frames:
                    window = np.concatenate([window, np.repeat(window[-1:], frames - len(window), axis=0)])
                self._memo[key] = self._sessions[frames].run(None, {INPUT_NAME: clips.to_input(window)})[0][0]
            total += self._memo[key]
        return total / views


def latency(sess: ort.InferenceSession, frames: int) -> float:
    x = np.random.default_rng(0).random((1, 3, frames, 224, 224), dtype=np.float32)
    sess.run(None, {INPUT_NAME: x})
    times = []
    for _ in range(LATENCY_RUNS):
        t0 = time.perf_counter()
        sess.run(None, {INPUT_NAME: x})
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    labels = LABELS.read_text().splitlines()
    weights = load_weights(fetch_sdist(cache_dir()))
    float_models = {t: network.build_model(weights, t) for t in (*FRAMES, REFERENCE["frames"])}
    media = clips.media_clips(MEDIA)
    decoded, decode_s = {}, {}
    for path in media:
        t0 = time.perf_counter()
        decoded[path.name] = clips.decode(path)
        decode_s[path.name] = time.perf_counter() - t0
    print("decode + resize + crop (s):", {k: round(v, 2) for k, v in decode_s.items()}, flush=True)

    scorer = ViewScorer({t: session(m) for t, m in float_models.items()})
    reference = {}
    for name, clip in decoded.items():
        reference[name] = scorer.clip_probs(clip, REFERENCE["frames"], REFERENCE["sampling"], REFERENCE["views"])
        top = np.argsort(-reference[name])[:5]
        print(f"reference {name}: " + ", ".join(f"{labels[i]} {reference[name][i]:.3f}" for i in top), flush=True)

    rows = []
    for frames in FRAMES:
        for sampling in SAMPLINGS:
            for views in VIEWS:
                top1, overlap, in_top5, per_clip = 0, [], 0, {}
                for name, clip in decoded.items():
                    probs = scorer.clip_probs(clip, frames, sampling, views)
                    per_clip[name] = labels[int(probs.argmax())]
                    ref_top5 = set(np.argsort(-reference[name])[:5])
                    top5 = set(np.argsort(-probs)[:5])
                    top1 += int(probs.argmax() == reference[name].argmax())
                    in_top5 += int(reference[name].argmax() in top5)
                    overlap.append(len(top5 & ref_top5) / 5)
                rows.append({"frames": frames, "sampling": label(sampling), "views": views,
                             "top1_same": f"{top1}/{len(decoded)}", "ref_top1_in_top5": f"{in_top5}/{len(decoded)}",
                             "top5_overlap": round(float(np.mean(overlap)), 2), "top1": per_clip})
                print(rows[-1], flush=True)

    lat = {}
    for frames in (*FRAMES, REFERENCE["frames"]):
        lat[f"float T={frames}"] = latency(session(float_models[frames]), frames)
        print(f"latency float T={frames}: {lat[f'float T={frames}']:.2f} s", flush=True)
    for frames in FRAMES:
        w8a8 = quantize.quantize_w8a8(float_models[frames], quantize.calibration_views(media, frames))
        lat[f"w8a8 T={frames}"] = latency(session(w8a8), frames)
        print(f"latency w8a8 T={frames}: {lat[f'w8a8 T={frames}']:.2f} s", flush=True)
    ten_s = [decode_s[n] / (len(c.frames) / c.fps) * 10 for n, c in decoded.items() if c.path.stat().st_size]
    decode_10s = statistics.median(ten_s)
    for row in rows:
        row["clip_s_float"] = round(decode_10s + row["views"] * lat[f"float T={row['frames']}"], 1)
        row["clip_s_w8a8"] = round(decode_10s + row["views"] * lat[f"w8a8 T={row['frames']}"], 1)
    print(f"decode+resize of a 10 s clip (median over clips, scaled): {decode_10s:.1f} s")
    print("| T | sampling | views | top-1 = ref | ref top-1 in top-5 | top-5 overlap | 10 s clip, float | w8a8 |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['frames']} | {r['sampling']} | {r['views']} | {r['top1_same']} | {r['ref_top1_in_top5']} | "
              f"{r['top5_overlap']:.2f} | {r['clip_s_float']} s | {r['clip_s_w8a8']} s |")
    if args.json:
        args.json.write_text(json.dumps({
            "reference": REFERENCE, "rows": rows, "latency_s": lat, "decode_s": decode_s,
            "decode_10s_clip_s": decode_10s,
            "reference_top5": {n: [labels[i] for i in np.argsort(-p)[:5]] for n, p in reference.items()},
        }, indent=2) + "\n")


if __name__ == "__main__":
    main()
