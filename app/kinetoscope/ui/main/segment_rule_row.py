"""The scan page's segment rule: how its windows merge into labelled segments, in three small boxes.

The boxes edit an engine `SegmentRule` (threshold, smoothing, shortest segment) and say each change
at once; redrawing the segments is the scan runner's business, saving the rule the window's.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QSpinBox, QWidget

from kinetoscope.engine.inference.scan import SegmentRule
from kinetoscope.settings import MAX_SEGMENT_WINDOWS
from kinetoscope.ui.widgets.layouts import buddy, row

RULE_TIP = ("A segment is a run of consecutive windows whose top action is the same, after each action's "
            "probability is averaged over the smoothing windows. It is kept if that action's mean probability "
            "over the run is at least the threshold and the run spans at least the minimum windows.")


def _count_suffix(spin: QSpinBox, value: int) -> None:
    spin.setSuffix(" window" if value == 1 else " windows")  # "at least 1 window", "3 windows"


def describe_rule(rule: SegmentRule) -> str:
    """The rule in a few words, for the status bar."""
    smoothing = f"smoothed over {rule.smoothing} windows" if rule.smoothing > 1 else "not smoothed"
    shortest = f"at least {rule.min_windows} window{'s' if rule.min_windows != 1 else ''}"
    return f"mean probability ≥ {rule.threshold * 100:.0f} %, {smoothing}, {shortest}"


class SegmentRuleRow(QWidget):
    """"Segments: mean ≥ [25 %] · smoothing [3] · at least [1] windows", and the segment count."""

    rule_changed = Signal(object)  # SegmentRule

    def __init__(self, rule: SegmentRule = SegmentRule(), parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.threshold_spin = self._spin("Segment threshold", 0, 100, " %", prefix="mean ≥ ")
        self.smoothing_spin = self._spin("Segment smoothing", 1, MAX_SEGMENT_WINDOWS, " windows",
                                         prefix="smoothed over ")
        self.smoothing_spin.setSpecialValueText("not smoothed")  # 1: each window on its own
        self.min_windows_spin = self._spin("Shortest segment", 1, MAX_SEGMENT_WINDOWS, " windows",
                                           prefix="at least ")
        self.count_label = QLabel()
        self.count_label.setEnabled(False)  # muted: a caption, not a control
        label = buddy("Se&gments", self.threshold_spin)
        label.setToolTip(RULE_TIP)
        row(label, self.threshold_spin, self.smoothing_spin, self.min_windows_spin, (self.count_label, 1), parent=self,
            margins=(0, 0, 0, 0), spacing=6)
        self.set_rule(rule)
        for spin in (self.threshold_spin, self.smoothing_spin, self.min_windows_spin):
            spin.valueChanged.connect(lambda _value: self.rule_changed.emit(self.rule()))
        for spin in (self.smoothing_spin, self.min_windows_spin):
            spin.valueChanged.connect(lambda value, spin=spin: _count_suffix(spin, value))

    def _spin(self, name: str, low: int, high: int, suffix: str, prefix: str) -> QSpinBox:
        spin = QSpinBox(minimum=low, maximum=high, suffix=suffix, prefix=prefix, accessibleName=name)
        spin.setToolTip(RULE_TIP)
        return spin

    def rule(self) -> SegmentRule:
        """The rule the boxes show."""
        return SegmentRule(threshold=self.threshold_spin.value() / 100, smoothing=self.smoothing_spin.value(),
                           min_windows=self.min_windows_spin.value())

    def set_rule(self, rule: SegmentRule) -> None:
        """Show `rule` without saying it changed (it comes from the settings or the runner)."""
        for spin, value in ((self.threshold_spin, round(rule.threshold * 100)),
                            (self.smoothing_spin, rule.smoothing), (self.min_windows_spin, rule.min_windows)):
            spin.blockSignals(True)
            spin.setValue(value)
            spin.blockSignals(False)
        for spin in (self.smoothing_spin, self.min_windows_spin):
            _count_suffix(spin, spin.value())

    def set_count(self, segments: int | None) -> None:
        """Say how many segments the rule gives on the scan on show (None: no scan)."""
        if segments is None:
            self.count_label.setText("")
        elif segments == 0:
            self.count_label.setText("no segment: try a lower threshold")
        else:
            self.count_label.setText(f"{segments} segment{'s' if segments != 1 else ''}")
