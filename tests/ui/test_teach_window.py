"""The Teach window: a set built by dropping clips and marking a part on the whole-clip timeline,
trained with progress, its report shown, and used by the main window (tiny base model: fast)."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QInputDialog

from helpers import wait_until
from kinetoscope.engine.teach import teaching
from kinetoscope.engine.teach.action_set import load_set

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "teach"))
from motions import render  # noqa: E402
from tiny_base import install_tiny_base  # noqa: E402


def _drop(widget, paths: list[Path], at: QPoint) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    event = QDropEvent(QPointF(at), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                       Qt.KeyboardModifier.NoModifier)
    widget.dropEvent(event)


def test_a_set_built_by_dropping_and_marking_is_trained_and_used(qapp, make_window, tmp_path, monkeypatch):
    base = install_tiny_base(tmp_path)
    clips = {m: [render(tmp_path, m, 70 + k) for k in range(3)] for m in ("growing", "moving left")}
    teaching.add_example("shapes", "growing", clips["growing"][0], model=base)  # the set, on the tiny base
    window = make_window(views=1)
    window.actions_.teach.trigger()
    teach = window.tools.teach
    assert teach is not None and teach.isVisible() and teach.set_combo.currentText() == "shapes"
    assert teach.base_label.text() == "taught on Tiny Base, float"  # the model's name, not its id
    assert "&Teach…" in [a.text() for a in window.menuBar().actions()[2].menu().actions()]

    # Drop two clips on the action "growing"
    tree = teach.tree
    rect = tree.visualItemRect(tree.topLevelItem(0))
    _drop(tree, clips["growing"][1:], rect.center())
    wait_until(qapp, lambda: not teach._busy() and load_set("shapes").example_count == 3, what="the drop")
    # ... and clips dropped elsewhere ask which action they show.
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("moving left", True))
    _drop(tree, clips["moving left"][:2], QPoint(5, tree.viewport().height() - 5))
    wait_until(qapp, lambda: not teach._busy() and load_set("shapes").example_count == 5, what="the second drop")

    # A part marked on the whole-clip timeline (Shift+drag) becomes an example of the action named.
    monkeypatch.setattr(QInputDialog, "getItem", lambda *a, **k: ("moving left", True))
    window.open_paths([clips["moving left"][2]])
    wait_until(qapp, lambda: window.current_clip is not None, what="the clip to open")
    window.scan_pane.timeline.span_marked.emit(0.2, 1.9)
    wait_until(qapp, lambda: not teach._busy() and load_set("shapes").example_count == 6, what="the marked part")
    part = load_set("shapes").action("moving left").examples[-1]
    assert (part.start_s, part.end_s) == (0.2, 1.9)
    assert teach.tree.topLevelItem(1).childCount() == 3

    steps = []
    task = teach.train()
    task.progress.connect(steps.append)
    wait_until(qapp, lambda: not teach._busy(), 120, what="training")
    assert "Saved as the model shapes" in teach.status.text()
    assert teach.report_view.per_action.rowCount() == 2
    assert teach.report_view.confusions.columnCount() == 3
    assert "Leave-one-clip-out accuracy" in teach.report_view.summary.text()
    assert steps and steps[-1].done == steps[-1].total == 6

    chosen = []
    teach.use_model.connect(lambda m, p: chosen.append((m, p)))
    teach.use_button.click()
    assert chosen == [("shapes", "float")]
    options = window.controls.options()
    assert (options.model_id, options.precision) == ("shapes", "float")
    assert window.tools.teach is teach
    teach.close()


def test_record_adds_the_camera_recording_as_an_example(qapp, make_window, tmp_path, monkeypatch, home):
    from kinetoscope.engine.media.frame_source import SyntheticSource

    base = install_tiny_base(tmp_path)
    teaching.add_example("shapes", "growing", render(tmp_path, "growing", 70), model=base)
    window = make_window(views=1)
    window.actions_.teach.trigger()
    teach = window.tools.teach
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("moving left", True))
    teach.record_button.click()                          # no action selected: it asks which
    camera = window.tools.camera
    assert camera is not None and camera.isVisible()
    assert "Record an example of moving left" in teach.status.text()

    view = camera.view
    view.use_source(SyntheticSource("moving left", width=320, height=240, fps=30), 30)
    view.toggle_recording()
    wait_until(qapp, lambda: view.capture.recorder.duration() > 1500, 20, what="two seconds of recording")
    view.toggle_recording()
    wait_until(qapp, lambda: not teach._busy() and load_set("shapes").example_count == 2, 60,
               what="the recording to become an example")
    example = load_set("shapes").action("moving left").examples[0]
    assert Path(example.clip).parent == home / "Videos"
    assert Path(example.clip) in window.clips.paths()   # and it opened in the clip list as before
    # The next recording is the user's own again: not an example unless asked.
    view.toggle_recording()
    wait_until(qapp, lambda: view.capture.recorder.duration() > 500, 20, what="another recording")
    view.toggle_recording()
    wait_until(qapp, lambda: len(window.clips.paths()) == 2, 30, what="the second recording to open")
    assert load_set("shapes").example_count == 2
    camera.close()
    teach.close()
