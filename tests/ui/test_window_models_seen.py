"""The window's model picker names models as Models does."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication

from kinetoscope.engine.modelfiles.model_library import Status, list_models
from kinetoscope.engine.modelfiles.catalog import load_catalog


def test_the_model_picker_shows_names_not_ids(qapp: QApplication, make_window) -> None:
    window = make_window(views=1)
    combo = window.controls.model_combo
    texts = {combo.itemData(i): combo.itemText(i) for i in range(combo.count())}
    assert texts["i3d_kinetics"] == "I3D (Kinetics-400)"
    assert texts["motion_demo"] == "Motion demo"
    # The Models window's rows say the same for the bundled models.
    rows = {row.model_id: row.name for row in list_models(load_catalog()) if row.status is Status.BUNDLED}
    assert rows["i3d_kinetics"] == texts["i3d_kinetics"]
