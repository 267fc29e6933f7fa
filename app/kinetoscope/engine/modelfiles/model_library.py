"""What the model manager shows and does: catalog × installed × bundled, and download-then-install.

Shared by the CLI (`kinetoscope models …`) and the pane, so both say the same thing about a model.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from enum import Enum
from pathlib import Path

from kinetoscope.engine import paths
from kinetoscope.engine.cancel import CancelToken
from kinetoscope.engine.modelfiles.catalog import Accuracy, Catalog, CatalogEntry
from kinetoscope.engine.modelfiles.download import (MAX_DOWNLOAD_BYTES, DownloadProgress, PartialDownload, discard_partial,
                                         download_file, partial_download)
from kinetoscope.engine.errors import BadInput, Busy, KinetoscopeError, ModelError
from kinetoscope.engine.modelfiles.file_lock import FileLock, held_elsewhere
from kinetoscope.engine.modelfiles.http_client import Timeouts
from kinetoscope.engine.modelfiles.model_install import (InstallSource, Manifest, folder_bytes, install_zip, installed_dir,
                                              quick_problems, read_manifest)
from kinetoscope.engine.modelfiles.model_store import available_models, model_name


class Status(str, Enum):
    NOT_INSTALLED = "not installed"
    PARTIAL = "paused"            # a resumable .part is waiting
    INSTALLED = "installed"
    UPDATE = "update available"   # installed from an older catalog release
    BROKEN = "broken"
    BUNDLED = "bundled"           # ships with the app; cannot be removed


# How long a download waits for the entry's lock before saying Busy: long enough to ride out a
# `held_elsewhere` peek (microseconds), short enough to feel immediate.
LOCK_WAIT_S = 0.25


@dataclass(frozen=True)
class ModelRow:
    """One line of the model list: a model in one precision, and its state on this machine."""

    model_id: str
    precision: str
    name: str
    status: Status
    entry: CatalogEntry | None
    path: Path | None
    disk_bytes: int = 0
    partial: PartialDownload | None = None
    problems: tuple[str, ...] = ()
    installed_release: str | None = None
    downloading_elsewhere: bool = False  # its lock is held by another process (or task) right now
    accuracies: tuple[Accuracy, ...] = ()  # published figures (from its entry, or the catalog's bundled section)

    @property
    def key(self) -> tuple[str, str]:
        return (self.model_id, self.precision)

    @property
    def usable(self) -> bool:
        return self.status in (Status.INSTALLED, Status.UPDATE, Status.BUNDLED)

    @property
    def removable(self) -> bool:
        return self.status in (Status.INSTALLED, Status.UPDATE, Status.BROKEN)

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.model_id, "precision": self.precision, "name": self.name, "status": self.status.value,
            "path": str(self.path) if self.path else None, "disk_bytes": self.disk_bytes,
            "url": self.entry.url if self.entry else None,
            "npu_latency_ms": list(self.entry.npu_latency_ms) if self.entry and self.entry.npu_latency_ms else None,
            "accuracy": self.accuracies[0].to_json() if self.accuracies else None,
            "accuracies": [a.to_json() for a in self.accuracies],
            "installed_release": self.installed_release, "problems": list(self.problems),
            "partial_bytes": self.partial.done if self.partial else None,
            "downloading_elsewhere": self.downloading_elsewhere,
        }


def downloads_dir() -> Path:
    return paths.data_dir() / "downloads"


def download_target(entry: CatalogEntry) -> Path:
    return downloads_dir() / entry.file_name


def lock_path(entry: CatalogEntry) -> Path:
    """The empty file whose OS lock says "someone is downloading or installing this entry"."""
    target = download_target(entry)
    return target.with_name(target.name + ".lock")


@contextlib.contextmanager
def _exclusive(entry: CatalogEntry) -> Iterator[None]:
    """Hold the entry's lock for the block, or raise Busy (within LOCK_WAIT_S) when another holder has it.

    The CLI and the model manager both download through `download_and_install`, so two of them
    (in one process or several) never write the same `.part`, sidecar or installed folder at once.
    """
    path = lock_path(entry)
    lock = FileLock(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        acquired = lock.try_acquire(wait_s=LOCK_WAIT_S)
    except OSError as exc:
        raise KinetoscopeError(f"Could not prepare the download folder {path.parent}: {exc.strerror or exc}.",
                               detail=repr(exc)) from exc
    if not acquired:
        pid = lock.holder_pid()
        raise Busy(f"{entry.model_id} ({entry.precision}) is already being downloaded by another Kinetoscope "
                   "process; try again when it has finished.",
                   detail=f"{path} is locked" + (f" by process {pid}" if pid else ""))
    try:
        yield
    finally:
        lock.release()


def being_downloaded(entry: CatalogEntry) -> bool:
    """Whether another process (or another task in this one) holds the entry's download lock now.

    A peek of microseconds that never creates the lock file: safe to call from a GUI thread and
    harmless to a download starting at that moment (it waits LOCK_WAIT_S for the lock).
    """
    return held_elsewhere(lock_path(entry))


def downloads_elsewhere(catalog: Catalog) -> set[tuple[str, str]]:
    """The keys of the catalog entries whose download lock someone holds now (see `being_downloaded`)."""
    return {entry.key for entry in catalog.entries if being_downloaded(entry)}


def paused_download(entry: CatalogEntry) -> PartialDownload | None:
    """The entry's part on disk, if any (how far a download here or elsewhere has come)."""
    return partial_download(download_target(entry), entry.url)


def _installed_row(model_id: str, precision: str, folder: Path, entry: CatalogEntry | None) -> ModelRow:
    manifest = read_manifest(folder)
    problems = quick_problems(folder)
    release = manifest.source.release if manifest else None
    if problems:
        status = Status.BROKEN
    elif entry is not None and release is not None and release != entry.release:
        status = Status.UPDATE
    else:
        status = Status.INSTALLED
    name = entry.name if entry else (manifest.name if manifest and manifest.name else model_id)
    return ModelRow(model_id, precision, name, status, entry, folder, folder_bytes(folder), problems=problems,
                    installed_release=release, accuracies=entry.accuracies if entry else ())


def list_models(catalog: Catalog) -> list[ModelRow]:
    """Every catalog model in every precision, then installed models the catalog does not know,
    then the bundled ones. Cheap: stats files, never hashes them; peeks at the download lock
    only of catalog entries that have a lock file (`downloading_elsewhere`)."""
    rows: list[ModelRow] = []
    seen: set[tuple[str, str]] = set()
    for entry in catalog.entries:
        seen.add(entry.key)
        folder = installed_dir(*entry.key)
        elsewhere = being_downloaded(entry)  # for an installed model: an update or a repair
        if folder.is_dir():
            rows.append(replace(_installed_row(entry.model_id, entry.precision, folder, entry),
                                downloading_elsewhere=elsewhere))
            continue
        partial = paused_download(entry)
        rows.append(ModelRow(entry.model_id, entry.precision, entry.name,
                             Status.PARTIAL if partial else Status.NOT_INSTALLED, entry, None, partial=partial,
                             downloading_elsewhere=elsewhere, accuracies=entry.accuracies))
    for loc in available_models():
        if (loc.model_id, loc.precision) in seen:
            continue
        seen.add((loc.model_id, loc.precision))
        if loc.bundled:
            size = loc.path.stat().st_size if loc.path.is_file() else folder_bytes(loc.path)
            rows.append(ModelRow(loc.model_id, loc.precision, model_name(loc), Status.BUNDLED, None, loc.path, size,
                                 accuracies=catalog.accuracies(loc.model_id)))
        else:
            rows.append(_installed_row(loc.model_id, loc.precision, loc.path, None))
    return rows


def download_and_install(entry: CatalogEntry, *, cancel: CancelToken | None = None,
                         on_progress: Callable[[DownloadProgress], None] | None = None,
                         on_stage: Callable[[str], None] | None = None, timeouts: Timeouts = Timeouts(),
                         max_bytes: int = MAX_DOWNLOAD_BYTES) -> Manifest:
    """Download (resuming if possible) the entry's zip, then install it atomically.

    The finished zip is deleted either way: once installed it is not needed, and a zip that failed
    the checks must be fetched afresh rather than resumed. The whole of it holds the entry's lock:
    raises Busy, touching nothing, when another process or task is downloading the same entry.
    """
    with _exclusive(entry):
        if on_stage:
            on_stage("Downloading…")
        result = download_file(entry.url, download_target(entry), cancel=cancel, on_progress=on_progress,
                               timeouts=timeouts, max_bytes=max_bytes)
        try:
            if entry.sha256 and result.sha256 != entry.sha256:
                raise ModelError(f"The downloaded {entry.file_name} is not the file the catalog names "
                                 "(its SHA-256 differs); it was not installed.",
                                 detail=f"expected {entry.sha256}, got {result.sha256}")
            return install_zip(result.path, expect=entry.key, cancel=cancel, on_stage=on_stage,
                               source=InstallSource(url=entry.url, release=entry.release))
        finally:
            result.path.unlink(missing_ok=True)


def discard_download(entry: CatalogEntry) -> None:
    """Forget a paused download. Raises Busy when another process is downloading it right now."""
    with _exclusive(entry):
        discard_partial(download_target(entry))


def check_removable(row: ModelRow) -> None:
    if row.status is Status.BUNDLED:
        raise BadInput(f"{row.model_id} ships with Kinetoscope and cannot be removed.")


@dataclass(frozen=True)
class DiskUse:
    """What the models take: those downloaded or imported into the data folder, those inside the app."""

    downloaded: int   # bytes in <data>/models
    bundled: int      # bytes of the zips that ship inside the app (they cannot be removed)
    free: int         # bytes free on the disk that holds <data>/models


def disk_space() -> DiskUse:
    """How many bytes the models use, downloaded and bundled, and how many are free."""
    models = paths.models_dir()
    used = folder_bytes(models) if models.is_dir() else 0
    bundled = sum(loc.path.stat().st_size if loc.path.is_file() else folder_bytes(loc.path)
                  for loc in available_models() if loc.bundled)
    probe = models
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    return DiskUse(used, bundled, shutil.disk_usage(probe).free)
