"""What the engine lane runs for the main window: classify one clip, probe the devices.

The jobs are plain functions of a `TaskContext` (see `kinetoscope.ui.tasks`); they report what
happens as the small values below, which `ClipRunner` receives on the GUI thread. Sessions are
cached in a `SessionCache` that only engine-lane jobs touch, so it needs no lock, and it is
cleared on that same thread when the lane shuts down.
"""

from __future__ import annotations

import gc
import logging
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kinetoscope.engine.inference.classify import Progress, VideoClassifier
from kinetoscope.engine.inference.results import ClipResult, DeviceReport, Prediction, ViewResult, top_k
from kinetoscope.engine.media.video import VideoInfo, probe
from kinetoscope.engine.memory import return_freed_memory
from kinetoscope.engine.modelfiles.bundle import ModelBundle, open_bundle
from kinetoscope.engine.modelfiles.recipe import InputRecipe
from kinetoscope.ui.tasks import TaskContext

log = logging.getLogger(__name__)

# Sessions hold the graph (and, on the NPU, a compiled context): hundreds of MB each for the
# Kinetics-400 models. The one in use and the one before it cover switching back and forth
# between two models or devices without holding every one ever used.
MAX_CACHED_SESSIONS = 2


@dataclass(frozen=True)
class ClassifyRequest:
    """Classify `clip` with the bundle at `model_path` on `device` (`views` 0: the model's default)."""

    clip: Path
    model_path: Path
    device: str
    views: int


# -- what a classification reports, in order --------------------------------------------------
@dataclass(frozen=True)
class StageChanged:
    text: str                      # what the job is doing now, for the status bar


@dataclass(frozen=True)
class ClipProbed:
    info: VideoInfo


@dataclass(frozen=True)
class SessionReady:
    report: DeviceReport
    recipe: InputRecipe


@dataclass(frozen=True)
class ViewsDone:
    done: int
    total: int


@dataclass(frozen=True)
class ViewReady:
    view: ViewResult
    running_top5: tuple[Prediction, ...]  # over the views so far


class SessionCache:
    """Open bundles and classifiers, most recently used last. Touched only on the engine lane."""

    def __init__(self) -> None:
        self._bundles: dict[Path, ModelBundle] = {}
        self._classifiers: OrderedDict[tuple[Path, str], VideoClassifier] = OrderedDict()

    def classifier(self, model_path: Path, device: str, ctx: TaskContext) -> VideoClassifier:
        key = (model_path, device)
        classifier = self._classifiers.get(key)
        if classifier is not None:
            self._classifiers.move_to_end(key)
            return classifier
        bundle = self._bundles.get(model_path)
        if bundle is None:
            ctx.report(StageChanged("Opening the model…"))
            bundle = self._bundles[model_path] = open_bundle(model_path)
        ctx.raise_if_cancelled()
        where = "the NPU (first use compiles the model; this can take a while)" if device == "npu" else "the CPU"
        ctx.report(StageChanged(f"Preparing {bundle.name} for {where}…"))
        if len(self._classifiers) >= MAX_CACHED_SESSIONS:
            # Let the oldest go before opening the new one: its memory is reused, not added to.
            self.keep_only(list(self._classifiers)[-(MAX_CACHED_SESSIONS - 1):] + [key])
        classifier = VideoClassifier.open(bundle, device)
        self._classifiers[key] = classifier
        return classifier

    def cached(self) -> list[tuple[Path, str]]:
        """The (model path, device) of each cached session, least recently used first."""
        return list(self._classifiers)

    def keep_only(self, keys: list[tuple[Path, str]]) -> None:
        """Release every session but those of `keys`, and the bundles none of them uses."""
        for key in [k for k in self._classifiers if k not in keys]:
            del self._classifiers[key]
        used = {path for path, _device in self._classifiers} | {path for path, _device in keys}
        for path in [p for p in self._bundles if p not in used]:
            del self._bundles[path]
        gc.collect()  # now, not at some later collection, should a released session sit in a cycle
        return_freed_memory()

    def clear(self) -> None:
        self.keep_only([])


def classify(ctx: TaskContext, sessions: SessionCache, request: ClassifyRequest) -> ClipResult:
    """The engine-lane job behind one clip's classification."""
    log.info("classify %s with %s on %s, %d views", request.clip, request.model_path.name, request.device,
             request.views)
    ctx.report(StageChanged("Reading the clip…"))
    info = probe(request.clip)  # a bad clip fails before a slow model load
    ctx.report(ClipProbed(info))
    classifier = sessions.classifier(request.model_path, request.device, ctx)
    ctx.raise_if_cancelled()
    ctx.report(SessionReady(classifier.report, classifier.recipe))
    labels = classifier.bundle.labels
    seen: list[np.ndarray] = []

    def on_view(view: ViewResult) -> None:
        seen.append(view.probs)
        ctx.report(ViewReady(view, top_k(np.mean(seen, axis=0), labels)))

    def on_progress(p: Progress) -> None:
        ctx.report(ViewsDone(p.views_done, p.views_total))

    result = classifier.classify(request.clip, views=request.views or None, on_view=on_view,
                                 on_progress=on_progress, cancel=ctx.token, keep_crops=True, info=info)
    log.info("classify %s done: %s (%.0f ms)", request.clip.name, result.top5[0].label, result.timings.total_ms)
    return result
