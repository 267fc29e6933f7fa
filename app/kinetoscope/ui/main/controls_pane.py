"""What to run: model, precision, device and views. Changing any of them asks for a re-run."""

from __future__ import annotations


from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import QComboBox, QFormLayout, QLabel, QSpinBox, QWidget

from kinetoscope.engine.inference.devices import DeviceStatus
from kinetoscope.engine.modelfiles.model_store import (DEFAULT_MODEL_ID, DEMO_MODEL_ID, PRECISIONS, ModelLocation,
                                                       model_name)
from kinetoscope.engine.recipe import MAX_VIEWS
from kinetoscope.ui.main.clip_records import RunOptions

# Spin boxes and combo boxes change in bursts (arrow keys, wheel); one re-run per burst.
CHANGE_SETTLE_MS = 250
MISSING_DEFAULT_IN_WINDOW = ("The Kinetics-400 model (I3D) is not in this installation, so the list starts with "
                             "another model. From a checkout, run “make models”; otherwise reinstall Kinetoscope.")


class ControlsPane(QWidget):
    """Model, precision, device and views pickers. `options_changed` fires once per user edit burst."""

    options_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._locations: list[ModelLocation] = []
        self._statuses: dict[str, DeviceStatus] = {}
        self.model_combo = QComboBox(accessibleName="Model")
        self.precision_combo = QComboBox(accessibleName="Precision")
        self.device_combo = QComboBox(accessibleName="Device")
        # 0 is "as the model's input recipe says" (AI Hub's models: 5; the bundled I3D: 3).
        self.views_spin = QSpinBox(minimum=0, maximum=MAX_VIEWS, value=0, specialValueText="Model's default")
        self.views_spin.setAccessibleName("Views")
        self.views_spin.setToolTip("How many evenly spaced views of the clip the model sees; "
                                   "\"Model's default\" uses the number its input recipe names")
        # Said where this installation lacks the Kinetics-400 model: the list then starts with
        # another model, and the person must know that it is not the one they expected.
        self.model_note = QLabel(wordWrap=True)
        self.model_note.setVisible(False)
        self.device_note = QLabel(wordWrap=True)
        self.device_note.setEnabled(False)  # greyed: a hint, not a control

        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for text, widget in (("&Model", self.model_combo), ("&Precision", self.precision_combo),
                             ("&Device", self.device_combo), ("&Views", self.views_spin)):
            label = QLabel(text)
            label.setBuddy(widget)
            form.addRow(label, widget)
            if widget is self.model_combo:
                form.addRow(self.model_note)
        form.addRow(self.device_note)

        self._settle = QTimer(self, singleShot=True, interval=CHANGE_SETTLE_MS)
        self._settle.timeout.connect(self.options_changed)
        self.model_combo.activated.connect(self._model_picked)
        self.precision_combo.activated.connect(self._settle.start)
        self.device_combo.activated.connect(self._device_picked)
        self.views_spin.valueChanged.connect(self._views_edited)
        self._quiet = False
        self.set_devices([])

    # -- filling in -----------------------------------------------------------------------
    def set_models(self, locations: list[ModelLocation]) -> None:
        """Offer these installed models; keeps the current choice when it is still there."""
        self._locations = list(locations)
        current = self.model_combo.currentData()
        ids = sorted({m.model_id for m in locations}, key=lambda i: (i != DEFAULT_MODEL_ID, i != DEMO_MODEL_ID, i))
        # Named as the Models window and the results name them; the id is in the tooltip.
        names = {m.model_id: model_name(m) for m in reversed(locations)}  # the first location's name wins
        self.model_combo.clear()
        for model_id in ids:
            self.model_combo.addItem(names[model_id], model_id)
            self.model_combo.setItemData(self.model_combo.count() - 1, model_id, Qt.ItemDataRole.ToolTipRole)
        self._select(self.model_combo, current)
        self._fill_precisions(self.precision_combo.currentData())
        missing = bool(locations) and DEFAULT_MODEL_ID not in ids
        self.model_note.setText(MISSING_DEFAULT_IN_WINDOW if missing else "")
        self.model_note.setVisible(missing)

    def set_devices(self, statuses: list[DeviceStatus]) -> None:
        """Offer the devices; unavailable ones stay listed, disabled, with the reason shown."""
        self._statuses = {s.kind: s for s in statuses}
        current = self.device_combo.currentData() or "cpu"
        self.device_combo.clear()
        self.device_combo.addItem("CPU", "cpu")
        npu = self._statuses.get("npu")
        self.device_combo.addItem(npu.label if npu else "NPU (checking…)", "npu")
        usable = npu is not None and npu.available
        item = self.device_combo.model().item(1) if isinstance(self.device_combo.model(), QStandardItemModel) else None
        if item is not None and not usable:
            item.setEnabled(npu is None)  # while checking, a saved NPU choice may stand
            item.setToolTip(npu.reason if npu else "")
        if npu is not None and not usable and current == "npu":
            current = "cpu"
        self._select(self.device_combo, current)
        self._update_note()

    def apply(self, model_id: str, precision: str, device: str, views: int) -> None:
        """Select these values (as far as they exist) without asking for a re-run."""
        self._quiet = True
        try:
            self._select(self.model_combo, model_id)
            self._fill_precisions(precision)
            if device == "cpu" or self.device_combo.model().item(1).isEnabled():
                self._select(self.device_combo, device)
            self.views_spin.setValue(views)
        finally:
            self._quiet = False
        self._update_note()

    # -- reading --------------------------------------------------------------------------
    def options(self) -> RunOptions | None:
        """The current choice, or None when no model is installed."""
        model_id, precision = self.model_combo.currentData(), self.precision_combo.currentData()
        for m in self._locations:
            if m.model_id == model_id and m.precision == precision:
                return RunOptions(model_id, precision, m.path, self.device_combo.currentData() or "cpu",
                                  self.views_spin.value(), self.model_combo.currentText())
        return None

    def npu_is_simulated(self) -> bool:
        """Whether the NPU on offer is the HTP simulator (the NPU's results, at a CPU's pace at best)."""
        npu = self._statuses.get("npu")
        return npu is not None and npu.available and npu.simulated

    def device_label(self, kind: str) -> str:
        status = self._statuses.get(kind)
        return status.label if status else kind.upper()

    # -- reacting -------------------------------------------------------------------------
    def _model_picked(self) -> None:
        self._fill_precisions(self.precision_combo.currentData())
        self._settle.start()

    def _device_picked(self) -> None:
        self._update_note()
        self._settle.start()

    def _views_edited(self) -> None:
        if not self._quiet:
            self._settle.start()

    def _fill_precisions(self, wanted: str | None) -> None:
        model_id = self.model_combo.currentData()
        have = {m.precision for m in self._locations if m.model_id == model_id}
        ordered = [p for p in PRECISIONS if p in have] + sorted(have - set(PRECISIONS))
        self.precision_combo.clear()
        for precision in ordered:
            self.precision_combo.addItem(precision, precision)
        self._select(self.precision_combo, wanted)

    def _update_note(self) -> None:
        npu = self._statuses.get("npu")
        if npu is None:
            text = "Checking for an NPU…"
        elif not npu.available:
            text = f"NPU unavailable: {npu.reason}."
        elif npu.simulated and self.device_combo.currentData() == "npu":
            text = "The HTP simulator gives the NPU's results on this PC, much slower than a real NPU."
        else:
            text = ""
        self.device_note.setText(text)
        self.device_note.setVisible(bool(text))

    @staticmethod
    def _select(combo: QComboBox, data: object) -> None:
        index = combo.findData(data) if data is not None else -1
        combo.setCurrentIndex(index if index >= 0 else (0 if combo.count() else -1))

