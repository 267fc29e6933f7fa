"""The Tools menu: the model manager, benchmark, camera and library windows, wired to the main window."""

from __future__ import annotations

import shutil

from helpers import SAMPLE, wait_until
from model_factory import tiny_classifier, write_bundle_folder


def test_tools_menu_offers_the_four_windows(make_window):
    window = make_window()
    titles = [a.text() for m in window.menuBar().findChildren(type(window.actions_.recent_menu))
              if m.title() == "&Tools" for a in m.actions()]
    assert titles == ["&Models…", "&Benchmark…", "&Camera…", "&Teach…", "&Library…"]
    assert window.actions_.models.shortcut().toString() == "Ctrl+M"


def test_use_this_model_selects_it_and_reruns(qapp, make_window, home, sample_clip):
    window = make_window(views=1)
    window.open_paths([sample_clip])
    wait_until(qapp, lambda: "Ran on CPU" in window.status_text.text(), what="the first run")
    # A model installed behind the window's back, as the model manager's install would leave it.
    write_bundle_folder(home / "models" / "tiny_video" / "float", tiny_classifier(9), model_id="tiny_video",
                        top_folder=False)
    window.actions_.models.trigger()
    pane = window.tools.models
    assert pane is not None and pane.isVisible()
    pane.models_changed.emit()
    pane.use_model.emit("tiny_video", "float")
    options = window.controls.options()
    assert (options.model_id, options.precision) == ("tiny_video", "float")
    wait_until(qapp, lambda: window.clip_view.predictions.predictions()
               and window.clip_view.predictions.predictions()[0].label.startswith("action"),
               what="the re-run with the chosen model")
    assert window.store.load().model_id == "tiny_video"


def test_closing_the_models_window_hides_it_and_quitting_closes_everything(qapp, make_window):
    window = make_window()
    window.actions_.models.trigger()
    window.actions_.benchmark.trigger()
    window.actions_.camera.trigger()
    tools = window.tools
    assert tools.benchmark.isVisible() and tools.camera.isVisible()
    tools.models.window().close()
    assert not tools.models.isVisible()
    window.close()
    qapp.processEvents()
    assert not tools.benchmark.isVisible() and not tools.camera.isVisible()


def test_a_recording_opens_like_any_clip(qapp, make_window, tmp_path):
    window = make_window(views=1)
    window.actions_.camera.trigger()
    recording = shutil.copy(SAMPLE, tmp_path / "kinetoscope-recording.mp4")
    window.tools.camera.view.recorded.emit(recording)
    wait_until(qapp, lambda: window.current_clip is not None and window.current_clip.name == "kinetoscope-recording.mp4",
               what="the recording to open")
    window.tools.camera.close()


def test_a_failed_download_keeps_the_windows_results(qapp, make_window, sample_clip, tmp_path, monkeypatch):
    """A download that fails changes no model: File ▸ Export Results… still has the clip's result."""
    catalog = tmp_path / "catalog.json"
    catalog.write_text('{"format": 1, "release": "v0.47.0", "url_template": '
                       '"http://127.0.0.1:9/{id}/{release}/{id}-onnx-{precision}.zip", '
                       '"models": [{"id": "resnet_3d", "name": "ResNet 3D", "precisions": {"float": {}}}]}')
    monkeypatch.setenv("KINETOSCOPE_CATALOG", str(catalog))
    window = make_window(views=1)
    window.open_paths([sample_clip])
    wait_until(qapp, lambda: "Ran on CPU" in window.status_text.text(), what="the run")
    window.actions_.models.trigger()
    pane = window.tools.models
    wait_until(qapp, pane.is_ready, what="the models list")
    pane.action_button(("resnet_3d", "float"), "Download").click()
    wait_until(qapp, lambda: pane.row_message(("resnet_3d", "float")), what="the failed download")
    assert window.clips.result_for(sample_clip, window.controls.options()) is not None
    from kinetoscope.ui.main.exporting import list_results

    assert list_results(window.clips, window.controls.options())  # what Export Results… writes
    window.tools._models_dialog.close()
