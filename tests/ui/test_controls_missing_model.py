"""The Model box where the installation lacks the Kinetics-400 model: it says so, and how to fix it."""

from __future__ import annotations

from kinetoscope.engine.modelfiles.model_store import DEFAULT_MODEL_ID, DEMO_MODEL_ID, available_models
from kinetoscope.ui.main.controls_pane import ControlsPane


def test_a_missing_default_model_is_said_under_the_model_box(qtbot):
    pane = ControlsPane()
    qtbot.addWidget(pane)
    pane.show()
    everything = available_models()
    pane.set_models(everything)
    assert {DEFAULT_MODEL_ID, DEMO_MODEL_ID} <= {m.model_id for m in everything}
    assert pane.model_combo.currentData() == DEFAULT_MODEL_ID and not pane.model_note.isVisible()

    pane.set_models([m for m in everything if m.model_id != DEFAULT_MODEL_ID])
    assert pane.model_note.isVisible() and "make models" in pane.model_note.text()
    assert pane.model_combo.currentData() == DEMO_MODEL_ID  # what is there, and the note says it is not I3D
