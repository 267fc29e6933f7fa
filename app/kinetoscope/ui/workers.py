"""The engine's thread: one worker that opens models, creates sessions and classifies clips.

One thread rather than a pool: jobs run one at a time in the order asked, so two classifications
never compete for the NPU (or the CPU cores) and cached sessions need no locks. The GUI talks to
it only through `EngineClient`, whose signals always arrive on the GUI thread.
"""

from __future__ import annotations

import itertools
import logging
import traceback
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shiboken6
from PySide6.QtCore import QObject, QThread, Signal, Slot

from kinetoscope.engine.modelfiles.bundle import ModelBundle, open_bundle
from kinetoscope.engine.cancel import CancelToken
from kinetoscope.engine.inference.classify import Progress, VideoClassifier
from kinetoscope.engine.inference.devices import device_statuses
from kinetoscope.engine.errors import Cancelled, KinetoscopeError
from kinetoscope.engine.inference.results import ViewResult, top_k
from kinetoscope.engine.media.video import probe

log = logging.getLogger(__name__)

# Sessions hold the graph (and, on the NPU, a compiled context); a few cover switching back and
# forth between models and devices without holding every one ever used.
MAX_CACHED_SESSIONS = 4


@dataclass(frozen=True)
class ClassifyJob:
    """One request: classify `clip` with the bundle at `model_path` on `device`."""

    job_id: int
    clip: Path
    model_path: Path
    device: str
    views: int


class EngineWorker(QObject):
    """Lives on the engine thread. Every signal starts with the job id it is about."""

    stage = Signal(int, str)                 # what the job is doing now, for the status bar
    clip_probed = Signal(int, object)        # VideoInfo
    session_ready = Signal(int, object, object)      # DeviceReport
    progress = Signal(int, int, int)         # views done, views total
    view_ready = Signal(int, object, object)  # ViewResult, running top-5 over the views so far
    finished = Signal(int, object)           # ClipResult
    failed = Signal(int, str, str)           # message for people, technical detail
    cancelled = Signal(int)
    devices_ready = Signal(object)           # list[DeviceStatus]

    def __init__(self) -> None:
        super().__init__()
        self._bundles: dict[Path, ModelBundle] = {}
        self._classifiers: OrderedDict[tuple[Path, str], VideoClassifier] = OrderedDict()

    @Slot()
    def probe_devices(self) -> None:
        self.devices_ready.emit(device_statuses())

    @Slot(object, object)
    def run_job(self, job: ClassifyJob, token: CancelToken) -> None:
        jid = job.job_id
        try:
            token.raise_if_cancelled()  # superseded while it waited in the queue
            log.info("job %d: %s with %s on %s, %d views", jid, job.clip, job.model_path.name, job.device, job.views)
            self.stage.emit(jid, "Reading the clip…")
            info = probe(job.clip)  # a bad clip fails before a slow model load
            self.clip_probed.emit(jid, info)
            classifier = self._classifier(job, token)
            token.raise_if_cancelled()
            self.session_ready.emit(jid, classifier.report, classifier.recipe)
            labels = classifier.bundle.labels
            seen: list[np.ndarray] = []

            def on_view(view: ViewResult) -> None:
                seen.append(view.probs)
                self.view_ready.emit(jid, view, top_k(np.mean(seen, axis=0), labels))

            def on_progress(p: Progress) -> None:
                self.progress.emit(jid, p.views_done, p.views_total)

            result = classifier.classify(job.clip, views=job.views or None, on_view=on_view, on_progress=on_progress,
                                         cancel=token, keep_crops=True, info=info)
        except Cancelled:
            log.info("job %d cancelled", jid)
            self.cancelled.emit(jid)
        except KinetoscopeError as exc:
            log.warning("job %d failed: %s (%s)", jid, exc.message, exc.detail or "no detail")
            self.failed.emit(jid, exc.message, exc.detail)
        except Exception as exc:  # a bug: keep the thread alive, tell the window, log everything
            log.exception("job %d crashed", jid)
            self.failed.emit(jid, f"Unexpected error: {exc}", traceback.format_exc())
        else:
            log.info("job %d done: %s (%.0f ms)", jid, result.top5[0].label, result.timings.total_ms)
            self.finished.emit(jid, result)

    def _classifier(self, job: ClassifyJob, token: CancelToken) -> VideoClassifier:
        key = (job.model_path, job.device)
        classifier = self._classifiers.get(key)
        if classifier is not None:
            self._classifiers.move_to_end(key)
            return classifier
        bundle = self._bundles.get(job.model_path)
        if bundle is None:
            self.stage.emit(job.job_id, "Opening the model…")
            bundle = self._bundles[job.model_path] = open_bundle(job.model_path)
        token.raise_if_cancelled()
        where = "the NPU (first use compiles the model; this can take a while)" if job.device == "npu" else "the CPU"
        self.stage.emit(job.job_id, f"Preparing {bundle.name} for {where}…")
        classifier = VideoClassifier.open(bundle, job.device)
        self._classifiers[key] = classifier
        while len(self._classifiers) > MAX_CACHED_SESSIONS:
            self._classifiers.popitem(last=False)
        return classifier

    @Slot()
    def release(self) -> None:
        """Drop sessions on the engine thread that used them, before the thread stops."""
        self._classifiers.clear()
        self._bundles.clear()


class EngineClient(QObject):
    """The GUI's handle on the engine thread: submit, cancel, and hear back on the GUI thread."""

    stage = Signal(int, str)
    clip_probed = Signal(int, object)
    session_ready = Signal(int, object, object)
    progress = Signal(int, int, int)
    view_ready = Signal(int, object, object)
    finished = Signal(int, object)
    failed = Signal(int, str, str)
    cancelled = Signal(int)
    devices_ready = Signal(object)

    _run_requested = Signal(object, object)
    _probe_requested = Signal()
    _release_requested = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._ids = itertools.count(1)
        self._tokens: dict[int, CancelToken] = {}
        self._thread = QThread()
        self._thread.setObjectName("kinetoscope-engine")
        self._worker = EngineWorker()
        self._worker.moveToThread(self._thread)
        self._run_requested.connect(self._worker.run_job)
        self._probe_requested.connect(self._worker.probe_devices)
        self._release_requested.connect(self._worker.release)
        w = self._worker
        for source, relay in ((w.stage, self.stage), (w.clip_probed, self.clip_probed),
                              (w.session_ready, self.session_ready), (w.progress, self.progress),
                              (w.view_ready, self.view_ready), (w.devices_ready, self.devices_ready)):
            source.connect(relay)
        w.finished.connect(self._on_finished)
        w.failed.connect(self._on_failed)
        w.cancelled.connect(self._on_cancelled)
        self._thread.start()

    def submit(self, clip: Path, model_path: Path, device: str, views: int) -> int:
        """Queue a classification; returns its job id."""
        job = ClassifyJob(next(self._ids), Path(clip), Path(model_path), device, views)
        token = CancelToken()
        self._tokens[job.job_id] = token
        self._run_requested.emit(job, token)
        return job.job_id

    def cancel(self, job_id: int) -> None:
        """Ask a job to stop at its next check (between views); it then reports `cancelled`."""
        token = self._tokens.get(job_id)
        if token is not None:
            token.cancel()

    def probe_devices(self) -> None:
        self._probe_requested.emit()

    def shutdown(self, timeout_ms: int = 20_000) -> None:
        """Cancel everything and stop the thread, waiting for the current step to end."""
        for token in self._tokens.values():
            token.cancel()
        if not self._thread.isRunning():
            return
        self._release_requested.emit()
        self._thread.quit()
        if not self._thread.wait(timeout_ms):
            log.error("the engine thread did not stop within %d ms", timeout_ms)
            return
        # The thread is gone, so its worker can be destroyed here, deterministically, rather
        # than by the garbage collector at interpreter exit.
        shiboken6.delete(self._worker)

    def _on_finished(self, job_id: int, result: object) -> None:
        self._tokens.pop(job_id, None)
        self.finished.emit(job_id, result)

    def _on_failed(self, job_id: int, message: str, detail: str) -> None:
        self._tokens.pop(job_id, None)
        self.failed.emit(job_id, message, detail)

    def _on_cancelled(self, job_id: int) -> None:
        self._tokens.pop(job_id, None)
        self.cancelled.emit(job_id)
