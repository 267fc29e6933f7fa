"""Parts of real clips taught under new names, recognised in re-encoded copies of other parts and in
a compilation of them through the scan (slow: I3D on the CPU)."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from kinetoscope.engine.media.synthetic import encode_clip
from kinetoscope.engine.inference.classify import VideoClassifier
from kinetoscope.engine.teach import teaching
from kinetoscope.engine.teach.probe import NONE_LABEL
from i3d_fixtures import i3d_cache, i3d_session  # noqa: F401  (fixtures)

pytestmark = pytest.mark.slow

# New names for what three of the shared clips show; two parts of each are taught, a third held out.
TAUGHT = {"table match": "arm_wrestling_340x256_28fps.mp4", "pool chores": "clip_340x256_30fps.mp4",
          "hoops practice": "clip_426x240_29.97fps.mp4"}
UNTAUGHT = "clip_mpeg4_mp3_320x240_25fps.avi"  # someone putting on make-up
PARTS = ((0.0, 3.0), (3.5, 6.5))
HELD_OUT = (7.0, 9.8)


def reencode(src: Path, start: float, end: float, dst: Path, size: tuple[int, int] = (320, 240)) -> list[np.ndarray]:
    """Frames of `src` from `start` to `end` s, scaled to `size`, written to `dst` at 25 fps (H.264, crf 30)."""
    frames = []
    with av.open(str(src)) as container:
        for frame in container.decode(video=0):
            t = float(frame.time)
            if start <= t < end:
                frames.append(frame.reformat(width=size[0], height=size[1], format="rgb24").to_ndarray())
    encode_clip(dst, frames, 25, crf=30)
    return frames


def test_parts_of_real_clips_are_recognised_in_reencoded_clips_and_a_compilation(media, i3d_session, i3d_cache,
                                                                                   tmp_path) -> None:
    for action, name in TAUGHT.items():
        for start, end in PARTS:
            teaching.add_example("clips", action, media / name, start, end, session=i3d_session, cache=i3d_cache)
    result = teaching.train_set("clips", session=i3d_session, cache=i3d_cache)
    print(f"\nreal clips: leave-one-clip-out {result.report.accuracy:.0%}, threshold "
          f"{result.report.threshold:.3f}, block weights {result.report.block_weights}, trained in {result.report.train_seconds * 1000:.0f} ms")
    classifier = VideoClassifier.open("clips", "cpu")
    compilation = []
    for action, name in TAUGHT.items():
        held = tmp_path / f"{action.replace(' ', '_')}.mp4"
        compilation += reencode(media / name, *HELD_OUT, held)
        top = classifier.classify(held).top5[0]
        assert top.label == action, (action, classifier.classify(held).top5)
    joined = encode_clip(tmp_path / "compilation.mp4", compilation, 25)
    scan = classifier.scan(joined)
    labels = [s.label for s in scan.segments if s.label != NONE_LABEL]
    # Each taught part in order (neighbouring windows that straddle two clips may add a short span).
    assert [labels[0], labels[-1]] == ["table match", "hoops practice"] and "pool chores" in labels, scan.segments
    untaught = classifier.classify(media / UNTAUGHT)
    assert untaught.rejected, untaught.top5
