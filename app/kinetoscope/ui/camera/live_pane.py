"""Live mode's controls and results: start/stop, how often, the live top-5, the window's frames,
and the latency and memory graphs. It presents `LiveRunner`'s results; it runs nothing itself."""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QLabel, QPushButton, QSpinBox, QWidget

from kinetoscope.engine.media.frame_source import TimedFrame
from kinetoscope.engine.inference.live import LiveConfig, LiveResult
from kinetoscope.ui.camera.live_runner import LiveRunner
from kinetoscope.ui.tasks import Failure
from kinetoscope.ui.widgets.frame_strip import FrameStrip
from kinetoscope.ui.widgets.layouts import buddy, column, row
from kinetoscope.ui.widgets.live_graphs import LiveGraphs
from kinetoscope.ui.widgets.predictions import TopPredictions

SMOOTHING_ON = 0.5  # EMA weight of the newest window: about the last three windows count
STATUS_INTERVAL_S = 1.0  # text is costly to lay out; once a second is plenty


class LivePane(QWidget):
    """Live classification of the camera's frames with the chosen model and device."""

    live_toggled = Signal(bool)
    failed = Signal(object)  # Failure: live mode stopped; the camera view's banner says why

    def __init__(self, parent: QWidget | None = None, runner: LiveRunner | None = None) -> None:
        super().__init__(parent)
        self.runner = runner or LiveRunner(self)
        self._model_path: Path | None = None
        self._has_input = False  # a camera (or a synthetic source) is giving frames
        self._device = "cpu"
        self._device_label = ""
        self._status_at = 0.0
        self.results_shown = 0

        self.start_button = QPushButton("Start Live", checkable=True)
        self.start_button.setToolTip("Classify the camera's last 16 frames (at 15 fps) as they come")
        self.every_spin = QSpinBox(minimum=1, maximum=16, value=LiveConfig().every_n)
        self.every_spin.setAccessibleName("Classify every N frames")
        self.every_spin.setToolTip("Run the model after every N new frames (at 15 fps, 4 is ~4 times a second)")
        self.smooth_check = QCheckBox("Smooth")
        self.smooth_check.setChecked(True)
        self.smooth_check.setToolTip("Average the probabilities over the last few windows, so the top-5 "
                                     "does not flicker")
        self.status = QLabel("Choose a model to classify live.", wordWrap=True, accessibleName="Live status")
        self.predictions = TopPredictions()
        self.strip = FrameStrip()
        self.strip.set_view_count(1)
        self.graphs = LiveGraphs()

        controls = row(self.start_button, buddy("Every", self.every_spin), self.every_spin, QLabel("frames"),
                       self.smooth_check, 1)
        column(controls, self.status, self.predictions, self.strip, (self.graphs, 1), parent=self, margins=(0, 0, 0, 0))

        self.start_button.toggled.connect(self._toggled)
        self.runner.ready.connect(self._ready)
        self.runner.result.connect(self.show_result)
        self.runner.failed.connect(self._failed)
        self._update_enabled()

    # -- public -----------------------------------------------------------------------------

    def set_model(self, model_path: Path | None, device: str = "cpu") -> None:
        """What to classify with; a running live session restarts with the new choice."""
        changed = (model_path, device) != (self._model_path, self._device)
        self._model_path = Path(model_path) if model_path else None
        self._device = device
        self._update_enabled()
        if changed and self.runner.running:
            self._restart()
        elif not self.runner.running:
            self._say_idle()

    def set_input_available(self, available: bool) -> None:
        """Whether a camera gives frames; without one live mode would wait forever, so it stops."""
        self._has_input = available
        if not available and self.start_button.isChecked():
            self.stop()
        self._update_enabled()
        if not self.runner.running:
            self._say_idle()

    def _say_idle(self) -> None:
        if not self._has_input:
            self.status.setText("Live classification starts from a camera's pictures.")
        elif self._model_path is None:
            self.status.setText("Choose a model to classify live.")
        else:
            self.status.setText("Ready: press Start Live.")

    def config(self) -> LiveConfig:
        return LiveConfig(every_n=self.every_spin.value(),
                          smoothing=SMOOTHING_ON if self.smooth_check.isChecked() else 1.0)

    def start(self) -> None:
        self.start_button.setChecked(True)

    def stop(self) -> None:
        self.start_button.setChecked(False)

    def push(self, frame: TimedFrame) -> None:
        """Hand a camera frame to the running classifier (no-op when live mode is off)."""
        self.runner.push(frame)

    def shutdown(self) -> None:
        self.graphs.stop_memory_sampling()
        self.runner.shutdown()

    def show_result(self, result: LiveResult) -> None:
        self.results_shown += 1
        self.predictions.set_predictions(result.top5, "Live" + (" (smoothed)" if self.smooth_check.isChecked() else ""))
        # Times since the camera started, so consecutive windows visibly slide along.
        self.strip.set_view_frames(0, result.crops, result.times_s)
        self.strip.set_active_view(None)
        self.graphs.add_latency(result.inference_ms)
        now = time.monotonic()
        if now - self._status_at >= STATUS_INTERVAL_S:
            self._status_at = now
            s = result.stats
            self.status.setText(
                f"Live on {self._device_label or self._device.upper()} · inference {result.inference_ms:.0f} ms · "
                f"result {result.latency_ms:.0f} ms after the newest frame · {s.windows_run} windows classified, "
                f"{s.windows_dropped} skipped while the model was busy")

    # -- internals --------------------------------------------------------------------------

    def _toggled(self, on: bool) -> None:
        if on and (self._model_path is None or not self._has_input):
            self.start_button.setChecked(False)
            return
        if on:
            self._restart()
        else:
            self.runner.stop()
            self.graphs.stop_memory_sampling()
            self.status.setText("Live classification stopped.")
            self.start_button.setText("Start Live")
        self._update_enabled()
        self.every_spin.setEnabled(not on)
        self.smooth_check.setEnabled(not on)
        self.live_toggled.emit(on)

    def _restart(self) -> None:
        assert self._model_path is not None
        self.predictions.clear()
        self.strip.clear()
        self.strip.set_view_count(1)
        self.strip.set_active_view(0)
        self._device_label = ""
        self.status.setText("Opening the model…" if self._device == "cpu"
                            else "Preparing the model for the NPU (the first time can take a while)…")
        self.runner.start(self._model_path, self._device, self.config())
        self.graphs.start_memory_sampling()
        self.start_button.setText("Stop Live")

    def _ready(self, report: object) -> None:
        self._device_label = getattr(report, "label", "") or ""
        if self._model_path is not None:
            self.graphs.start_run(f"{self._model_path.stem} · {self._device_label or self._device.upper()}")
        self.status.setText(f"Live on {self._device_label or self._device.upper()}: waiting for 16 frames…")

    def _failed(self, failure: Failure) -> None:
        self.start_button.setChecked(False)
        self.status.setText("Live classification stopped.")
        self.failed.emit(failure)

    def _update_enabled(self) -> None:
        running = self.start_button.isChecked()
        self.start_button.setEnabled(running or (self._model_path is not None and self._has_input))
        if running:
            tip = "Stop classifying the camera"
        elif not self._has_input:
            tip = "No camera is giving pictures: connect or choose a camera to classify live"
        elif self._model_path is None:
            tip = "Choose a model in the main window to classify live"
        else:
            tip = "Classify the camera's last 16 frames (at 15 fps) as they come"
        self.start_button.setToolTip(tip)
