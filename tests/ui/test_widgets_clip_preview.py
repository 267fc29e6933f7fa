"""ClipPreview: real clips, seeking, rotated phone clips shown upright, broken files."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest
import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage

from kinetoscope.engine.media.preview_frames import PreviewDecoder
from kinetoscope.engine.media.sampling import ClipSampler
from kinetoscope.engine.media.video import VideoReader
from kinetoscope.ui.widgets.clip_preview import ClipPreview
from locations import MEDIA
from recipes import RESNET, recipe_for

CLIP = MEDIA / "arm_wrestling_340x256_28fps.mp4"
AVI = MEDIA / "clip_mpeg4_mp3_320x240_25fps.avi"

def rotated_clip(path: Path, degrees: int = 90) -> Path:
    """A landscape 160x96 clip, red block top-left as coded, with a display-matrix rotation."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264" if "libx264" in av.codecs_available else "mpeg4", rate=15)
        stream.width, stream.height, stream.pix_fmt = 160, 96, "yuv420p"
        stream.set_display_rotation(degrees)
        for _ in range(15):
            rgb = np.full((96, 160, 3), 40, np.uint8)
            rgb[:32, :48] = (255, 0, 0)
            for packet in stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def as_array(image: QImage) -> np.ndarray:
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    ptr = image.constBits()
    rows = np.frombuffer(ptr, np.uint8).reshape(image.height(), image.bytesPerLine())
    return rows[:, : image.width() * 3].reshape(image.height(), image.width(), 3).copy()


def red_quadrant(rgb: np.ndarray) -> str:
    h, w = rgb.shape[:2]
    red = (rgb[..., 0] > 180) & (rgb[..., 1] < 80) & (rgb[..., 2] < 80)
    quads = {"top-left": red[: h // 2, : w // 2], "top-right": red[: h // 2, w // 2 :],
             "bottom-left": red[h // 2 :, : w // 2], "bottom-right": red[h // 2 :, w // 2 :]}
    return max(quads, key=lambda k: quads[k].mean())


@pytest.fixture
def preview(qtbot):
    widget = ClipPreview()
    qtbot.addWidget(widget)
    widget.resize(480, 360)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def loaded(preview: ClipPreview, qtbot, path: Path) -> None:
    preview.load(path)
    qtbot.waitUntil(lambda: preview.shown_time_s() is not None, timeout=10_000)


def settled_at(preview: ClipPreview, qtbot, seconds: float) -> None:
    preview.seek(seconds)
    qtbot.waitUntil(lambda: not preview.is_busy() and preview.shown_time_s() is not None
                    and abs(preview.shown_time_s() - seconds) < 0.1, timeout=10_000)


def test_a_real_clip_loads_with_its_first_frame(preview, qtbot):
    loaded(preview, qtbot, CLIP)
    assert preview.duration_s() == pytest.approx(10.0, abs=0.1)
    assert preview.shown_time_s() == 0.0
    image = preview.current_image()
    assert not image.isNull()
    assert image.width() / image.height() == pytest.approx(340 / 256, rel=0.02)
    assert preview.message() == ""


def test_seeking_changes_the_frame_and_seeking_back_restores_it(preview, qtbot):
    loaded(preview, qtbot, CLIP)
    first = as_array(preview.current_image())
    settled_at(preview, qtbot, 6.5)
    later = as_array(preview.current_image())
    assert np.abs(later.astype(int) - first.astype(int)).mean() > 5
    settled_at(preview, qtbot, 0.0)
    assert np.array_equal(as_array(preview.current_image()), first)


def test_a_clip_without_reliable_timestamps_seeks_back_too(preview, qtbot):
    loaded(preview, qtbot, AVI)
    settled_at(preview, qtbot, 4.0)
    settled_at(preview, qtbot, 1.0)
    assert preview.shown_time_s() == pytest.approx(1.0, abs=0.05)


def test_a_rotated_phone_clip_is_shown_upright(preview, qtbot, tmp_path):
    path = rotated_clip(tmp_path / "phone.mp4", 90)
    loaded(preview, qtbot, path)
    shown = as_array(preview.current_image())
    assert shown.shape[0] > shown.shape[1]  # stored landscape, displayed portrait
    # A 90 degree display matrix turns the picture counter-clockwise: top-left goes bottom-left.
    assert red_quadrant(shown) == "bottom-left"
    # ... which is also how the engine feeds the model.
    with VideoReader(path, resize=RESNET.resize) as reader:
        view = next(reader.read_views(ClipSampler(recipe_for(views=1)).plan(reader.info).views))
    assert red_quadrant(view.rgb[0]) == "bottom-left"


def test_a_broken_file_shows_a_message(preview, qtbot, tmp_path):
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"garbage" * 200)
    preview.load(broken)
    qtbot.waitUntil(lambda: "broken.mp4" in preview.message(), timeout=10_000)
    assert preview.current_image().isNull()
    preview.play()
    assert not preview.is_playing()


def test_a_missing_file_shows_a_message(preview, qtbot, tmp_path):
    preview.load(tmp_path / "nowhere.mp4")
    qtbot.waitUntil(lambda: "does not exist" in preview.message(), timeout=10_000)


def test_play_advances_and_space_toggles(preview, qtbot):
    loaded(preview, qtbot, CLIP)
    preview.setFocus()
    qtbot.keyClick(preview, Qt.Key.Key_Space)
    assert preview.is_playing()
    qtbot.waitUntil(lambda: (preview.shown_time_s() or 0) > 0.3, timeout=5000)
    qtbot.keyClick(preview, Qt.Key.Key_Space)
    assert not preview.is_playing()
    stopped_at = preview.position_s()
    qtbot.wait(200)
    assert preview.position_s() == stopped_at


def test_the_slider_follows_seeks(preview, qtbot):
    loaded(preview, qtbot, CLIP)
    preview.seek(3.0)
    assert preview._slider.value() == 3000
    assert preview._time_label.text() == "0:03.0 / 0:10.0"
    preview.seek(99)
    assert preview.position_s() == pytest.approx(preview.duration_s())


def test_loading_again_quickly_keeps_only_the_last_clip(preview, qtbot, tmp_path):
    preview.load(CLIP)
    preview.load(AVI)
    qtbot.waitUntil(lambda: preview.shown_time_s() is not None and not preview.is_busy(), timeout=10_000)
    assert preview.duration_s() == pytest.approx(6.56, abs=0.1)
    preview.clear()
    assert preview.current_image().isNull() and preview.duration_s() == 0.0


def test_closing_while_decoding_is_safe(qtbot):
    widget = ClipPreview()
    widget.show()
    widget.load(MEDIA / "clip_1920x1080_28fps.mp4")
    widget.seek(2.0)
    under_way = widget._lane.tasks()  # the open (and any decode) still on the preview's lane
    assert under_way
    widget.close()
    widget.deleteLater()
    qtbot.wait(50)
    assert not shiboken6.isValid(widget)
    # Each job ends on its own thread; what it made is delivered to nobody, and nothing raises
    # (the suite turns an exception in a slot into a failure).
    assert all(task.wait(20) for task in under_way)
    qtbot.wait(50)


def test_preview_decoder_answers_any_time(tmp_path):
    with PreviewDecoder(CLIP) as decoder:
        late = decoder.frame_at(9.0, 170, 128)
        early = decoder.frame_at(0.5, 170, 128)
        assert late.time_s == pytest.approx(9.0, abs=0.04)
        assert early.time_s == pytest.approx(0.5, abs=0.04)
        assert early.rgb.shape == (128, 170, 3)
        assert decoder.frame_at(100, 170, 128).time_s <= decoder.duration_s
