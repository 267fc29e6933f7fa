"""The sampling plan: the reference's 15 fps resampling and views, from probing alone."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from kinetoscope.engine.media.sampling import (
    ClipSampler,
    nearest_time_indices,
    resample_indices,
    view_starts,
)
from kinetoscope.engine.media.video import VideoInfo, probe
from locations import MEDIA
from media_factory import SPECS
from recipes import RESNET, recipe_for
from reference_preprocessing import reference_indices

# Without the shared clips, one placeholder keeps the test (and the `media` fixture's skip) visible.
SHARED = sorted(p for p in MEDIA.glob("*") if p.suffix in {".mp4", ".avi"}) or [MEDIA / "missing.mp4"]


def _info(count: int, fps: float, times: np.ndarray | None = None) -> VideoInfo:
    return VideoInfo(
        path=Path("x.mp4"), width=64, height=48, rotation=0, fps=fps, frame_count=count,
        duration_s=count / fps, codec="h264", pix_fmt="yuv420p", variable_frame_rate=times is not None,
        frame_times_s=times if times is not None else np.arange(count) / fps,
    )


@pytest.mark.parametrize("path", SHARED, ids=lambda p: p.name)
def test_plan_matches_reference_indices_on_shared_clips(path: Path, media: Path) -> None:
    plan = ClipSampler(recipe_for(views=5)).plan(probe(path))
    assert [list(v.source_indices) for v in plan.views] == reference_indices(path, 5)


def test_30fps_takes_every_other_frame() -> None:
    assert resample_indices(10, 30.0, 15.0) == [0, 2, 4, 6, 8]


def test_near_15fps_is_not_resampled() -> None:
    assert resample_indices(20, 14.7, 15.0) == list(range(20))


def test_below_15fps_repeats_frames() -> None:
    # 6 fps: step 0.4, indices round(0.4 k); Python's round goes half to even like torch's.
    assert resample_indices(4, 6.0, 15.0) == [0, 0, 1, 1, 2, 2, 2, 3, 3, 4 - 1]


def test_view_starts_follow_linspace() -> None:
    assert view_starts(150, 5, 16) == [0, 33, 67, 100, 134]  # floor(0, 33.5, 67, 100.5, 134)
    assert view_starts(10, 5, 16) == [0, 0, 0, 0, 0]  # shorter than a view: all start at 0


def test_short_clip_pads_with_last_frame() -> None:
    plan = ClipSampler(RESNET).plan(_info(5, 30.0))
    assert plan.resampled_count == 2
    for view in plan.views:
        assert view.source_indices == (0, 2) + (2,) * 14
        assert len(view.times_s) == RESNET.frames


def test_single_frame_clip_gives_one_frame_views() -> None:
    plan = ClipSampler(RESNET).plan(_info(1, 30.0))
    assert all(set(v.source_indices) == {0} for v in plan.views)


def test_view_times_and_span() -> None:
    view = ClipSampler(RESNET).plan(_info(300, 30.0)).views[1]
    assert view.times_s[0] == pytest.approx(33 / 15)
    assert np.allclose(np.diff(view.times_s), 1 / 15)
    assert view.start_s == view.times_s[0]
    assert view.end_s == pytest.approx(view.times_s[-1] + 1 / 15)


def test_nearest_time_breaks_ties_to_earlier_frame() -> None:
    assert nearest_time_indices([0.0, 0.1, 0.2], [0.05, 0.149, 0.151, 9.0]) == [0, 1, 2, 2]


def test_variable_rate_samples_by_timestamp() -> None:
    times = np.array([0.0, 0.03, 0.06, 0.3, 0.33, 0.36, 0.6])
    plan = ClipSampler(recipe_for(views=1)).plan(_info(len(times), 7 / 0.63, times))
    k_times = plan.views[0].times_s[: plan.resampled_count]
    expected = [int(np.argmin(np.abs(times - t))) for t in k_times]
    assert list(plan.views[0].source_indices[: plan.resampled_count]) == expected


def test_probe_flags_variable_rate_clip(awkward) -> None:
    info = probe(awkward("vfr"))
    assert info.variable_frame_rate
    expected = np.array(SPECS["vfr"].pts_ms) / 1000.0
    assert np.allclose(info.frame_times_s, expected - expected[0], atol=1e-3)


def test_dropped_frames_do_not_make_a_clip_variable_rate(media: Path) -> None:
    # The shared 1080p clip has one 6-frame gap; the reference treats it as constant-rate.
    assert not probe(MEDIA / "clip_1920x1080_28fps.mp4").variable_frame_rate
