"""Installing, importing, verifying and removing models in `<data>/models/<id>/<precision>/`.

Atomic install: a zip is checked (`archive.check_zip`: integrity, paths, links, size) and unpacked
into a staging folder under `<data>/models/.staging/` (a dot folder, so the model store never sees
it); the bundle is opened there (`open_bundle`: one ONNX graph with a video input, labels) and loaded
once by ONNX Runtime; the manifest is written; only then does `archive.replace_dir` swap the folder
into place. Any failure before the swap leaves the previously installed version untouched.

Manifest (`kinetoscope-install.json` inside the installed folder): format, model id, precision,
name, catalog release, source (URL or local path), the zip's SHA-256 and size, install time (UTC),
and for every unpacked file its size and SHA-256. `verify_model` re-hashes against it.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kinetoscope.engine import paths
from kinetoscope.engine.modelfiles.archive import MAX_UNPACKED_BYTES, check_zip, extract_zip_atomically, replace_dir
from kinetoscope.engine.modelfiles.bundle import ModelBundle, open_bundle
from kinetoscope.engine.cancel import CancelToken
from kinetoscope.engine.modelfiles.catalog import MODEL_ID, PRECISION
from kinetoscope.engine.files import DiskFull, require_free_space, sha256_file
from kinetoscope.engine.errors import BadInput, KinetoscopeError, ModelError

MANIFEST = "kinetoscope-install.json"
MANIFEST_FORMAT = 1
STAGING = ".staging"


@dataclass(frozen=True)
class InstallSource:
    """Where an installed model came from: a catalog download (url, release) or a local import."""

    url: str | None = None
    path: str | None = None
    release: str | None = None


@dataclass(frozen=True)
class FileRecord:
    size: int
    sha256: str


@dataclass(frozen=True)
class Manifest:
    model_id: str
    precision: str
    name: str
    source: InstallSource
    archive_sha256: str | None
    archive_size: int | None
    installed_at: str
    files: dict[str, FileRecord]

    def to_json(self) -> dict[str, Any]:
        return {
            "format": MANIFEST_FORMAT, "model_id": self.model_id, "precision": self.precision, "name": self.name,
            "release": self.source.release,
            "source": {"url": self.source.url, "path": self.source.path},
            "archive": None if self.archive_sha256 is None else {"sha256": self.archive_sha256,
                                                                  "size": self.archive_size},
            "installed_at": self.installed_at,
            "files": {rel: {"size": r.size, "sha256": r.sha256} for rel, r in sorted(self.files.items())},
        }

    @property
    def total_bytes(self) -> int:
        return sum(r.size for r in self.files.values())


@dataclass(frozen=True)
class Verification:
    """The result of re-checking an installed model against its manifest."""

    model_id: str
    precision: str
    path: Path
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


Stage = Callable[[str], None]


def installed_dir(model_id: str, precision: str) -> Path:
    return paths.models_dir() / model_id / precision


def read_manifest(folder: Path) -> Manifest | None:
    """The manifest of an installed folder, or None when it is missing or unreadable."""
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        src = data.get("source") or {}
        archive = data.get("archive") or {}
        return Manifest(
            model_id=str(data["model_id"]), precision=str(data["precision"]), name=str(data.get("name") or ""),
            source=InstallSource(url=src.get("url"), path=src.get("path"), release=data.get("release")),
            archive_sha256=archive.get("sha256"), archive_size=archive.get("size"),
            installed_at=str(data.get("installed_at") or ""),
            files={str(k): FileRecord(int(v["size"]), str(v["sha256"])) for k, v in dict(data["files"]).items()},
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _files_of(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.name != MANIFEST)


def _now_utc() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _staging_dir() -> Path:
    base = paths.models_dir() / STAGING
    base.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix="install-", dir=base))


def _bundle_root(unpacked: Path) -> Path:
    """AI Hub zips hold one top folder; install its contents, not the wrapper."""
    entries = [p for p in unpacked.iterdir() if not p.name.startswith("__MACOSX")]
    return entries[0] if len(entries) == 1 and entries[0].is_dir() else unpacked


def _check_loads(bundle: ModelBundle, label: str) -> None:
    """Load the graph (and its CPU variant, if any) once with ONNX Runtime: catches broken weights
    that the header reader misses."""
    import onnxruntime as ort  # heavy; only installs need it here

    so = ort.SessionOptions()
    so.log_severity_level = 3
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL  # a load check, not a run
    for graph in (bundle.onnx_path, *([bundle.cpu_graph] if bundle.cpu_graph else [])):
        try:
            ort.InferenceSession(str(graph), sess_options=so, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own exception types
            raise ModelError(f"{label} holds a model that ONNX Runtime cannot load.", detail=str(exc)) from exc


def _disk_errors(what: str) -> Callable[[OSError], KinetoscopeError]:
    def convert(exc: OSError) -> KinetoscopeError:
        if exc.errno == errno.ENOSPC:
            return DiskFull(f"The disk filled up while installing {what}; the previous version (if any) "
                            "is unchanged. Free some space and try again.", detail=str(exc))
        return KinetoscopeError(f"Could not install {what}: {exc.strerror or exc}.", detail=str(exc))
    return convert


def install_zip(zip_path: Path, *, expect: tuple[str, str] | None = None, source: InstallSource | None = None,
                cancel: CancelToken | None = None, on_stage: Stage | None = None) -> Manifest:
    """Check, unpack, validate and atomically install a release zip. `expect` is the (id,
    precision) the caller asked for; without it (an import) the bundle's metadata decides."""
    label = zip_path.name
    stage = on_stage or (lambda _s: None)
    stage("Checking the zip…")
    members = check_zip(zip_path)
    staging = _staging_dir()
    try:
        require_free_space(staging, sum(m.file_size for m in members), f"to install {label}")
        stage("Unpacking…")
        try:
            # Named after the zip: without metadata.json, the bundle's id and precision are
            # guessed from this name (e.g. resnet_3d-onnx-w8a8).
            unpacked = extract_zip_atomically(zip_path, staging / zip_path.stem)
        except KinetoscopeError as exc:
            if "disk space" in exc.message:
                raise DiskFull(exc.message + " The previous version (if any) is unchanged.", detail=exc.detail) from exc
            raise
        if cancel is not None:
            cancel.raise_if_cancelled()
        root = _bundle_root(unpacked)
        src = source or InstallSource(path=str(zip_path.resolve()))
        return _validate_and_place(root, label, expect, src, (sha256_file(zip_path), zip_path.stat().st_size),
                                   cancel, stage)
    except OSError as exc:
        raise _disk_errors(label)(exc) from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def import_model(path: Path, *, cancel: CancelToken | None = None, on_stage: Stage | None = None) -> Manifest:
    """Install a release zip or an unpacked bundle folder the user already has (offline machines)."""
    path = Path(path).expanduser()
    if not path.exists():
        raise BadInput(f"Nothing to import at {path}.")
    if path.is_file():
        if path.suffix.lower() != ".zip":
            raise BadInput(f"{path.name} is not a zip file or a bundle folder.")
        return install_zip(path, cancel=cancel, on_stage=on_stage)
    stage = on_stage or (lambda _s: None)
    files = [p for p in path.rglob("*") if p.is_file()]
    total = sum(p.stat().st_size for p in files)
    if total > MAX_UNPACKED_BYTES:
        raise ModelError(f"{path.name} is {total / 1e9:.1f} GB, more than a model bundle needs.")
    staging = _staging_dir()
    try:
        require_free_space(staging, total, f"to install {path.name}")
        stage("Copying…")
        root = staging / path.name
        shutil.copytree(path, root, ignore=shutil.ignore_patterns(MANIFEST))
        return _validate_and_place(root, path.name, None, InstallSource(path=str(path.resolve())), None, cancel, stage)
    except OSError as exc:
        raise _disk_errors(path.name)(exc) from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _validate_and_place(root: Path, label: str, expect: tuple[str, str] | None, source: InstallSource,
                        archive: tuple[str, int] | None, cancel: CancelToken | None, stage: Stage) -> Manifest:
    stage("Checking the model…")
    bundle = open_bundle(root)
    _check_loads(bundle, label)
    has_metadata = any(root.rglob("metadata.json"))
    if expect is not None:
        model_id, precision = expect
        if has_metadata and (bundle.model_id, bundle.precision) != expect:
            raise ModelError(f"{label} holds {bundle.model_id} ({bundle.precision}), not {model_id} ({precision}).")
    else:
        model_id, precision = bundle.model_id.lower().replace("-", "_"), bundle.precision.lower()
    if not MODEL_ID.match(model_id) or not PRECISION.match(precision):
        raise ModelError(f"{label} names its model {model_id!r} ({precision!r}), which cannot be used as a folder name.")
    if cancel is not None:
        cancel.raise_if_cancelled()
    stage("Recording checksums…")
    files = {p.relative_to(root).as_posix(): FileRecord(p.stat().st_size, sha256_file(p, cancel)) for p in _files_of(root)}
    manifest = Manifest(model_id=model_id, precision=precision, name=bundle.name, source=source,
                        archive_sha256=archive[0] if archive else None, archive_size=archive[1] if archive else None,
                        installed_at=_now_utc(), files=files)
    (root / MANIFEST).write_text(json.dumps(manifest.to_json(), indent=1), encoding="utf-8")
    if cancel is not None:
        cancel.raise_if_cancelled()  # last moment a cancel can still leave the old version in place
    stage("Installing…")
    dest = installed_dir(model_id, precision)
    dest.parent.mkdir(parents=True, exist_ok=True)
    replace_dir(root, dest)
    return manifest


def remove_model(model_id: str, precision: str) -> None:
    """Delete an installed model. Renamed away first, so it disappears at once even if deleting
    the files takes a while or fails half-way."""
    dest = installed_dir(model_id, precision)
    if not dest.is_dir():
        raise BadInput(f"{model_id} ({precision}) is not installed.")
    doomed = dest.with_name(f".{precision}.removing-{os.getpid()}")
    shutil.rmtree(doomed, ignore_errors=True)
    os.replace(dest, doomed)
    shutil.rmtree(doomed, ignore_errors=True)
    try:
        dest.parent.rmdir()  # only when no other precision is left
    except OSError:
        pass


def quick_problems(folder: Path) -> tuple[str, ...]:
    """Cheap check (no hashing) for listing: the manifest exists and every file is there with its size."""
    manifest = read_manifest(folder)
    if manifest is None:
        return ("its install record is missing or damaged",)
    problems = []
    for rel, record in manifest.files.items():
        path = folder / rel
        if not path.is_file():
            problems.append(f"{rel} is missing")
        elif path.stat().st_size != record.size:
            problems.append(f"{rel} was changed")
    return tuple(problems)


def verify_model(model_id: str, precision: str, *, cancel: CancelToken | None = None) -> Verification:
    """Re-hash every installed file against the manifest."""
    folder = installed_dir(model_id, precision)
    if not folder.is_dir():
        return Verification(model_id, precision, folder, ("the model folder is gone",))
    manifest = read_manifest(folder)
    if manifest is None:
        return Verification(model_id, precision, folder, ("its install record is missing or damaged",))
    problems = []
    for rel, record in sorted(manifest.files.items()):
        path = folder / rel
        if not path.is_file():
            problems.append(f"{rel} is missing")
        elif path.stat().st_size != record.size or sha256_file(path, cancel) != record.sha256:
            problems.append(f"{rel} was changed")
    for path in _files_of(folder):
        rel = path.relative_to(folder).as_posix()
        if rel not in manifest.files:
            problems.append(f"{rel} was added")
    return Verification(model_id, precision, folder, tuple(problems))


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
