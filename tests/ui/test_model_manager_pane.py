"""The model manager pane, driven like a user would, against the loopback server."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from http_fixtures import http_server  # noqa: F401 (a fixture)
from http_fixtures import LoopbackServer, release_zip, write_catalog, zip_url_path
from kinetoscope.engine.bundle import open_bundle
from kinetoscope.engine.catalog import load_catalog
from kinetoscope.engine.classify import classify_clip
from kinetoscope.engine.file_lock import FileLock
from kinetoscope.engine.http_client import Timeouts
from kinetoscope.engine.model_install import install_zip, installed_dir
from kinetoscope.engine.model_library import lock_path
from kinetoscope.engine.model_store import resolve_model
from kinetoscope.engine.session import ModelSession
from kinetoscope.ui.model_manager import ModelManagerPane

FLOAT, W8A8 = ("resnet_3d", "float"), ("resnet_3d", "w8a8")


@pytest.fixture
def served(tmp_path, http_server, monkeypatch) -> dict[str, bytes]:
    catalog = write_catalog(tmp_path / "catalog.json", http_server, {"resnet_3d": ("float", "w8a8")})
    monkeypatch.setenv("KINETOSCOPE_CATALOG", str(catalog))
    data = {}
    for precision in ("float", "w8a8"):
        data[precision] = release_zip(tmp_path, "resnet_3d", precision, weight_elems=60_000).read_bytes()
        http_server.serve(zip_url_path("resnet_3d", precision), data[precision])
    return data


@pytest.fixture
def make_pane(qtbot) -> Iterator[Callable[[], ModelManagerPane]]:
    panes: list[ModelManagerPane] = []

    def make() -> ModelManagerPane:
        pane = ModelManagerPane(timeouts=Timeouts(connect=2, read=1))
        qtbot.addWidget(pane)
        pane.show()
        qtbot.waitUntil(pane.is_ready, timeout=5000)
        panes.append(pane)
        return pane

    yield make
    for pane in panes:
        pane.close()  # cancels and waits for its threads


def click(qtbot, pane: ModelManagerPane, key: tuple[str, str], text: str) -> None:
    qtbot.mouseClick(pane.action_button(key, text), Qt.MouseButton.LeftButton)


def test_download_then_use_this_model_then_classify_a_real_clip(qtbot, make_pane, served, media):
    pane = make_pane()
    assert pane.status_text(FLOAT) == "Not installed" and pane.status_text(W8A8) == "Not installed"
    click(qtbot, pane, FLOAT, "Download")
    assert pane.action_button(FLOAT, "Cancel")
    qtbot.waitUntil(lambda: pane.status_text(FLOAT) == "Installed", timeout=15000)
    assert pane.message() == "Installed Resnet 3D (float)."
    with qtbot.waitSignal(pane.use_model, timeout=1000) as signal:
        click(qtbot, pane, FLOAT, "Use this model")
    assert signal.args == ["resnet_3d", "float"]

    bundle = open_bundle(resolve_model(*signal.args))
    result = classify_clip(media / "arm_wrestling_340x256_28fps.mp4", ModelSession(bundle, "cpu"), views=2)
    assert result.model.id == "resnet_3d" and len(result.top5) == 5 and len(result.views) == 2


def test_dropped_connection_says_so_and_resumes(qtbot, make_pane, served, http_server: LoopbackServer):
    path = zip_url_path("resnet_3d", "float")
    http_server.fault(path, drop_after=len(served["float"]) * 41 // 100 + 1)
    pane = make_pane()
    click(qtbot, pane, FLOAT, "Download")
    qtbot.waitUntil(lambda: pane.status_text(FLOAT) == "Paused at 41%", timeout=10000)
    assert pane.message() == "The server closed the connection at 41%. Resume?"
    click(qtbot, pane, FLOAT, "Resume")
    qtbot.waitUntil(lambda: pane.status_text(FLOAT) == "Installed", timeout=15000)
    assert http_server.requests_for(path)[-1].headers["Range"].startswith("bytes=")


def test_two_downloads_at_once_and_cancel_during_a_stall(qtbot, make_pane, served, http_server):
    for precision in ("float", "w8a8"):
        http_server.fault(zip_url_path("resnet_3d", precision), stall_after=len(served[precision]) // 2)
    pane = make_pane()
    pane._timeouts = Timeouts(connect=2, read=30)  # the cancel must not wait for the stall timeout
    click(qtbot, pane, FLOAT, "Download")
    click(qtbot, pane, W8A8, "Download")
    qtbot.waitUntil(lambda: all(re.match(r"Downloading (49|50)%", pane.status_text(k)) for k in (FLOAT, W8A8)),
                    timeout=10000)
    assert " of " in pane.status_text(FLOAT) and "/s" in pane.status_text(FLOAT)
    click(qtbot, pane, FLOAT, "Cancel")
    click(qtbot, pane, W8A8, "Cancel")
    qtbot.waitUntil(lambda: not pane.busy(), timeout=3000)
    assert all(re.fullmatch(r"Paused at (49|50)%", pane.status_text(k)) for k in (FLOAT, W8A8))
    click(qtbot, pane, W8A8, "Discard")
    assert pane.status_text(W8A8) == "Not installed"


def test_a_model_another_process_is_downloading_says_so_in_the_banner(qtbot, make_pane, served, http_server):
    path = zip_url_path("resnet_3d", "float")
    http_server.fault(path, drop_after=len(served["float"]) // 4)
    pane = make_pane()
    click(qtbot, pane, FLOAT, "Download")
    qtbot.waitUntil(lambda: pane.status_text(FLOAT).startswith("Paused"), timeout=10000)
    lock = FileLock(lock_path(load_catalog().find(*FLOAT)))  # held as another process would hold it
    assert lock.try_acquire()
    busy = ("resnet_3d (float) is already being downloaded by another Kinetoscope process; "
            "try again when it has finished.")
    requests = len(http_server.requests)
    click(qtbot, pane, FLOAT, "Resume")
    qtbot.waitUntil(lambda: not pane.busy(), timeout=5000)
    assert pane.message() == busy and pane.status_text(FLOAT).startswith("Paused")
    click(qtbot, pane, FLOAT, "Discard")
    assert pane.message() == busy and pane.status_text(FLOAT).startswith("Paused")
    assert len(http_server.requests) == requests
    lock.release()
    click(qtbot, pane, FLOAT, "Resume")
    qtbot.waitUntil(lambda: pane.status_text(FLOAT) == "Installed", timeout=15000)


def test_failed_update_keeps_the_installed_model_usable(qtbot, make_pane, served, http_server, tmp_path):
    install_zip(release_zip(tmp_path, "resnet_3d", "float", seed=7), expect=FLOAT)
    http_server.serve(zip_url_path("resnet_3d", "float"), b"PK\x03\x04" + b"\0" * 5000)  # not a real zip
    pane = make_pane()
    manifest_before = (installed_dir(*FLOAT) / "kinetoscope-install.json").read_text()
    (installed_dir(*FLOAT) / "resnet_3d_labels.txt").write_text("x" * 5)  # tampered behind our back
    pane.refresh()
    assert pane.status_text(FLOAT).startswith("Broken: resnet_3d_labels.txt was changed")
    click(qtbot, pane, FLOAT, "Repair")
    qtbot.waitUntil(lambda: not pane.busy(), timeout=10000)
    assert "damaged or incomplete" in pane.message()
    assert (installed_dir(*FLOAT) / "kinetoscope-install.json").read_text() == manifest_before
    http_server.serve(zip_url_path("resnet_3d", "float"), served["float"])
    click(qtbot, pane, FLOAT, "Repair")
    qtbot.waitUntil(lambda: pane.status_text(FLOAT) == "Installed", timeout=15000)


def test_verify_all_finds_same_size_changes_and_remove(qtbot, make_pane, served, monkeypatch, tmp_path):
    install_zip(release_zip(tmp_path, "resnet_3d", "w8a8"), expect=W8A8)
    labels = installed_dir(*W8A8) / "resnet_3d_labels.txt"
    labels.write_text(labels.read_text().replace("action 1", "action 9"))  # same size
    pane = make_pane()
    assert pane.status_text(W8A8) == "Installed"
    qtbot.mouseClick(pane._verify_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: pane.status_text(W8A8).startswith("Broken"), timeout=5000)
    assert "1 model(s) changed on disk" in pane.message()
    monkeypatch.setattr(pane, "_confirm", lambda _q: True)
    click(qtbot, pane, W8A8, "Remove")
    qtbot.waitUntil(lambda: pane.status_text(W8A8) == "Not installed", timeout=5000)


def test_import_a_zip(qtbot, make_pane, served, tmp_path):
    pane = make_pane()
    with qtbot.waitSignal(pane.models_changed, timeout=10000):
        pane.import_path(release_zip(tmp_path, "resnet_3d", "w8a8", seed=3))
    assert pane.status_text(W8A8) == "Installed" and pane.message() == "Imported resnet_3d (w8a8)."
    pane.import_path(Path(tmp_path / "missing.zip"))
    qtbot.waitUntil(lambda: "Nothing to import" in pane.message(), timeout=5000)
