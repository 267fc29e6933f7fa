"""The benchmark's settings bar: model, precisions, devices, input, warm-up and measured runs."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLabel, QSpinBox, QWidget

from kinetoscope.engine.bench.bench_setup import BenchConfig
from kinetoscope.engine.modelfiles.model_store import DEFAULT_MODEL_ID, DEMO_MODEL_ID, available_models, model_name
from kinetoscope.ui.benchmark.job import BenchRequest

PRECISIONS = ("float", "w8a8")
DEVICES = (("cpu", "CPU"), ("npu", "NPU"))


class BenchControls(QWidget):
    """Choices for the next run; `request()` turns them into a BenchRequest (None if incomplete)."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.clip: Path | None = None
        self._installed: set[str] = set()
        self._models: dict[str, set[str]] = {}  # model id -> installed precisions, as last listed
        self.model_combo = QComboBox(accessibleName="Model")
        self.precision_boxes = {p: QCheckBox(p) for p in PRECISIONS}
        self.device_boxes = {d: QCheckBox(text) for d, text in DEVICES}
        self.input_combo = QComboBox(accessibleName="Input")
        self.warmup_spin = QSpinBox(minimum=0, maximum=1000, value=3, accessibleName="Warm-up runs")
        self.runs_spin = QSpinBox(minimum=1, maximum=10_000, value=20, accessibleName="Measured runs")
        self.tune_box = QCheckBox("Tune CPU")
        self.tune_box.setToolTip("First try a few CPU settings (threads, graph optimisation) and run the CPU "
                                 "with the fastest, so the comparison does not handicap it")
        for box in (*self.precision_boxes.values(), *self.device_boxes.values()):
            box.setChecked(True)
            box.toggled.connect(self.changed)
        self.model_combo.currentIndexChanged.connect(self._model_changed)

        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        for caption, widgets in (("Model", [self.model_combo]), ("Precision", list(self.precision_boxes.values())),
                                 ("Devices", list(self.device_boxes.values())), ("Input", [self.input_combo]),
                                 ("Warm-up", [self.warmup_spin]), ("Runs", [self.runs_spin, self.tune_box])):
            row.addWidget(QLabel(caption))
            for w in widgets:
                row.addWidget(w)
            row.addSpacing(10)
        row.addStretch(1)
        self.reload_models()
        self.set_clip(None)

    def reload_models(self, select: str | None = None) -> None:
        """List the installed (and bundled) models by name, selecting `select` (a model id) if
        given and listed, else keeping the current choice."""
        current = self.model_combo.currentData()
        locations = available_models()
        names = {m.model_id: model_name(m) for m in reversed(locations)}
        self._models = {}
        for m in locations:
            self._models.setdefault(m.model_id, set()).add(m.precision)
        ids = sorted(names, key=lambda i: (i != DEFAULT_MODEL_ID, i != DEMO_MODEL_ID, i))
        self.model_combo.blockSignals(True)
        self.model_combo.clear()
        for model_id in ids:
            self.model_combo.addItem(names[model_id], model_id)
            self.model_combo.setItemData(self.model_combo.count() - 1, model_id, Qt.ItemDataRole.ToolTipRole)
        wanted = select if select in names else current
        index = self.model_combo.findData(wanted) if wanted else 0
        self.model_combo.setCurrentIndex(max(0, index))
        self.model_combo.blockSignals(False)
        self._model_changed()

    def set_npu_label(self, label: str) -> None:
        """Name the NPU box as the main window's device list does ("NPU (HTP simulator)" on a
        machine without an NPU), so a run is known to be simulated before it starts."""
        box = self.device_boxes["npu"]
        box.setText(label)
        box.setToolTip("Qualcomm's x86 simulator of the NPU: correct results, not NPU speed"
                       if "simulator" in label.lower() else "")

    def model_name(self) -> str:
        """The chosen model's name, as the list shows it."""
        return self.model_combo.currentText()

    def set_clip(self, clip: Path | None) -> None:
        """Offer `clip` (the window's current clip) as input, beside the synthetic clip set."""
        self.clip = Path(clip) if clip else None
        self.input_combo.clear()
        self.input_combo.addItem("Synthetic clips (fixed)", None)
        if self.clip is not None:
            self.input_combo.addItem(f"Current clip: {self.clip.name}", str(self.clip))
            self.input_combo.setCurrentIndex(1)

    def _model_changed(self) -> None:
        model = self.model_combo.currentData()
        # The precisions listed with the models: choosing a model does not scan the disk again.
        installed = self._installed = self._models.get(model, set())
        for precision, box in self.precision_boxes.items():
            box.setEnabled(precision in installed)
            box.setChecked(precision in installed)
            box.setToolTip("" if precision in installed else f"{model} is not installed in {precision}")
        self.changed.emit()

    def set_enabled(self, enabled: bool) -> None:
        for w in (self.model_combo, self.input_combo, self.warmup_spin, self.runs_spin, self.tune_box,
                  *self.device_boxes.values()):
            w.setEnabled(enabled)
        for precision, box in self.precision_boxes.items():
            box.setEnabled(enabled and precision in self._installed)

    def request(self) -> BenchRequest | None:
        model = self.model_combo.currentData()
        precisions = tuple(p for p, box in self.precision_boxes.items() if box.isChecked() and p in self._installed)
        devices = tuple(d for d, box in self.device_boxes.items() if box.isChecked())
        if not model or not precisions or not devices:
            return None
        clip = self.input_combo.currentData()
        config = BenchConfig(devices=devices, runs=self.runs_spin.value(), warmup=self.warmup_spin.value(),
                             tune_cpu=self.tune_box.isChecked())
        return BenchRequest(model, precisions, config, Path(clip) if clip else None)
