"""The Benchmark view: one model on the CPU and the NPU side by side, live, then exported.

A grid of cells (precision × device) fills as the runs arrive; a strip between them gives the
speed-up and the agreement of the predictions. The work runs on the view's own "benchmark" lane;
one timer repaints what changed, five times a second. Failures show in the view's error banner.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QHideEvent
from PySide6.QtWidgets import (QDialog, QFileDialog, QGridLayout, QLabel, QPushButton,
                               QVBoxLayout, QWidget)

from kinetoscope.engine.bench.bench_results import BenchResult, CellKey, CellReady, RunSample, Stage
from kinetoscope.ui.benchmark.cell import BenchCellPanel
from kinetoscope.ui.benchmark.controls import BenchControls
from kinetoscope.ui.benchmark.job import BenchRequest, run_bench
from kinetoscope.ui.tasks import Failure, Lane, Newest, Op, Task
from kinetoscope.ui.widgets.error_panel import ErrorPanel
from kinetoscope.ui.widgets.layouts import column, row
from kinetoscope.ui.widgets.progress_bar import ProgressBar

REPAINT_INTERVAL_MS = 200


class BenchmarkView(QWidget):
    """Choose a model, precisions, devices and input; run; watch; export JSON, CSV and PNG."""

    finished = Signal(object)   # BenchResult

    def __init__(self, parent: QWidget | None = None, clip: Path | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Benchmark")
        self.result: BenchResult | None = None
        self.cells: dict[CellKey, BenchCellPanel] = {}
        self._shown_model: str | None = None  # the model whose run the grid shows
        self._shown_name = ""
        self.controls = BenchControls()
        self.controls.set_clip(clip)
        self.lane = Lane("benchmark", parent=self)
        self._run = Newest()  # the run under way, until its outcome has arrived
        self.errors = ErrorPanel(where="benchmark")

        self.run_button = QPushButton("Run benchmark")
        self.cancel_button = QPushButton("Cancel")
        self.export_json_button = QPushButton("Export JSON…")
        self.export_csv_button = QPushButton("Export CSV…")
        self.export_png_button = QPushButton("Save image…")
        self.progress = ProgressBar(textVisible=True)
        self.status = QLabel("Choose what to compare, then run. Runs alternate between the devices, "
                             "so machine noise hits both alike.")
        self.status.setWordWrap(True)
        self.comparison = QLabel("", accessibleName="Speed-up and agreement")
        self.comparison.setTextFormat(Qt.TextFormat.RichText)
        self.comparison.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.comparison.setWordWrap(True)
        self.grid_host = QWidget()
        self.grid = QGridLayout(self.grid_host)
        self.grid.setContentsMargins(0, 0, 0, 0)

        buttons = row(self.run_button, self.cancel_button, (self.progress, 1), self.export_json_button,
                      self.export_csv_button, self.export_png_button)
        column(self.errors, self.controls, buttons, self.status, (self.grid_host, 1), self.comparison, parent=self)

        self.run_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)
        self.export_json_button.clicked.connect(lambda: self._export_dialog("JSON (*.json)", ".json", self.export_json))
        self.export_csv_button.clicked.connect(lambda: self._export_dialog("CSV (*.csv)", ".csv", self.export_csv))
        self.export_png_button.clicked.connect(lambda: self._export_dialog("PNG image (*.png)", ".png", self.export_png))
        self.controls.changed.connect(self._update_buttons)
        self.controls.changed.connect(self._forget_other_model)
        self._timer = QTimer(self, interval=REPAINT_INTERVAL_MS)
        self._timer.timeout.connect(self._refresh)
        self._update_buttons()

    # -- public -----------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        """True from `start` until the run's outcome has arrived."""
        return self._run.task is not None

    @property
    def task(self) -> Task | None:
        return self._run.task

    def set_clip(self, clip: Path | None) -> None:
        """The window's current clip, offered as the benchmark's input."""
        if not self.running:
            self.controls.set_clip(clip)

    def start(self, request: BenchRequest | None = None) -> bool:
        """Start a run (the controls' choices unless `request` is given); False if it cannot."""
        request = request or self.controls.request()
        if request is None or self.running:
            return False
        self.result = None
        self._build_grid(request)
        self._shown_model = request.model
        self._shown_name = self.controls.model_name() if request.model == self.controls.model_combo.currentData() \
            else request.model
        self.comparison.setText("")
        self.progress.setRange(0, 0)
        name = self.controls.model_name() if request.model == self.controls.model_combo.currentData() else request.model
        self._set_status(f"Starting: {name}, {', '.join(request.precisions)} on "
                         f"{', '.join(d.upper() for d in request.config.devices)}…")
        self.errors.dismiss()
        (Op(self.lane, lambda ctx: run_bench(ctx, request), name=request.model).progress(self._on_events)
         .success(self._on_finished).failure(self._on_failed).cancelled(lambda: self._set_status("Cancelled."))
         .newest_in(self._run).run().ended.connect(self._update_buttons))
        self._timer.start()
        self._update_buttons()
        return True

    def cancel(self) -> None:
        if self.task is not None:
            self.task.cancel()
            self._set_status("Cancelling after the current step…")

    def stop(self, timeout_s: float = 60.0) -> None:
        """Cancel the run and wait for its current step (one inference, or one model load) to end."""
        self._timer.stop()
        task = self._run.drop()  # its queued outcome no longer matters
        if task is not None:
            task.wait(timeout_s)
            self._update_buttons()

    def shutdown(self) -> None:
        """Stop the run and the lane's thread before the view goes away for good."""
        self.stop()
        self.lane.shutdown()

    def export_json(self, path: str | Path) -> Path:
        return self._require_result().write_json(path)

    def export_csv(self, path: str | Path) -> tuple[Path, Path]:
        return self._require_result().write_csv(path)

    def export_png(self, path: str | Path) -> Path:
        self._refresh()
        path = Path(path)
        if not self.grab().save(str(path), "PNG"):
            raise OSError(f"could not write {path}")
        return path

    # -- building ---------------------------------------------------------------------------
    def _build_grid(self, request: BenchRequest) -> None:
        for panel in self.cells.values():
            self.grid.removeWidget(panel)
            panel.deleteLater()
        self.cells.clear()
        for row, precision in enumerate(request.precisions):
            for col, device in enumerate(request.config.devices):
                key = CellKey(precision, device)
                panel = BenchCellPanel(key)
                self.cells[key] = panel
                self.grid.addWidget(panel, row, col)

    # -- events from the run ----------------------------------------------------------------
    def _on_events(self, batch: list[object]) -> None:
        for event in batch:
            self._on_event(event)

    def _on_event(self, event: object) -> None:
        if isinstance(event, RunSample):
            panel = self.cells.get(event.key)
            if panel is not None:
                panel.add_sample(event.phase, event.latency_ms, event.rss_mb)
        elif isinstance(event, CellReady):
            panel = self.cells.get(event.key)
            if panel is not None:
                panel.set_ready(event.report, event.load, event.load_kind)
        elif isinstance(event, Stage):
            self.progress.setRange(0, event.total)
            self.progress.setValue(event.done)
            self.status.setText(event.text)

    def _on_finished(self, result: BenchResult) -> None:
        self.result = result
        self._refresh()
        self._timer.stop()
        self.progress.setValue(self.progress.maximum())
        self.comparison.setText(self._comparison_html(final=True))
        cpu_text = "".join(f" CPU {c.key.precision}: {c.cpu_config['threads']} threads, "
                           f"{c.cpu_config['graph_optimization']}, {c.cpu_config['execution_mode']}"
                           f"{' (tuned)' if result.cpu_tuning else ''}." for c in result.cells if c.cpu_config)
        self._set_status(f"{result.model_name}: done in {result.elapsed_s:.0f} s, {result.config.runs} runs per cell after "
                         f"{result.config.warmup} warm-up, interleaved, on {result.input}.{cpu_text}")
        self._update_buttons()
        self.finished.emit(result)

    def _on_failed(self, failure: Failure) -> None:
        self._timer.stop()
        self.progress.setRange(0, 1)
        self._set_status("The benchmark failed.")
        self.errors.show_failure(failure, "The benchmark failed:")

    def _refresh(self) -> None:
        for panel in self.cells.values():
            panel.refresh()
        if self.result is None:
            self.comparison.setText(self._comparison_html(final=False))

    def _comparison_html(self, final: bool) -> str:
        """Speed-ups and agreement: the final figures with intervals, or running medians."""
        lines = []
        if final and self.result is not None:
            simulated = {c.key for c in self.result.cells if c.report.simulated}
            if simulated:  # first, and as plainly as the figures: they are not the NPU's
                lines.append("<b>NPU times are from Qualcomm's x86 simulator of the NPU, not from an NPU</b>: "
                             "they say nothing about NPU speed; the agreement figures hold.")
            for s, a in zip(self.result.speedups, self.result.agreements):
                lines.append(f"<b>{_cell_name(s.candidate, s.candidate in simulated)}</b> vs "
                             f"{_cell_name(s.baseline, s.baseline in simulated)}: "
                             f"{_speed(s.ratio, s.low, s.high)} · "
                             f"top-1 agreement {a.top1 * 100:.0f} %, top-5 overlap {a.top5_overlap * 100:.0f} % "
                             f"over {a.inputs} inputs, max |Δp| {a.max_abs_diff:.3f}")
        else:
            for precision in dict.fromkeys(k.precision for k in self.cells):
                cpu, npu = self.cells.get(CellKey(precision, "cpu")), self.cells.get(CellKey(precision, "npu"))
                if cpu and npu and cpu.samples and npu.samples:
                    ratio = cpu.median() / npu.median()
                    name = "NPU simulator" if npu.simulated else "NPU"
                    lines.append(f"{precision}: {name} vs CPU so far {_speed(ratio)} (running medians)")
        if self._shown_model is not None and self.controls.model_combo.currentData() != self._shown_model:
            lines.insert(0, f"<b>These figures are from the last run, of {self._shown_name}</b>; run the "
                            f"benchmark to measure {self.controls.model_name()}.")
        return "<br>".join(lines)

    def _forget_other_model(self) -> None:
        """Another model chosen: the last run stays (and can still be exported), and says whose it is,
        so its grid does not read as this model's."""
        if self.running or self._shown_model is None:
            return
        if self.controls.model_combo.currentData() == self._shown_model:
            self._set_status(f"The figures below are from the last run of {self._shown_name}.")
        else:
            self._set_status(f"The figures below are still {self._shown_name}'s, from the last run; run the "
                             f"benchmark to measure {self.controls.model_name()}.")
        self.comparison.setText(self._comparison_html(final=self.result is not None))

    # -- helpers ----------------------------------------------------------------------------
    def _update_buttons(self) -> None:
        running = self.running
        self.run_button.setEnabled(not running and self.controls.request() is not None)
        self.cancel_button.setEnabled(running)
        for b in (self.export_json_button, self.export_csv_button):
            b.setEnabled(self.result is not None and not running)
        self.export_png_button.setEnabled(bool(self.cells))
        self.controls.set_enabled(not running)

    def _set_status(self, text: str) -> None:
        self.status.setText(text)

    def _require_result(self) -> BenchResult:
        if self.result is None:
            raise RuntimeError("no finished benchmark to export")
        return self.result

    def _export_dialog(self, filter_text: str, suffix: str, save) -> None:  # noqa: ANN001
        name = f"benchmark-{self.result.model_id if self.result else 'run'}{suffix}"
        path, _ = QFileDialog.getSaveFileName(self, "Export benchmark", name, filter_text)
        if not path:
            return
        try:
            save(path)
        except OSError as exc:
            self.errors.show_message(f"Could not save {Path(path).name}: {exc.strerror or exc}", repr(exc))
        else:
            self._set_status(f"Saved {path}")

    def hideEvent(self, event: QHideEvent) -> None:  # noqa: N802 - Qt override
        # Hidden views skip painting; the samples keep arriving and show on return.
        self._timer.stop()
        super().hideEvent(event)

    def showEvent(self, event) -> None:  # noqa: N802, ANN001 - Qt override
        if self.running:
            self._timer.start()
        super().showEvent(event)


def _cell_name(key: CellKey, simulated: bool = False) -> str:
    device = "NPU simulator" if simulated and key.device == "npu" else key.device.upper()
    return f"{device} {key.precision}"


def _times(ratio: float) -> str:
    return "–" if not np.isfinite(ratio) else f"{ratio:.3g}×"


def _speed(ratio: float, low: float | None = None, high: float | None = None) -> str:
    """A speed ratio (baseline time / candidate time) in words: a ratio under 1 is a slowdown,
    said as one ("2.23× slower"), not as a "speed-up 0.448×"; an interval that holds 1 is "no
    clear difference"."""
    if not np.isfinite(ratio) or ratio <= 0:
        return "speed-up –"
    if low is not None and high is not None and low <= 1 <= high:
        # The interval holds 1: the run cannot tell which is faster, whatever the median says.
        median = f"{_times(ratio)} faster" if ratio >= 1 else f"{_times(1 / ratio)} slower"
        return (f"<b>no clear difference</b> (median {median}; 95 % interval of the speed-up "
                f"{low:.3g}–{high:.3g}× includes 1)")
    interval = ""
    if ratio >= 1:
        if low is not None and high is not None:
            interval = f" (95 % interval {low:.3g}–{high:.3g}×)"
        return f"speed-up <b>{_times(ratio)}</b>{interval}"
    if low is not None and high is not None and low > 0 and high > 0:
        interval = f" (95 % interval {1 / high:.3g}–{1 / low:.3g}×)"
    return f"<b>{_times(1 / ratio)} slower</b>{interval}"


class BenchmarkDialog(QDialog):
    """The view in its own non-modal window; closing it stops a run cleanly."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Benchmark")  # the platform adds " — Kinetoscope"
        self.resize(1200, 820)
        self.view = BenchmarkView(self)
        QVBoxLayout(self).addWidget(self.view)

    def open_for(self, clip: Path | None, model_id: str | None = None, *, npu_label: str | None = None) -> None:
        """Show the window, offering `clip` as input and choosing `model_id` (the model in use in
        the main window; `npu_label`: its name for the NPU); a run under way keeps its choices."""
        if npu_label:
            self.view.controls.set_npu_label(npu_label)
        if not self.view.running:
            self.view.controls.reload_models(select=model_id)
        self.view.set_clip(clip)
        self.show()
        self.raise_()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        self.view.stop()
        super().closeEvent(event)
