"""A cache of compiled NPU graphs (onnxruntime "EP context" models), so the NPU starts fast.

Compiling a model for the HTP takes seconds (7-23 s for R(2+1)D-18 on the simulator). With the
session config `ep.context_enable=1` onnxruntime writes the compiled graph out as a small
`*_ctx.onnx` holding EPContext nodes plus a `*_qnn.bin` context binary beside it; loading that
pair later skips the compilation.

An entry is keyed on everything that changes the compiled graph: the model's bytes (with its
external data), its precision, the QNN provider options and the onnxruntime and onnxruntime-qnn
versions (a context built by a newer QAIRT does not load on an older one). Entries are written to a
staging folder and renamed into place, so a half-written entry is never seen; every file's SHA-256
is recorded and checked before use, because a context binary with flipped bytes still loads and
then silently computes garbage. Anything wrong with an entry means: discard it and compile again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import struct
import time
import uuid
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import onnxruntime as ort

from kinetoscope.engine import paths
from kinetoscope.engine.files import sha256_file
from kinetoscope.engine.modelfiles.onnx_graph import _fields

log = logging.getLogger(__name__)

CACHE_FORMAT = 1
CTX_NAME = "model_ctx.onnx"
META_NAME = "entry.json"
_STAGING_PREFIX = ".staging-"
_ABANDONED_AFTER_S = 24 * 3600


def default_root() -> Path:
    """The cache's folder in the user's data folder (honours KINETOSCOPE_HOME)."""
    return paths.cache_dir() / "qnn_context"


def qnn_package_version() -> str:
    try:
        return metadata.version("onnxruntime-qnn")
    except metadata.PackageNotFoundError:
        return "unknown"


# -- the key ---------------------------------------------------------------------------------

# Fingerprints of files already hashed in this process, by path, size and mtime: a model opened
# twice hashes once. Its external-data files are re-checked by the same stamps.
_Stamp = tuple[str, int, int]
_fingerprints: dict[_Stamp, tuple[tuple[_Stamp, ...], str]] = {}


def _stamp(path: Path) -> _Stamp:
    stat = path.stat()
    return (str(path.resolve()), stat.st_size, stat.st_mtime_ns)


def _external_data_locations(data: memoryview) -> list[str]:
    """Relative paths of the external-data files an ONNX model's initializers point at."""
    found: set[str] = set()
    for number, wire, graph in _fields(data):
        if number != 7 or wire != 2:  # ModelProto.graph
            continue
        for g_number, g_wire, tensor in _fields(graph):
            if g_number != 5 or g_wire != 2:  # GraphProto.initializer
                continue
            for t_number, t_wire, entry in _fields(tensor):
                if t_number != 13 or t_wire != 2:  # TensorProto.external_data
                    continue
                key = value = ""
                for e_number, e_wire, text in _fields(entry):
                    if e_wire == 2 and e_number == 1:
                        key = bytes(text).decode("utf-8")
                    elif e_wire == 2 and e_number == 2:
                        value = bytes(text).decode("utf-8")
                if key == "location" and value:
                    found.add(value)
    return sorted(found)


def model_fingerprint(onnx_path: Path) -> str:
    """SHA-256 over the model file and every external-data file it references."""
    onnx_path = Path(onnx_path)
    stamp = _stamp(onnx_path)
    known = _fingerprints.get(stamp)
    if known is not None:
        parts, value = known
        try:
            if all(_stamp(Path(p[0])) == p for p in parts):
                return value
        except OSError:
            pass
    data = onnx_path.read_bytes()
    digest = hashlib.sha256(data)
    try:
        locations = _external_data_locations(memoryview(data))
    except (ValueError, UnicodeDecodeError, struct.error):
        locations = []  # a damaged model fails to load anyway; its bytes alone are the key
    stamps = []
    for location in locations:
        digest.update(b"\0" + location.encode("utf-8") + b"\0")
        part = onnx_path.parent / location
        if part.is_file():
            stamps.append(_stamp(part))
            digest.update(sha256_file(part).encode("ascii"))
    value = digest.hexdigest()
    _fingerprints[stamp] = (tuple(stamps), value)
    return value



@dataclass(frozen=True)
class ContextKey:
    """What a compiled context depends on; `digest` names its cache entry."""

    model_sha256: str
    precision: str
    provider_options: tuple[tuple[str, str], ...]
    onnxruntime: str
    onnxruntime_qnn: str
    format: int = CACHE_FORMAT

    @classmethod
    def for_model(cls, onnx_path: Path, precision: str, provider_options: dict[str, str]) -> ContextKey:
        return cls(model_fingerprint(onnx_path), precision, tuple(sorted(provider_options.items())),
                   ort.__version__, qnn_package_version())

    def to_json(self) -> dict[str, Any]:
        return {"model_sha256": self.model_sha256, "precision": self.precision,
                "provider_options": dict(self.provider_options), "onnxruntime": self.onnxruntime,
                "onnxruntime_qnn": self.onnxruntime_qnn, "format": self.format}

    @property
    def digest(self) -> str:
        text = json.dumps(self.to_json(), sort_keys=True)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


# -- the cache -------------------------------------------------------------------------------

@dataclass(frozen=True)
class CachedContext:
    """A verified cache entry: load `ctx_path` as an ordinary model to skip compilation."""

    folder: Path
    ctx_path: Path
    assignment: dict[str, list[str]]   # nodes per execution provider when it was compiled
    compile_ms: float


class ContextCache:
    """Compiled-context entries under `root`, one folder per key digest."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = Path(root) if root is not None else default_root()

    def folder_for(self, key: ContextKey) -> Path:
        return self.root / key.digest

    def lookup(self, key: ContextKey) -> CachedContext | None:
        """The entry for `key` if it is complete and intact; a damaged one is removed."""
        folder = self.folder_for(key)
        if not folder.is_dir():
            return None
        problem = self._problem_with(folder, key)
        if problem:
            log.warning("discarding the compiled-context cache entry %s: %s", folder.name, problem)
            self.discard(key)
            return None
        meta = json.loads((folder / META_NAME).read_text(encoding="utf-8"))
        return CachedContext(folder, folder / CTX_NAME, meta.get("assignment", {}),
                             float(meta.get("compile_ms", 0.0)))

    def _problem_with(self, folder: Path, key: ContextKey) -> str:
        try:
            meta = json.loads((folder / META_NAME).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            return f"unreadable {META_NAME} ({exc})"
        if not isinstance(meta, dict) or meta.get("key") != key.to_json():
            return "written for another model, option set or version"
        files = meta.get("files")
        if not isinstance(files, dict) or CTX_NAME not in files:
            return "no file list"
        for name, expected in files.items():
            part = folder / name
            try:
                if part.stat().st_size != expected.get("size") or sha256_file(part) != expected.get("sha256"):
                    return f"{name} has changed since it was written"
            except OSError:
                return f"{name} is missing"
        return ""

    def staging_folder(self) -> Path:
        """A fresh, empty folder to compile into; `commit` moves it into place."""
        self._sweep_abandoned()
        folder = self.root / f"{_STAGING_PREFIX}{uuid.uuid4().hex}"
        folder.mkdir(parents=True)
        return folder

    def _sweep_abandoned(self) -> None:
        """Remove staging folders left by a process that died mid-compile (older than a day,
        so another process's compilation in progress is never touched)."""
        if not self.root.is_dir():
            return
        cutoff = time.time() - _ABANDONED_AFTER_S
        for folder in self.root.glob(f"{_STAGING_PREFIX}*"):
            try:
                if folder.stat().st_mtime < cutoff:
                    shutil.rmtree(folder, ignore_errors=True)
            except OSError:
                pass

    def commit(self, staging: Path, key: ContextKey, assignment: dict[str, list[str]],
               compile_ms: float) -> CachedContext | None:
        """Seal a staging folder that onnxruntime has written a context into, and move it into
        place atomically. Returns None (and cleans up) when the folder holds no context."""
        try:
            if not (staging / CTX_NAME).is_file():
                log.warning("onnxruntime wrote no compiled context; the NPU start will not be cached")
                return None
            files = {p.name: {"size": p.stat().st_size, "sha256": sha256_file(p)}
                     for p in sorted(staging.iterdir()) if p.is_file()}
            meta = {"key": key.to_json(), "files": files, "assignment": assignment,
                    "compile_ms": round(compile_ms, 1)}
            (staging / META_NAME).write_text(json.dumps(meta, indent=1), encoding="utf-8")
            final = self.folder_for(key)
            if final.exists():
                self._remove(final)
            os.replace(staging, final)
            return CachedContext(final, final / CTX_NAME, assignment, compile_ms)
        except OSError as exc:
            log.warning("could not store the compiled context: %s", exc)
            return None
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)

    def discard(self, key: ContextKey) -> None:
        folder = self.folder_for(key)
        if folder.exists():
            self._remove(folder)

    def discard_staging(self, staging: Path) -> None:
        shutil.rmtree(staging, ignore_errors=True)

    def _remove(self, folder: Path) -> None:
        # Rename first: the key's folder is free at once even if deleting fails (e.g. a file
        # still open on Windows); leftovers are staging-named and swept later.
        doomed = self.root / f"{_STAGING_PREFIX}{uuid.uuid4().hex}"
        try:
            os.replace(folder, doomed)
        except OSError:
            doomed = folder
        shutil.rmtree(doomed, ignore_errors=True)

    def entries(self) -> list[Path]:
        if not self.root.is_dir():
            return []
        return sorted(p for p in self.root.iterdir() if p.is_dir() and not p.name.startswith("."))

    def clear(self) -> None:
        """Delete every entry (they can always be rebuilt)."""
        shutil.rmtree(self.root, ignore_errors=True)
