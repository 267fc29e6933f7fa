"""Reading clips: the right frames, upright, from awkward files; clear errors from bad ones."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import psutil
import pytest

import kinetoscope.engine.media.video as video
from kinetoscope.engine.errors import BadVideo
from kinetoscope.engine.media.sampling import ClipSampler, nearest_time_indices
from kinetoscope.engine.media.video import VideoReader, probe
from locations import MEDIA
from media_factory import BAD, SPECS, is_upright, read_number
from recipes import RESNET, recipe_for

TRANSPORT_STREAMS = ["ts_h264", "ts_mpeg2", "m2ts_h264", "mts_wrap"]
AWKWARD = ["rot90", "rot270", "rot180", "vfr", "short5", "tiny", "uhd", "portrait", "ten_bit",
           "hevc", "vp9", "av1", "mpeg4_avi", "slow6", "faststart", *TRANSPORT_STREAMS]


def _read_all(path: Path, views: int = 5) -> tuple[video.VideoInfo, list[video.ViewFrames]]:
    with VideoReader(path, resize=RESNET.resize) as reader:
        plan = ClipSampler(recipe_for(views=views)).plan(reader.info)
        return reader.info, list(reader.read_views(plan.views))


@pytest.mark.parametrize("name", AWKWARD)
def test_awkward_clips_give_the_planned_frames_upright(awkward, name: str) -> None:
    spec = SPECS[name]
    info, views = _read_all(awkward(name))
    assert (info.width, info.height) == (spec.width, spec.height)
    assert info.rotation == spec.rotation
    assert info.frame_count == spec.frames
    for v in views:
        assert v.rgb.shape == (16, 128, 171, 3) and v.rgb.dtype == np.uint8
        for j, frame in enumerate(v.rgb):
            assert is_upright(frame), f"view {v.view.index} frame {j} is not upright"
            # Frame numbers are encoded in 8 bits.
            assert read_number(frame) == v.view.source_indices[j] % 256


@pytest.mark.parametrize("name", TRANSPORT_STREAMS)
def test_transport_streams_seek_to_the_right_frames_with_zero_based_times(awkward, name: str) -> None:
    # B-frames put a keyframe's pts past its dts, and TS seeking goes by dts: a seek by pts
    # lands after the keyframe and the decoder skips to the next one. The reader must notice
    # and seek by dts, still seeking (not decoding everything) and still on the right frames.
    path = awkward(name)
    with VideoReader(path, resize=RESNET.resize) as reader:
        info = reader.info
        assert info.frame_times_s[0] == 0.0
        assert np.allclose(info.frame_times_s, np.arange(info.frame_count) / 30.0, atol=1e-3)
        plan = ClipSampler(recipe_for(views=5)).plan(info)
        views = list(reader.read_views(plan.views))
        assert reader.seeks >= 4 and reader.info.seekable
        assert reader.decoded_frames < info.frame_count
    for v in views:
        assert [read_number(f) for f in v.rgb] == [i % 256 for i in v.view.source_indices]
        assert np.allclose(v.times_s, np.array(v.view.source_indices) / 30.0, atol=1e-3)


def test_transport_stream_starting_mid_gop_numbers_frames_from_the_first_shown(awkward) -> None:
    # Cut out of a longer recording: the frames ahead of the first keyframe cannot be decoded
    # and must not count, or every frame read by counting from the start is off.
    import av

    path = awkward("ts_mid_gop")
    with av.open(str(path)) as c:
        shown = [read_number(f.to_ndarray(format="rgb24")) for f in c.decode(video=0)]
    info, views = _read_all(path)
    assert info.frame_count == len(shown) and info.frame_times_s[0] == 0.0
    for v in views:
        assert [read_number(f) for f in v.rgb] == [shown[i] for i in v.view.source_indices]


def test_seek_that_keeps_landing_late_falls_back_to_counting_from_the_start(awkward) -> None:
    from dataclasses import replace

    path = awkward("ts_h264")
    info = probe(path)
    # Without the keyframes' dts the reader has no better seek target than their pts.
    info = replace(info, keyframe_dts=info.frame_pts[info.keyframe_indices])
    with VideoReader(path, info=info, resize=RESNET.resize) as reader:
        plan = ClipSampler(recipe_for(views=5)).plan(reader.info)
        views = list(reader.read_views(plan.views))
        assert not reader.info.seekable
    for v in views:
        assert [read_number(f) for f in v.rgb] == [i % 256 for i in v.view.source_indices]


def test_decoder_dropping_a_needed_frame_never_leaves_a_view_unfilled(awkward, monkeypatch) -> None:
    path = awkward("ts_h264")
    info = probe(path)
    plan = ClipSampler(recipe_for(views=5)).plan(info)
    dropped = int(info.frame_pts[plan.views[2].source_indices[3]])
    decoded = VideoReader._decoded

    def dropping(self, container, stream):
        return (f for f in decoded(self, container, stream) if f.pts != dropped)

    monkeypatch.setattr(VideoReader, "_decoded", dropping)
    with VideoReader(path, info=info, resize=RESNET.resize) as reader:
        views = list(reader.read_views(plan.views))
    assert len(views) == 5
    assert [read_number(f) for f in views[0].rgb] == [i % 256 for i in plan.views[0].source_indices]


def test_transport_stream_cut_short_reads_what_is_there(awkward, tmp_path: Path) -> None:
    # TS has no index to contradict: a recording cut mid-packet is a shorter clip, not a bad one.
    data = awkward("ts_h264").read_bytes()
    path = tmp_path / "cut.ts"
    path.write_bytes(data[: len(data) // 2 + 100])
    info, views = _read_all(path)
    assert 100 < info.frame_count < SPECS["ts_h264"].frames
    for v in views:
        assert [read_number(f) for f in v.rgb] == [i % 256 for i in v.view.source_indices]


def test_probe_reads_codec_and_depth(awkward) -> None:
    assert probe(awkward("hevc")).codec == "hevc"
    assert probe(awkward("vp9")).codec in {"vp9", "libvpx-vp9"}
    assert probe(awkward("ten_bit")).pix_fmt == "yuv420p10le"
    assert probe(awkward("mpeg4_avi")).codec == "mpeg4"
    assert probe(awkward("ts_mpeg2")).codec == "mpeg2video"


def test_rotation_comes_from_the_display_matrix(awkward) -> None:
    import av

    # The file itself must carry the rotation, or the upright test proves nothing.
    with av.open(str(awkward("rot90"))) as c:
        frame = next(c.decode(video=0))
        assert (frame.width, frame.height) == (64, 48) and frame.rotation == 90
    info = probe(awkward("rot270"))
    assert (info.coded_width, info.coded_height, info.width, info.height) == (64, 48, 48, 64)


def test_variable_rate_clip_picks_nearest_timestamps(awkward) -> None:
    times = np.array(SPECS["vfr"].pts_ms) / 1000.0
    info, views = _read_all(awkward("vfr"), views=3)
    for v in views:
        expected = nearest_time_indices(list(times), v.view.times_s)
        assert list(v.view.source_indices) == expected
        assert [read_number(f) for f in v.rgb] == expected
        assert np.allclose(v.times_s, times[expected], atol=1e-3)


def test_shared_clips_decode_the_reference_frames(media) -> None:
    # The AVI's frames carry out-of-order timestamps; frames must still come in display order.
    info, views = _read_all(MEDIA / ("clip_mpeg4_mp3_320x240_25fps.avi"))
    for v in views:
        assert list(v.times_s) == sorted(v.times_s)


def test_seeking_gives_the_same_frames_as_decoding_through(awkward, monkeypatch) -> None:
    path = awkward("long")
    with VideoReader(path, resize=RESNET.resize) as reader:
        plan = ClipSampler(recipe_for(views=5)).plan(reader.info)
        seeked = [v.rgb for v in reader.read_views(plan.views)]
        assert reader.seeks >= 4
        seek_decoded = reader.decoded_frames
    monkeypatch.setattr(video, "SEEK_MIN_SAVED_FRAMES", 10**9)
    with VideoReader(path, resize=RESNET.resize) as reader:
        through = [v.rgb for v in reader.read_views(plan.views)]
        assert reader.seeks == 0
        assert reader.decoded_frames > 3 * seek_decoded
    for a, b in zip(seeked, through):
        assert np.array_equal(a, b)
    assert [read_number(f) for f in seeked[2]] == [i % 256 for i in plan.views[2].source_indices]


def test_views_out_of_order_and_repeated(awkward) -> None:
    with VideoReader(awkward("long"), resize=RESNET.resize) as reader:
        plan = ClipSampler(recipe_for(views=5)).plan(reader.info)
        order = [plan.views[3], plan.views[0], plan.views[3], plan.views[4]]
        got = list(reader.read_views(order))
    for v in got:
        assert [read_number(f) for f in v.rgb] == [i % 256 for i in v.view.source_indices]


def test_frame_count_overestimate_clamps_to_last_frame(awkward) -> None:
    from dataclasses import replace

    from kinetoscope.engine.media.sampling import ViewSpec

    with VideoReader(awkward("short5"), resize=RESNET.resize) as reader:
        reader.info = replace(reader.info, frame_count=7)  # as if the header promised two more
        view = ViewSpec(0, (3, 4, 5, 6) + (6,) * 12, (0.0,) * 16, 0.0, 0.1)
        (got,) = reader.read_views([view])
    assert [read_number(f) for f in got.rgb[:4]] == [3, 4, 4, 4]


def test_memory_stays_flat_on_a_long_clip(awkward) -> None:
    path = awkward("long")
    proc = psutil.Process()
    with VideoReader(path, threads=1, resize=RESNET.resize) as reader:
        plan = ClipSampler(recipe_for(views=60)).plan(reader.info)  # views all along the two minutes
        rss = []
        for v in reader.read_views(plan.views):
            rss.append(proc.memory_info().rss)
    # Holding every decoded frame would add 1800 x 65 KB = 118 MB; allow allocator noise.
    growth_mb = (max(rss[5:]) - rss[5]) / 2**20
    assert growth_mb < 8, f"RSS grew {growth_mb:.1f} MB while reading"


@pytest.mark.parametrize("name", BAD)
def test_bad_files_raise_bad_video_quickly(awkward, name: str) -> None:
    path = awkward(name)
    start = time.perf_counter()
    with pytest.raises(BadVideo) as caught:
        with VideoReader(path, resize=RESNET.resize) as reader:
            list(reader.read_views(ClipSampler(RESNET).plan(reader.info).views))
    assert time.perf_counter() - start < 2.0
    message = str(caught.value)
    assert message.endswith(".") and "\n" not in message and "Errno" not in message
    if name == "audio_only":
        assert message == "The clip has no video stream."


def test_missing_file_is_bad_video(tmp_path: Path) -> None:
    with pytest.raises(BadVideo, match="does not exist"):
        probe(tmp_path / "nope.mp4")


def test_reader_closes_its_container(awkward) -> None:
    reader = VideoReader(awkward("tiny"), resize=RESNET.resize)
    reader.close()
    reader.close()
    assert reader._container is None
