"""The window's model picker names models as Models does, and sees models the CLI installs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from PySide6.QtWidgets import QApplication

from helpers import wait_until
from locations import REPO
from kinetoscope.engine.modelfiles.model_library import Status, list_models
from kinetoscope.engine.modelfiles.catalog import load_catalog
from model_factory import tiny_classifier, write_bundle_folder


def test_the_model_picker_shows_names_not_ids(qapp: QApplication, make_window) -> None:
    window = make_window(views=1)
    combo = window.controls.model_combo
    texts = {combo.itemData(i): combo.itemText(i) for i in range(combo.count())}
    assert texts["i3d_kinetics"] == "I3D (Kinetics-400)"
    assert texts["motion_demo"] == "Motion demo"
    # The Models window's rows say the same for the bundled models.
    rows = {row.model_id: row.name for row in list_models(load_catalog()) if row.status is Status.BUNDLED}
    assert rows["i3d_kinetics"] == texts["i3d_kinetics"]


def test_a_model_imported_with_the_cli_appears_without_opening_models(qapp: QApplication, make_window,
                                                                       home: Path, tmp_path: Path) -> None:
    window = make_window(views=1)
    combo = window.controls.model_combo
    assert combo.findData("cli_tiny") < 0
    folder = write_bundle_folder(tmp_path / "bundle", tiny_classifier(), model_id="cli_tiny")
    env = {**os.environ, "KINETOSCOPE_HOME": str(home), "PYTHONPATH": str(REPO / "app")}
    done = subprocess.run([sys.executable, "-m", "kinetoscope", "models", "import", str(folder)], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    wait_until(qapp, lambda: combo.findData("cli_tiny") >= 0, timeout_s=10, what="the imported model in the picker")
    assert combo.itemText(combo.findData("cli_tiny")) == "Cli Tiny"  # its bundle's name
    assert window.tools.models is None  # Models was never opened
    assert window.controls.options().model_id == "motion_demo"  # the choice in use stays


def test_removing_the_model_in_use_in_models_moves_on_and_remembers_the_next(qapp: QApplication, make_window,
                                                                            home: Path) -> None:
    # As a removal made elsewhere (the CLI) does: the Models window's change goes the same way.
    window = make_window(views=1)
    write_bundle_folder(home / "models" / "tiny_video" / "float", tiny_classifier(9), model_id="tiny_video",
                        top_folder=False)
    window.actions_.models.trigger()
    pane = window.tools.models
    pane.models_changed.emit()
    pane.use_model.emit("tiny_video", "float")
    wait_until(qapp, lambda: window.store.load().model_id == "tiny_video", what="the chosen model saved")
    shutil.rmtree(home / "models" / "tiny_video")
    pane.models_changed.emit()
    assert window.controls.options().model_id != "tiny_video"
    assert window.store.load().model_id == window.controls.options().model_id
