"""The one engine entry point: a model on a device classifies clips, view by view.

`VideoClassifier.open(model, device)` opens a model (an id, a zip or a folder) on the CPU or the
NPU; `classify(clip)` samples the views the model's input recipe asks for, runs each, and averages
them, with progress per view and cooperative cancel. The CLI, the window's worker, the self-test,
the benchmark and live mode all run models through it; `scan(clip)` slides the model's window over a
whole clip (see `scan.py`).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kinetoscope.engine.modelfiles.bundle import ModelBundle, open_bundle
from kinetoscope.engine.cancel import CancelToken
from kinetoscope.engine.memory import peak_rss_mb
from kinetoscope.engine.media.preprocess import crop_name, to_model_input
from kinetoscope.engine.media.read_ahead import depth_for, read_ahead
from kinetoscope.engine.recipe import InputRecipe, with_views
from kinetoscope.engine.inference.results import ClipResult, DeviceReport, ModelRef, Timings, ViewResult, top_k
from kinetoscope.engine.inference.scan import ScanProgress, ScanResult, ScanWindow, SegmentRule, scan_clip
from kinetoscope.engine.media.sampling import ClipSampler
from kinetoscope.engine.inference.session import CpuConfig, ModelSession
from kinetoscope.engine.media.video import VideoInfo, VideoReader


@dataclass(frozen=True)
class Progress:
    """Reported before each view is read, and after the last one."""

    views_done: int
    views_total: int


def classify_clip(
    clip: str | Path,
    session: ModelSession,
    *,
    views: int | None = None,
    on_view: Callable[[ViewResult], None] | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    cancel: CancelToken | None = None,
    keep_crops: bool = False,
    info: VideoInfo | None = None,
) -> ClipResult:
    """Classify `clip` with `session`: sample views as the model's recipe says, run each, average them.

    `views` overrides the recipe's number of temporal views (each runs once per spatial crop of the
    recipe, as a view result of its own that names its crop); `on_view` is called as each view completes
    (for live display); `cancel` is checked between views; `info` reuses an earlier `probe` of the
    clip. The next view is read while the model runs when a core is free for it (`read_ahead`);
    the timings' decode is the time the model waited for frames. Raises BadVideo for unreadable clips and Cancelled when
    cancelled.
    """
    started = time.perf_counter()
    clip = Path(clip)
    bundle = session.bundle
    recipe = with_views(bundle.recipe, views)
    sampler = ClipSampler(recipe)
    decode_s = preprocess_s = inference_s = 0.0
    results: list[ViewResult] = []
    with contextlib.ExitStack() as stack:
        spatial = recipe.spatial_crops
        # Several spatial crops are cut from full frames; one, by the reader as it converts.
        reader = stack.enter_context(VideoReader(clip, resize=recipe.resize, info=info,
                                                 crop=recipe.crop if spatial == 1 else None))
        plan = sampler.plan(reader.info)
        total = len(plan.views) * spatial
        height, width = reader.size
        # The next view is decoded and cropped on a thread while the model runs on this one, when
        # a core is free for it (read_ahead.py).
        model_threads = session.cpu_config.resolved_threads() if session.cpu_config is not None else None
        views_ahead = stack.enter_context(read_ahead(reader.read_views(plan.views), recipe.crop,
                                                     depth=depth_for(model_threads), name="classify read-ahead",
                                                     spatial_crops=spatial))
        for done in range(total):
            if cancel is not None:
                cancel.raise_if_cancelled()
            if on_progress is not None:
                on_progress(Progress(done, total))
            t0 = time.perf_counter()
            frames = next(views_ahead)
            t1 = time.perf_counter()
            tensor = to_model_input(frames.crops, recipe)
            view, times_s, crops = frames.view, frames.times_s, frames.crops if keep_crops else None
            which = frames.spatial
            del frames  # the crops are in the tensor now: not kept through the run unless asked for
            t2 = time.perf_counter()
            probs = session.run(tensor)
            del tensor
            t3 = time.perf_counter()
            decode_s += t1 - t0
            preprocess_s += t2 - t1
            inference_s += t3 - t2
            result = ViewResult(
                index=view.index * spatial + which, start_s=view.start_s, end_s=view.end_s,
                frame_times_s=tuple(times_s), source_indices=tuple(view.source_indices),
                probs=probs, top5=top_k(probs, bundle.labels), inference_ms=(t3 - t2) * 1000,
                crops=crops, temporal_index=view.index if spatial > 1 else None,
                crop=crop_name(which, spatial, width, height), slow_frames=recipe.slow_positions,
            )
            results.append(result)
            if on_view is not None:
                on_view(result)
        duration = reader.info.duration_s
    if on_progress is not None:
        on_progress(Progress(total, total))
    mean = np.mean([r.probs for r in results], axis=0)
    timings = Timings.of_run(session.load_ms, started, decode_s, preprocess_s, inference_s)
    return ClipResult(
        clip=clip,
        model=ModelRef.of(bundle, recipe),
        device=session.report,
        views=tuple(results),
        probs=mean,
        top5=top_k(mean, bundle.labels),
        timings=timings,
        peak_rss_mb=peak_rss_mb(),
        clip_duration_s=duration,
    )


class VideoClassifier:
    """A model opened on a device, ready to classify clips. Open it off the GUI thread: opening can
    take seconds (unpacking a zip, compiling for the NPU)."""

    def __init__(self, session: ModelSession) -> None:
        self.session = session

    @classmethod
    def open(cls, model: str | Path | ModelBundle, device: str = "cpu", *, precision: str | None = None,
             cpu: CpuConfig = CpuConfig(), use_context_cache: bool = True) -> VideoClassifier:
        """Open `model` (an installed or bundled id, a zip, a folder, or an opened bundle) on `device`.

        Raises ModelError for a missing or unusable model and DeviceError when the device cannot run it.
        """
        if isinstance(model, ModelBundle):
            bundle = model
        else:
            from kinetoscope.engine.modelfiles.model_store import resolve_model

            bundle = open_bundle(resolve_model(str(model), precision) if isinstance(model, str) else model)
        return cls(ModelSession(bundle, device, cpu=cpu, use_context_cache=use_context_cache))

    @property
    def bundle(self) -> ModelBundle:
        return self.session.bundle

    @property
    def recipe(self) -> InputRecipe:
        return self.session.bundle.recipe

    @property
    def report(self) -> DeviceReport:
        """Where the model runs, as onnxruntime assigned its nodes."""
        return self.session.report

    def classify(self, clip: str | Path, *, views: int | None = None,
                 on_view: Callable[[ViewResult], None] | None = None,
                 on_progress: Callable[[Progress], None] | None = None, cancel: CancelToken | None = None,
                 keep_crops: bool = False, info: VideoInfo | None = None) -> ClipResult:
        """Classify one clip (see `classify_clip`)."""
        return classify_clip(clip, self.session, views=views, on_view=on_view, on_progress=on_progress,
                             cancel=cancel, keep_crops=keep_crops, info=info)

    def scan(self, clip: str | Path, *, every_s: float | None = None, rule: SegmentRule = SegmentRule(),
             on_window: Callable[[ScanWindow], None] | None = None,
             on_progress: Callable[[ScanProgress], None] | None = None, cancel: CancelToken | None = None,
             info: VideoInfo | None = None) -> ScanResult:
        """Scan a whole clip window by window (see `scan_clip`)."""
        return scan_clip(clip, self.session, every_s=every_s, rule=rule, on_window=on_window,
                         on_progress=on_progress, cancel=cancel, info=info)

    def run(self, video: np.ndarray) -> np.ndarray:
        """Probabilities for one prepared input tensor (live mode feeds its windows through this)."""
        return self.session.run(video)
