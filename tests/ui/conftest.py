"""Fixtures for the window's tests: isolated data folder, the demo model, real windows, no leaks."""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]
if str(TESTS) not in sys.path:  # so `import model_factory` works here as it does in tests/
    sys.path.insert(0, str(TESTS))

# The offscreen platform's default screen is 800x600, smaller than the window's minimum size, so
# restored geometry would be squeezed; give it a laptop-sized screen (before QApplication exists).
if os.environ.get("QT_QPA_PLATFORM") == "offscreen":
    _screen = Path(tempfile.gettempdir()) / f"kinetoscope-test-screen-{os.getpid()}.json"
    _screen.write_text(json.dumps({"screens": [{"name": "test", "x": 0, "y": 0, "width": 1920, "height": 1080,
                                                "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}]}))
    os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={_screen}"

from PySide6.QtWidgets import QApplication  # noqa: E402

from helpers import SAMPLE, SAMPLE_LABEL  # noqa: E402
from kinetoscope.engine.modelfiles import bundled_data  # noqa: E402
from kinetoscope.engine.modelfiles.model_store import DEMO_MODEL_ID  # noqa: E402


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Settings, caches, logs and the single-instance socket live in this test's own folder."""
    folder = tmp_path / "home"
    folder.mkdir()
    monkeypatch.setenv("KINETOSCOPE_HOME", str(folder))
    return folder


@pytest.fixture(autouse=True)
def no_leaked_windows(qapp: QApplication) -> Iterator[None]:
    """Fail a test that leaves a top-level window open (after closing it, so others still run)."""
    before = {id(w) for w in qapp.topLevelWidgets() if w.isVisible()}
    yield
    leaked = [w for w in qapp.topLevelWidgets() if w.isVisible() and id(w) not in before]
    for widget in leaked:
        widget.close()
    if leaked:
        pytest.fail(f"test left {len(leaked)} window(s) open: "
                    + ", ".join(type(w).__name__ for w in leaked))


@pytest.fixture
def demo_model(home: Path) -> str:
    """The bundled demo model's id; the tests classify with the real one."""
    if not sorted(bundled_data.models_dir().glob(f"{DEMO_MODEL_ID}-onnx-*.zip")):
        pytest.fail(f"the bundled demo model is missing from {bundled_data.models_dir()}")
    return DEMO_MODEL_ID


@pytest.fixture
def expected_label(demo_model: str, sample_clip: Path) -> str:
    """What the window must show for the sample clip: the demo model's known answer."""
    return SAMPLE_LABEL


@pytest.fixture
def sample_clip() -> Path:
    if not SAMPLE.exists():
        pytest.fail(f"the sample clip is missing: {SAMPLE}")
    return SAMPLE


@pytest.fixture
def make_window(qapp: QApplication, demo_model: str) -> Iterator[Callable[..., object]]:
    """Open real main windows; each is closed (stopping its engine thread) after the test."""
    from kinetoscope.settings import Settings, SettingsStore
    from kinetoscope.ui.main.window import MainWindow

    windows: list[MainWindow] = []

    def make(views: int | None = None) -> MainWindow:
        # As a user whose saved choices are the demo model and `views` finds them: set before the
        # window opens. Setting the spin box afterwards would start its settle timer, which then
        # fires mid-test. (The default model is the larger Kinetics-400 one; these tests use the demo.)
        store = SettingsStore()
        saved = store.load()
        model_id = demo_model if saved.model_id == Settings().model_id else saved.model_id  # a test's own choice stays
        store.save(replace(saved, model_id=model_id, views=saved.views if views is None else views))
        window = MainWindow()
        window.clip_view.predictions.set_animated(False)
        assert views is None or window.controls.options() is None or window.controls.options().views == views
        window.show()
        windows.append(window)
        return window

    yield make
    for window in windows:
        window.close()
        window.deleteLater()
    qapp.processEvents()


@pytest.fixture
def make_camera_view(qapp: QApplication, home: Path) -> Iterator[Callable[..., object]]:
    """Open real camera views at a given size; each is shut down (stopping its capture and live
    threads) and closed after the test."""
    from kinetoscope.ui.camera.view import CameraView

    views: list[CameraView] = []

    def make(width: int, height: int, *, animated: bool = True) -> CameraView:
        view = CameraView()
        if not animated:
            view.live.predictions.set_animated(False)
        view.resize(width, height)
        view.show()
        views.append(view)
        return view

    yield make
    for view in views:
        view.shutdown()
        view.close()
        view.deleteLater()
    qapp.processEvents()
