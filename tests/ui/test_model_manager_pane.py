"""The model manager pane, driven like a user would, against the loopback server."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from http_fixtures import http_server  # noqa: F401 (a fixture)
from http_fixtures import LoopbackServer, release_zip, write_catalog, zip_url_path
from lock_holder import kill, start_holder
from kinetoscope.engine.modelfiles.bundle import open_bundle
from kinetoscope.engine.modelfiles.catalog import load_catalog
from kinetoscope.engine.inference.classify import classify_clip
from kinetoscope.engine.modelfiles.download import part_path
from kinetoscope.engine.modelfiles.file_lock import FileLock
from kinetoscope.engine.modelfiles.http_client import Timeouts
from kinetoscope.engine.modelfiles.model_install import install_zip, installed_dir
from kinetoscope.engine.modelfiles.model_library import download_target, lock_path
from kinetoscope.engine.modelfiles.model_store import resolve_model
from kinetoscope.engine.inference.session import ModelSession
from kinetoscope.ui.models.pane import ModelManagerPane
from kinetoscope.ui.models.text import ELSEWHERE_TIP

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
    # Said on its row (not in a banner away from it), with what to do: Resume, or Import… a zip.
    assert pane.row_message(FLOAT).startswith("The server closed the connection at 41%. Resume to continue")
    assert "zip you already have" in pane.row_message(FLOAT) and pane.message() == ""
    note = pane._table.cellWidget(pane.row_index(FLOAT), 4)
    assert "Paused at 41%" in note.text() and "Import…" in note.text()
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
    qtbot.waitUntil(lambda: pane.status_text(W8A8) == "Not installed", timeout=2000)  # rescanned off the GUI thread


def _paused_at_25(qtbot, make_pane, served, http_server) -> ModelManagerPane:
    http_server.fault(zip_url_path("resnet_3d", "float"), drop_after=len(served["float"]) // 4)
    pane = make_pane()
    click(qtbot, pane, FLOAT, "Download")
    qtbot.waitUntil(lambda: pane.status_text(FLOAT) == "Paused at 25%", timeout=4000)
    return pane


def test_a_model_another_process_is_downloading_waits_for_it_then_resumes(qtbot, make_pane, served, http_server):
    pane = _paused_at_25(qtbot, make_pane, served, http_server)
    assert not pane._elsewhere_timer.isActive()  # nothing to watch, so no polling
    entry = load_catalog().find(*FLOAT)
    holder = start_holder(lock_path(entry))  # a second window or `kinetoscope models download`
    try:
        pane.hide()  # closing and reopening the Models window looks again
        pane.show()
        qtbot.waitUntil(lambda: pane.downloading_elsewhere(FLOAT), timeout=2000)  # peeked off the GUI thread
        assert not pane.downloading_elsewhere(W8A8)
        assert pane.status_text(FLOAT) == "Downloading in another Kinetoscope process · 25%"
        for text in ("Resume", "Discard"):
            button = pane.action_button(FLOAT, text)
            assert not button.isEnabled() and button.toolTip() == ELSEWHERE_TIP
        assert pane.action_button(W8A8, "Download").isEnabled()
        # The other process gets on: its part grows, and the row follows.
        part = part_path(download_target(entry))
        with part.open("ab") as f:
            f.write(served["float"][part.stat().st_size:len(served["float"]) // 2])
        qtbot.waitUntil(lambda: pane.status_text(FLOAT).endswith(" · 50%"), timeout=2500)
    finally:
        kill(holder)
    qtbot.waitUntil(lambda: pane.status_text(FLOAT) == "Paused at 50%", timeout=2500)
    assert pane.action_button(FLOAT, "Resume").isEnabled() and not pane._elsewhere_timer.isActive()
    click(qtbot, pane, FLOAT, "Resume")
    qtbot.waitUntil(lambda: pane.status_text(FLOAT) == "Installed", timeout=4000)
    assert http_server.requests_for(zip_url_path("resnet_3d", "float"))[-1].headers["Range"] == \
        f"bytes={len(served['float']) // 2}-"


def test_resume_racing_another_download_says_so_then_waits_for_it(qtbot, make_pane, served, http_server):
    pane = _paused_at_25(qtbot, make_pane, served, http_server)
    lock = FileLock(lock_path(load_catalog().find(*FLOAT)))  # taken after the pane last looked
    assert lock.try_acquire()
    requests = len(http_server.requests)
    click(qtbot, pane, FLOAT, "Resume")  # the row still said Paused
    qtbot.waitUntil(lambda: not pane.busy(), timeout=2000)
    assert pane.message() == ("resnet_3d (float) is already being downloaded by another Kinetoscope process; "
                              "try again when it has finished.")
    assert pane.status_text(FLOAT).startswith("Downloading in another Kinetoscope process")
    assert not pane.action_button(FLOAT, "Discard").isEnabled()
    assert len(http_server.requests) == requests
    lock.release()
    qtbot.waitUntil(lambda: pane.status_text(FLOAT) == "Paused at 25%", timeout=2500)
    click(qtbot, pane, FLOAT, "Resume")
    qtbot.waitUntil(lambda: pane.status_text(FLOAT) == "Installed", timeout=4000)


def test_window_activation_notices_a_download_that_started_elsewhere(qtbot, make_pane, served, http_server):
    pane = _paused_at_25(qtbot, make_pane, served, http_server)
    other = QWidget()  # the user is in another window when the download starts
    qtbot.addWidget(other)
    other.show()
    other.activateWindow()
    qtbot.waitUntil(other.isActiveWindow, timeout=2000)
    holder = start_holder(lock_path(load_catalog().find(*FLOAT)))
    try:
        qtbot.wait(50)
        assert not pane.downloading_elsewhere(FLOAT)  # no polling while nothing is elsewhere
        pane.activateWindow()
        qtbot.waitUntil(lambda: pane.downloading_elsewhere(FLOAT), timeout=2000)
        assert not pane.action_button(FLOAT, "Resume").isEnabled()
    finally:
        kill(holder)
        other.close()
    qtbot.waitUntil(lambda: not pane.downloading_elsewhere(FLOAT), timeout=2500)


def test_failed_update_keeps_the_installed_model_usable(qtbot, make_pane, served, http_server, tmp_path):
    install_zip(release_zip(tmp_path, "resnet_3d", "float", seed=7), expect=FLOAT)
    http_server.serve(zip_url_path("resnet_3d", "float"), b"PK\x03\x04" + b"\0" * 5000)  # not a real zip
    pane = make_pane()
    manifest_before = (installed_dir(*FLOAT) / "kinetoscope-install.json").read_text()
    (installed_dir(*FLOAT) / "resnet_3d_labels.txt").write_text("x" * 5)  # tampered behind our back
    pane.refresh()  # rescans off the GUI thread
    qtbot.waitUntil(lambda: pane.status_text(FLOAT).startswith("Broken: resnet_3d_labels.txt was changed"),
                    timeout=2000)
    click(qtbot, pane, FLOAT, "Repair")
    qtbot.waitUntil(lambda: not pane.busy(), timeout=10000)
    assert "damaged or incomplete" in pane.row_message(FLOAT)
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
    qtbot.waitUntil(lambda: pane.status_text(W8A8) == "Installed", timeout=2000)  # rescanned off the GUI thread
    assert pane.message() == "Imported resnet_3d (w8a8)."
    pane.import_path(Path(tmp_path / "missing.zip"))
    qtbot.waitUntil(lambda: "Nothing to import" in pane.message(), timeout=5000)


def test_an_installed_model_being_reinstalled_elsewhere_stays_usable(qtbot, make_pane, served, tmp_path):
    install_zip(release_zip(tmp_path, "resnet_3d", "float", seed=7), expect=FLOAT)
    lock = lock_path(load_catalog().find(*FLOAT))
    lock.parent.mkdir(parents=True)
    holder = start_holder(lock)
    try:
        pane = make_pane()
        assert pane.status_text(FLOAT) == "Downloading in another Kinetoscope process"
        assert pane.action_button(FLOAT, "Use this model").isEnabled()
        assert not pane.action_button(FLOAT, "Remove").isEnabled()
    finally:
        kill(holder)
    qtbot.waitUntil(lambda: pane.status_text(FLOAT) == "Installed", timeout=2500)
    assert pane.action_button(FLOAT, "Remove").isEnabled()


def test_rows_show_published_accuracy_beside_npu_latency(make_pane, monkeypatch):
    monkeypatch.delenv("KINETOSCOPE_CATALOG", raising=False)  # the bundled catalog, as shipped
    pane = make_pane()
    table = pane._table

    def cell(key: tuple[str, str]) -> tuple[str, str]:
        item = table.item(pane.row_index(key), 3)
        return item.text(), item.toolTip()

    assert table.horizontalHeaderItem(3).text() == "NPU latency · accuracy"
    text, tip = cell(("resnet_2plus1d", "w8a8"))
    assert text == "4.2–4.5 ms · top-1 75.0 % video, 57.5 % clip"
    assert "Snapdragon X Elite" in tip and "Qualcomm AI Hub's ResNet-2Plus1D model card" in tip
    assert "torchvision" in tip and "A clip accuracy scores one clip" in tip
    assert cell(("video_mae", "float"))[0] == "564 ms · top-1 81.5 % video"
    assert cell(("resnet_3d", "float"))[0] == "13.1 ms · top-1 63.2 % video, 52.75 % clip"
    text, tip = cell(("resnet_mixed", "w8a16"))
    assert text == "Latency not published · top-1 63.96 % video, 53.9 % clip" and "none is published" in tip
    text, tip = cell(("i3d_kinetics", "float"))  # bundled: DeepMind's figure
    assert text == "Latency not published · top-1 71.1 % video" and "DeepMind" in tip
    assert cell(("motion_demo", "float"))[0] == "Not published"
    cells = [table.item(i, 3).text() for i in range(table.rowCount())]
    assert not [c for c in cells if c.startswith("–") or "· –" in c]  # no bare dashes: words say what is missing
    disk = pane._disk.text()
    assert disk.startswith("Downloaded models use 0 kB · bundled models ") and "(inside the app)" in disk
    assert "bundled models 0 kB" not in disk


def test_sizes_the_catalog_does_not_give_say_when_they_will_be_known(qtbot, make_pane, served):
    pane = make_pane()  # the served catalog gives no sizes
    item = pane._table.item(pane.row_index(FLOAT), 2)
    assert item.text() == "?"
    assert "shown once the download starts" in item.toolTip()
