"""The pipeline: a clip and a model session in, per-view and whole-clip predictions out."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kinetoscope.engine.cancel import CancelToken
from kinetoscope.engine.memory import peak_rss_mb
from kinetoscope.engine.preprocess import center_crop, to_model_input
from kinetoscope.engine.results import ClipResult, ModelRef, Timings, ViewResult, top_k
from kinetoscope.engine.sampling import ClipSampler
from kinetoscope.engine.session import ModelSession
from kinetoscope.engine.video import VideoInfo, VideoReader

DEFAULT_VIEWS = 5


@dataclass(frozen=True)
class Progress:
    """Reported before each view is read, and after the last one."""

    views_done: int
    views_total: int


def classify_clip(
    clip: str | Path,
    session: ModelSession,
    *,
    views: int = DEFAULT_VIEWS,
    on_view: Callable[[ViewResult], None] | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    cancel: CancelToken | None = None,
    keep_crops: bool = False,
    info: VideoInfo | None = None,
) -> ClipResult:
    """Classify `clip` with `session`: sample views as the reference does, run each, average them.

    `on_view` is called as each view completes (for live display); `cancel` is checked between
    views; `info` reuses an earlier `probe` of the clip. Raises BadVideo for unreadable clips and
    Cancelled when cancelled.
    """
    started = time.perf_counter()
    clip = Path(clip)
    bundle = session.bundle
    sampler = ClipSampler(views=views, frames_per_view=bundle.frames)
    decode_s = preprocess_s = inference_s = 0.0
    results: list[ViewResult] = []
    with VideoReader(clip, info=info) as reader:
        plan = sampler.plan(reader.info)
        total = len(plan.views)
        view_frames = reader.read_views(plan.views)
        for done in range(total):
            if cancel is not None:
                cancel.raise_if_cancelled()
            if on_progress is not None:
                on_progress(Progress(done, total))
            t0 = time.perf_counter()
            frames = next(view_frames)
            t1 = time.perf_counter()
            crops = center_crop(frames.rgb)
            tensor = to_model_input(crops)
            t2 = time.perf_counter()
            probs = session.run(tensor)
            t3 = time.perf_counter()
            decode_s += t1 - t0
            preprocess_s += t2 - t1
            inference_s += t3 - t2
            view = frames.view
            result = ViewResult(
                index=view.index, start_s=view.start_s, end_s=view.end_s,
                frame_times_s=tuple(frames.times_s), source_indices=tuple(view.source_indices),
                probs=probs, top5=top_k(probs, bundle.labels), inference_ms=(t3 - t2) * 1000,
                crops=crops if keep_crops else None,
            )
            results.append(result)
            if on_view is not None:
                on_view(result)
        duration = reader.info.duration_s
    if on_progress is not None:
        on_progress(Progress(total, total))
    mean = np.mean([r.probs for r in results], axis=0)
    elapsed_ms = (time.perf_counter() - started) * 1000
    timings = Timings(load_ms=session.load_ms, decode_ms=decode_s * 1000, preprocess_ms=preprocess_s * 1000,
                      inference_ms=inference_s * 1000, total_ms=session.load_ms + elapsed_ms)
    return ClipResult(
        clip=clip,
        model=ModelRef(bundle.model_id, bundle.name, bundle.precision, bundle.source),
        device=session.report,
        views=tuple(results),
        probs=mean,
        top5=top_k(mean, bundle.labels),
        timings=timings,
        peak_rss_mb=peak_rss_mb(),
        clip_duration_s=duration,
    )
