"""The clip itself, upright, with play/pause, a scrub slider and the time.

Frames come from `kinetoscope.engine.media.preview_frames.PreviewDecoder` run on the widget's own
serial "preview" lane (`kinetoscope.ui.tasks`), so decoder calls never overlap and never touch the
GUI thread. Requests are coalesced: while a frame is being decoded only the latest wanted time is
remembered, so dragging the slider or playing a clip the machine decodes slowly drops frames
instead of queueing them.

Qt Multimedia is not used: in this environment it cannot even be imported (its FFmpeg backend
needs PulseAudio libraries), and going through the engine's reader keeps rotation handling in one
place and works on the offscreen platform the tests use.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QElapsedTimer, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QImage, QKeyEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QSlider, QStyle, QToolButton, QWidget

from kinetoscope.ui.tasks import Failure, Lane, Newest, Op, TaskContext
from kinetoscope.ui.widgets._look import rgb_to_qimage
from kinetoscope.ui.widgets.layouts import column, row
from kinetoscope.words import clock

# Upper bound on the decoded picture, in device pixels: enough for a panel on a 4K screen.
_MAX_DECODE_SIDE = 1920
_MIN_TICK_MS = 15
# `position_changed` during playback at most this often: a playhead elsewhere needs no more.
_POSITION_SIGNAL_MS = 33


class _FrameView(QWidget):
    """Paints one picture scaled to fit, centred on a dark background, or a message."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.image = QImage()
        self.message = ""
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(160, 90)

    def sizeHint(self) -> QSize:
        return QSize(480, 270)

    def picture_rect(self) -> QRectF:
        """Where the picture is drawn (aspect kept), in widget coordinates."""
        if self.image.isNull():
            return QRectF()
        w, h = self.image.width(), self.image.height()
        scale = min(self.width() / w, self.height() / h)
        return QRectF((self.width() - w * scale) / 2, (self.height() - h * scale) / 2, w * scale, h * scale)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(18, 18, 20))  # video reads best on near-black in any theme
        if not self.image.isNull():
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            painter.drawImage(self.picture_rect(), self.image)
        if self.message:
            painter.setPen(QColor(235, 235, 235))
            painter.drawText(self.rect().adjusted(12, 12, -12, -12),
                             Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.message)


class ClipPreview(QWidget):
    """Plays a clip upright with play/pause, scrubbing and a time label; Space toggles play.

    `position_changed(seconds)` says where the preview is (-1.0: no clip): on every seek, and
    during playback at most ~30 times a second.
    """

    position_changed = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Clip preview")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._lane = Lane("preview", parent=self)
        self._lane.unhandled.connect(lambda failure: self._on_failed(_cannot_show(failure)))

        self._opening = Newest()      # the clip being opened; load/clear drop it
        self._decoding = Newest()     # the frame being decoded; load/clear drop it
        self._decoder = None          # PreviewDecoder, used only inside pool tasks
        self._start_s = 0.0           # where a clip being opened is shown first
        self._duration = 0.0
        self._fps = 25.0
        self._position = 0.0          # the time being shown (or wanted), seconds
        self._shown_time: float | None = None
        self._busy = False            # a frame request is in the pool
        self._wanted: float | None = None  # the latest time asked for while busy
        self._playing = False
        self._clock = QElapsedTimer()
        self._clock_origin = 0.0
        self._slider_resume = False
        self._path: Path | None = None
        self._since_signal = QElapsedTimer()

        self._view = _FrameView(self)
        self._view.setAccessibleName("Clip picture")
        self._play_button = QToolButton(self, accessibleName="Play", toolTip="Play / pause (Space)")
        self._play_button.clicked.connect(self.toggle_play)
        self._slider = QSlider(Qt.Orientation.Horizontal, self, accessibleName="Position")
        self._slider.setSingleStep(1000)
        self._slider.setPageStep(5000)
        self._slider.valueChanged.connect(self._on_slider_value)
        self._slider.sliderPressed.connect(self._on_slider_pressed)
        self._slider.sliderReleased.connect(self._on_slider_released)
        self._time_label = QLabel(self, accessibleName="Time")
        self._time_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self._time_label.setMinimumWidth(self._time_label.fontMetrics().horizontalAdvance("00:00.0 / 00:00.0") + 6)
        self._updating_slider = False

        controls = row(self._play_button, (self._slider, 1), self._time_label, margins=(4, 0, 6, 4))
        column((self._view, 1), controls, parent=self, margins=(0, 0, 0, 0), spacing=4)

        self._ticker = QTimer(self)
        self._ticker.timeout.connect(self._on_tick)
        self._set_enabled(False)
        self._show_message("No clip")
        self._update_play_button()
        self._update_time()

    # -- public -----------------------------------------------------------------------------

    def load(self, path: str | Path) -> None:
        """Open a clip and show its first frame; reading happens off the GUI thread."""
        self._reset()
        self._path = Path(path)
        self._show_message(f"Opening {self._path.name}…")
        def open_clip(_ctx: TaskContext) -> tuple[object, tuple[float, float, int, int]]:
            from kinetoscope.engine.media.preview_frames import PreviewDecoder

            decoder = PreviewDecoder(path)
            info = decoder.info
            return decoder, (decoder.duration_s, info.fps, info.width, info.height)

        (Op(self._lane, open_clip, name=f"open {self._path.name}").success(lambda opened: self._on_opened(*opened))
         .failure(lambda failure: self._on_failed(_cannot_show(failure)))
         .newest_in(self._opening, superseded=lambda opened: self._close_later(opened[0])).run())

    def seek_once_open(self, seconds: float) -> None:
        """Show the frame at `seconds` now, or as soon as the clip being opened is open."""
        if self._decoder is not None:
            self.seek(seconds)
        else:
            self._start_s = seconds

    def clear(self) -> None:
        """Close the clip and show nothing."""
        self._reset()
        self._show_message("No clip")

    def seek(self, seconds: float) -> None:
        """Show the frame at `seconds` (clamped to the clip); keeps playing if it was."""
        self._position = max(0.0, min(float(seconds), self._duration))
        if self._playing:
            self._restart_clock()
        self._sync_slider()
        self._update_time()
        self._say_position()
        self._request(self._position)

    def play(self) -> None:
        """Play from the current position (from the start if at the end)."""
        if self._decoder is None or self._playing:
            return
        if self._position >= self._duration - 1e-3:
            self._position = 0.0
        self._playing = True
        self._restart_clock()
        self._ticker.start(max(_MIN_TICK_MS, int(1000 / max(1.0, self._fps))))
        self._update_play_button()

    def pause(self) -> None:
        """Stop at the current frame."""
        if not self._playing:
            return
        self._playing = False
        self._ticker.stop()
        self._update_play_button()
        self._say_position()  # where it stopped, even if the last tick was not said

    def toggle_play(self) -> None:
        """Pause if playing, else play."""
        if self._playing:
            self.pause()
        else:
            self.play()

    def is_playing(self) -> bool:
        return self._playing

    def duration_s(self) -> float:
        return self._duration

    def position_s(self) -> float:
        return self._position

    def shown_time_s(self) -> float | None:
        """When the frame on screen is shown in the clip, or None if none is."""
        return self._shown_time

    def current_image(self) -> QImage:
        """The picture on screen (upright, as decoded), or a null image."""
        return self._view.image

    def message(self) -> str:
        """The message drawn over the picture ('' when none)."""
        return self._view.message

    def is_busy(self) -> bool:
        """Whether a decode is still under way."""
        return self._busy or self._lane.busy()

    def sizeHint(self) -> QSize:
        return QSize(480, 320)

    def minimumSizeHint(self) -> QSize:
        return QSize(240, 170)

    # -- internals --------------------------------------------------------------------------

    def _reset(self) -> None:
        self._opening.drop()
        self._decoding.drop()
        self.pause()
        self._close_decoder()
        self._duration = 0.0
        self._position = 0.0
        self._start_s = 0.0
        self._shown_time = None
        self._wanted = None
        self._busy = False
        self._view.image = QImage()
        self._set_enabled(False)
        self._sync_slider()
        self._update_time()
        self.position_changed.emit(-1.0)

    def _close_decoder(self) -> None:
        decoder, self._decoder = self._decoder, None
        if decoder is not None:
            self._close_later(decoder)

    def _close_later(self, decoder: object) -> None:
        # On the lane, after any decode still using it.
        Op(self._lane, lambda _ctx: decoder.close(), name="close").run()  # type: ignore[attr-defined]

    def _request(self, t: float) -> None:
        if self._decoder is None:
            return
        if self._busy:
            self._wanted = t
            return
        self._busy = True
        decoder = self._decoder
        dpr = self.devicePixelRatioF()
        box_w = min(_MAX_DECODE_SIDE, max(64, round(self._view.width() * dpr)))
        box_h = min(_MAX_DECODE_SIDE, max(64, round(self._view.height() * dpr)))

        def decode(_ctx: TaskContext) -> tuple[QImage, float]:
            frame = decoder.frame_at(t, box_w, box_h)  # type: ignore[attr-defined]
            return rgb_to_qimage(frame.rgb), frame.time_s

        (Op(self._lane, decode, name="decode").success(lambda shown: self._on_frame(*shown))
         .failure(lambda failure: self._on_failed(_cannot_show(failure))).newest_in(self._decoding).run())

    def _on_opened(self, decoder: object, details: tuple[float, float, int, int]) -> None:
        self._decoder = decoder
        self._duration, self._fps, _, _ = details
        self._show_message("")
        self._set_enabled(True)
        self._slider.blockSignals(True)
        self._slider.setRange(0, max(1, round(self._duration * 1000)))
        self._slider.blockSignals(False)
        self.seek(self._start_s)

    def _on_failed(self, message: str) -> None:
        self._busy = False
        self._wanted = None
        self.pause()
        self._close_decoder()
        self._view.image = QImage()
        self._set_enabled(False)
        self._show_message(message)

    def _on_frame(self, image: QImage, time_s: float) -> None:
        self._busy = False
        self._view.image = image
        self._shown_time = time_s
        self._view.update()
        if self._wanted is not None:
            wanted, self._wanted = self._wanted, None
            self._request(wanted)

    def _on_tick(self) -> None:
        position = min(self._duration, self._clock_origin + self._clock.elapsed() / 1000.0)
        self._position = position
        self._sync_slider()
        self._update_time()
        if position >= self._duration:
            self.pause()  # says the end position
        elif not self._since_signal.isValid() or self._since_signal.elapsed() >= _POSITION_SIGNAL_MS:
            self._say_position()
        self._request(position)

    def _say_position(self) -> None:
        self._since_signal.start()
        self.position_changed.emit(self._position if self._decoder is not None else -1.0)

    def _restart_clock(self) -> None:
        self._clock_origin = self._position
        self._clock.start()

    def _on_slider_value(self, value: int) -> None:
        if not self._updating_slider:
            self.seek(value / 1000.0)

    def _on_slider_pressed(self) -> None:
        # Scrubbing while playing would fight the clock; resume after the drag.
        self._slider_resume = self._playing
        self.pause()

    def _on_slider_released(self) -> None:
        if self._slider_resume:
            self.play()

    def _sync_slider(self) -> None:
        self._updating_slider = True
        self._slider.setValue(round(self._position * 1000))
        self._updating_slider = False

    def _update_time(self) -> None:
        self._time_label.setText(f"{clock(self._position, tenths=True)} / {clock(self._duration, tenths=True)}")

    def _update_play_button(self) -> None:
        icon = QStyle.StandardPixmap.SP_MediaPause if self._playing else QStyle.StandardPixmap.SP_MediaPlay
        self._play_button.setIcon(self.style().standardIcon(icon))
        self._play_button.setAccessibleName("Pause" if self._playing else "Play")

    def _set_enabled(self, enabled: bool) -> None:
        self._play_button.setEnabled(enabled)
        self._slider.setEnabled(enabled)

    def _show_message(self, message: str) -> None:
        self._view.message = message
        self._view.setAccessibleDescription(message)
        self._view.update()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # Keys the focused child ignores arrive here: Space from the slider or the preview itself
        # (the play button handles its own Space as a click), arrows step by a second.
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self.toggle_play()
            return
        if self._decoder is not None and event.key() in (Qt.Key.Key_Left, Qt.Key.Key_Right):
            self.seek(self._position + (1.0 if event.key() == Qt.Key.Key_Right else -1.0))
            return
        super().keyPressEvent(event)

    def hideEvent(self, event) -> None:  # noqa: ANN001 - Qt's QHideEvent
        self.pause()  # nobody is watching
        super().hideEvent(event)

    def closeEvent(self, event) -> None:  # noqa: ANN001 - Qt's QCloseEvent
        self._reset()
        super().closeEvent(event)


def _cannot_show(failure: Failure) -> str:
    """What the picture says when a clip cannot be shown: the engine's words, else a plain one."""
    if failure.unexpected:  # anything FFmpeg raises means "cannot show it"
        return "This clip cannot be shown."
    return failure.message
