"""Verified, atomic installs: real zips in AI Hub's layout, broken ones, and a loopback server."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import pytest

from http_fixtures import http_server  # noqa: F401 (a fixture)
from http_fixtures import release_zip, write_catalog, zip_url_path
from kinetoscope.engine.modelfiles import model_install
from kinetoscope.engine.modelfiles.bundle import open_bundle
from kinetoscope.engine.cancel import CancelToken
from kinetoscope.engine.modelfiles.catalog import load_catalog
from kinetoscope.engine import files
from kinetoscope.engine.files import DiskFull
from kinetoscope.engine.errors import BadInput, Cancelled, ModelError
from kinetoscope.engine.modelfiles.http_client import NetworkError, Timeouts
from kinetoscope.engine.modelfiles.model_install import (MANIFEST, import_model, install_zip, installed_dir, read_manifest,
                                              remove_model, verify_model)
from kinetoscope.engine.modelfiles.model_library import Status, download_and_install, download_target, list_models
from kinetoscope.engine.modelfiles.model_store import resolve_model
from model_factory import image_classifier, tiny_classifier, write_bundle_folder, zip_folder
from test_download import tiny_disk

FAST = Timeouts(connect=2, read=1)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _nothing_staged(home: Path) -> bool:
    staging = home / "models" / ".staging"
    return not staging.exists() or not any(staging.iterdir())


def test_float_with_external_weights_installs_with_a_manifest(tmp_path, kinetoscope_home):
    zip_path = release_zip(tmp_path, "resnet_3d", "float")
    manifest = install_zip(zip_path, expect=("resnet_3d", "float"))
    folder = installed_dir("resnet_3d", "float")
    assert folder == kinetoscope_home / "models" / "resnet_3d" / "float"
    assert (folder / "metadata.json").is_file()  # the zip's top folder is not kept as a wrapper
    assert (folder / "resnet_3d_onnx" / "resnet_3d.data").is_file()
    on_disk = json.loads((folder / MANIFEST).read_text())
    assert on_disk["archive"] == {"sha256": _sha(zip_path), "size": zip_path.stat().st_size}
    assert on_disk["source"]["path"] == str(zip_path.resolve()) and on_disk["installed_at"].endswith("Z")
    assert set(on_disk["files"]) == {"metadata.json", "resnet_3d_labels.txt", "resnet_3d_onnx/resnet_3d.onnx",
                                     "resnet_3d_onnx/resnet_3d.data"}
    for rel, rec in on_disk["files"].items():
        assert rec["sha256"] == _sha(folder / rel) and rec["size"] == (folder / rel).stat().st_size
    assert manifest == read_manifest(folder)
    bundle = open_bundle(resolve_model("resnet_3d", "float"))
    assert bundle.root == folder and bundle.num_classes == 9
    assert verify_model("resnet_3d", "float").ok
    assert _nothing_staged(kinetoscope_home)


def test_quantized_single_file_installs(tmp_path):
    install_zip(release_zip(tmp_path, "resnet_3d", "w8a8"), expect=("resnet_3d", "w8a8"))
    bundle = open_bundle(installed_dir("resnet_3d", "w8a8"))
    assert bundle.input_quant is not None and bundle.precision == "w8a8"


def _installed_v1(tmp_path: Path) -> str:
    install_zip(release_zip(tmp_path, "resnet_3d", "float", seed=1), expect=("resnet_3d", "float"))
    return (installed_dir("resnet_3d", "float") / MANIFEST).read_text()


def _still_v1(before: str, home: Path) -> None:
    folder = installed_dir("resnet_3d", "float")
    assert (folder / MANIFEST).read_text() == before
    assert verify_model("resnet_3d", "float").ok
    open_bundle(folder)
    assert _nothing_staged(home)
    assert sorted(p.name for p in folder.parent.iterdir()) == ["float"]  # no temp or old siblings


def test_truncated_zip_is_refused_and_the_old_version_keeps_working(tmp_path, kinetoscope_home):
    before = _installed_v1(tmp_path)
    good = release_zip(tmp_path, "resnet_3d", "float", seed=2)
    bad = tmp_path / "truncated.zip"
    bad.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(ModelError, match="not a zip file, or it is damaged or incomplete"):
        install_zip(bad, expect=("resnet_3d", "float"))
    _still_v1(before, kinetoscope_home)


@pytest.mark.parametrize("evil", ["../escaped.txt", "/abs/escaped.txt"])
def test_zip_with_paths_outside_the_folder_is_refused(tmp_path, kinetoscope_home, evil):
    before = _installed_v1(tmp_path)
    zip_path = release_zip(tmp_path, "resnet_3d", "float", seed=3)
    with zipfile.ZipFile(zip_path, "a") as zf:
        zf.writestr(evil, b"boom")
    with pytest.raises(ModelError, match="unsafe file path"):
        install_zip(zip_path, expect=("resnet_3d", "float"))
    assert not list(kinetoscope_home.rglob("escaped.txt")) and not Path("/abs/escaped.txt").exists()
    _still_v1(before, kinetoscope_home)


def test_zip_bomb_is_refused(tmp_path, kinetoscope_home):
    zip_path = release_zip(tmp_path, "resnet_3d", "float", seed=4)
    with zipfile.ZipFile(zip_path, "a", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("resnet_3d-onnx-float/padding.bin", b"\0" * (8 << 20))
    with pytest.raises(ModelError, match="expands suspiciously"):
        install_zip(zip_path, expect=("resnet_3d", "float"))
    assert not installed_dir("resnet_3d", "float").exists() and _nothing_staged(kinetoscope_home)


def test_an_image_classifier_is_not_installed(tmp_path, kinetoscope_home):
    before = _installed_v1(tmp_path)
    folder = write_bundle_folder(tmp_path / "img", image_classifier(), model_id="resnet_3d", metadata=False)
    (folder / "resnet_3d_labels.txt").write_text("a\nb\nc\nd\n")
    with pytest.raises(ModelError, match="not a video classifier"):
        install_zip(zip_folder(folder, tmp_path / "img.zip"), expect=("resnet_3d", "float"))
    _still_v1(before, kinetoscope_home)


def test_weights_onnxruntime_cannot_load_are_refused(tmp_path, kinetoscope_home):
    folder = write_bundle_folder(tmp_path / "w", tiny_classifier(9, weight_elems=4096),
                                 model_id="resnet_3d", external_data=True)
    data = folder / "resnet_3d_onnx" / "resnet_3d.data"
    data.write_bytes(data.read_bytes()[:100])  # the header reader is happy; the weights are not there
    with pytest.raises(ModelError, match="ONNX Runtime cannot load"):
        install_zip(zip_folder(folder, tmp_path / "w.zip"), expect=("resnet_3d", "float"))
    assert not installed_dir("resnet_3d", "float").exists()


def test_a_zip_of_another_model_is_refused(tmp_path):
    with pytest.raises(ModelError, match="holds resnet_mixed \\(float\\), not resnet_3d \\(float\\)"):
        install_zip(release_zip(tmp_path, "resnet_mixed", "float"), expect=("resnet_3d", "float"))


def test_cancel_during_install_keeps_the_old_version(tmp_path, kinetoscope_home):
    before = _installed_v1(tmp_path)
    token = CancelToken()
    with pytest.raises(Cancelled):
        install_zip(release_zip(tmp_path, "resnet_3d", "float", seed=5), expect=("resnet_3d", "float"),
                    cancel=token, on_stage=lambda s: token.cancel() if s.startswith("Recording") else None)
    _still_v1(before, kinetoscope_home)


def test_import_a_zip_and_a_folder_the_user_already_has(tmp_path):
    manifest = import_model(release_zip(tmp_path, "resnet_mixed", "w8a8"))
    assert (manifest.model_id, manifest.precision) == ("resnet_mixed", "w8a8")
    assert manifest.source.url is None and manifest.source.release is None
    folder = write_bundle_folder(tmp_path / "f", tiny_classifier(9), model_id="resnet_3d")
    manifest = import_model(folder)
    assert manifest.archive_sha256 is None and manifest.source.path == str(folder.resolve())
    assert verify_model("resnet_3d", "float").ok and verify_model("resnet_mixed", "w8a8").ok
    with pytest.raises(BadInput, match="not a zip file or a bundle folder"):
        import_model(folder / "metadata.json")


def test_changes_behind_the_apps_back_show_as_broken(tmp_path):
    install_zip(release_zip(tmp_path, "resnet_3d", "float"), expect=("resnet_3d", "float"))
    folder = installed_dir("resnet_3d", "float")
    labels = folder / "resnet_3d_labels.txt"
    labels.write_text(labels.read_text().replace("action 1", "action X"))  # same size: only hashing sees it
    assert verify_model("resnet_3d", "float").problems == ("resnet_3d_labels.txt was changed",)
    (folder / "resnet_3d_onnx" / "resnet_3d.data").unlink()
    (folder / "notes.txt").write_text("mine")
    catalog = load_catalog()
    row = next(r for r in list_models(catalog) if r.key == ("resnet_3d", "float"))
    assert row.status is Status.BROKEN and row.problems == ("resnet_3d_onnx/resnet_3d.data is missing",)
    assert set(verify_model("resnet_3d", "float").problems) == {
        "resnet_3d_labels.txt was changed", "resnet_3d_onnx/resnet_3d.data is missing", "notes.txt was added"}


def test_remove(tmp_path):
    install_zip(release_zip(tmp_path, "resnet_3d", "float"), expect=("resnet_3d", "float"))
    install_zip(release_zip(tmp_path, "resnet_3d", "w8a8"), expect=("resnet_3d", "w8a8"))
    remove_model("resnet_3d", "float")
    assert not installed_dir("resnet_3d", "float").exists() and installed_dir("resnet_3d", "w8a8").is_dir()
    assert sorted(p.name for p in installed_dir("resnet_3d", "w8a8").parent.iterdir()) == ["w8a8"]
    remove_model("resnet_3d", "w8a8")
    assert not installed_dir("resnet_3d", "w8a8").parent.exists()
    with pytest.raises(BadInput, match="not installed"):
        remove_model("resnet_3d", "w8a8")


def test_disk_full_while_unpacking_leaves_nothing_half_installed(tmp_path, monkeypatch):
    """A real ENOSPC: KINETOSCOPE_HOME on a 192 KiB tmpfs, the free-space pre-check switched off."""
    zip_path = release_zip(tmp_path, "resnet_3d", "float", weight_elems=200_000)  # ~800 KB of weights
    monkeypatch.setattr(model_install, "require_free_space", lambda *_a: None)
    with tiny_disk(tmp_path / "disk", "192k") as disk:
        monkeypatch.setenv("KINETOSCOPE_HOME", str(disk))
        with pytest.raises(DiskFull, match="disk space"):
            install_zip(zip_path, expect=("resnet_3d", "float"))
        assert not installed_dir("resnet_3d", "float").exists() and _nothing_staged(disk)


def test_not_enough_space_is_said_before_unpacking(tmp_path, monkeypatch):
    monkeypatch.setattr(files.shutil, "disk_usage", lambda _p: type("U", (), {"free": 10})())
    with pytest.raises(DiskFull, match="Not enough disk space to install"):
        install_zip(release_zip(tmp_path, "resnet_3d", "float"), expect=("resnet_3d", "float"))


# --- from the loopback server ---------------------------------------------------------------

def _serve(server, tmp_path, model_id, precision, *, release="v0.47.0", seed=0) -> Path:
    zip_path = release_zip(tmp_path, model_id, precision, seed=seed)
    server.serve(zip_url_path(model_id, precision, release), zip_path.read_bytes())
    return zip_path


def test_download_and_install_both_layouts(tmp_path, http_server):
    catalog = load_catalog(write_catalog(tmp_path / "c.json", http_server, {"resnet_2plus1d": ("float", "w8a8")}))
    for precision in ("float", "w8a8"):
        zip_path = _serve(http_server, tmp_path, "resnet_2plus1d", precision)
        entry = catalog.find("resnet_2plus1d", precision)
        manifest = download_and_install(entry, timeouts=FAST)
        assert manifest.archive_sha256 == _sha(zip_path) and manifest.source.url == entry.url
        assert manifest.source.release == "v0.47.0"
        assert not download_target(entry).exists()
    rows = {r.key: r for r in list_models(catalog)}
    assert rows[("resnet_2plus1d", "float")].status is Status.INSTALLED
    assert rows[("resnet_2plus1d", "w8a8")].disk_bytes > 0


def test_failed_update_keeps_the_previous_release_working(tmp_path, http_server, kinetoscope_home):
    old = load_catalog(write_catalog(tmp_path / "old.json", http_server, {"resnet_3d": ("float",)}, release="v0.46.0"))
    _serve(http_server, tmp_path, "resnet_3d", "float", release="v0.46.0", seed=1)
    download_and_install(old.find("resnet_3d", "float"), timeouts=FAST)
    before = (installed_dir("resnet_3d", "float") / MANIFEST).read_text()

    new = load_catalog(write_catalog(tmp_path / "new.json", http_server, {"resnet_3d": ("float",)}))
    row = next(r for r in list_models(new) if r.key == ("resnet_3d", "float"))
    assert row.status is Status.UPDATE and row.installed_release == "v0.46.0"
    good = _serve(http_server, tmp_path, "resnet_3d", "float", seed=2).read_bytes()
    path = zip_url_path("resnet_3d", "float")
    http_server.serve(path, good[: len(good) * 2 // 3])  # the new release is served truncated
    with pytest.raises(ModelError, match="damaged or incomplete"):
        download_and_install(new.find("resnet_3d", "float"), timeouts=FAST)
    http_server.fault(path, status=500)
    with pytest.raises(NetworkError, match="HTTP 500"):
        download_and_install(new.find("resnet_3d", "float"), timeouts=FAST)
    _still_v1(before, kinetoscope_home)
    assert not download_target(new.find("resnet_3d", "float")).exists()

    http_server.serve(path, good)
    download_and_install(new.find("resnet_3d", "float"), timeouts=FAST)
    row = next(r for r in list_models(new) if r.key == ("resnet_3d", "float"))
    assert row.status is Status.INSTALLED and row.installed_release == "v0.47.0"


def test_a_catalog_sha256_pins_the_zip(tmp_path, http_server):
    zip_path = _serve(http_server, tmp_path, "resnet_3d", "float")
    catalog_path = write_catalog(tmp_path / "c.json", http_server, {"resnet_3d": ("float",)})
    data = json.loads(catalog_path.read_text())
    data["models"][0]["precisions"]["float"]["sha256"] = "0" * 64
    catalog_path.write_text(json.dumps(data))
    with pytest.raises(ModelError, match="SHA-256 differs"):
        download_and_install(load_catalog(catalog_path).find("resnet_3d", "float"), timeouts=FAST)
    assert not installed_dir("resnet_3d", "float").exists()
    data["models"][0]["precisions"]["float"]["sha256"] = _sha(zip_path).upper()
    catalog_path.write_text(json.dumps(data))
    download_and_install(load_catalog(catalog_path).find("resnet_3d", "float"), timeouts=FAST)


def test_a_download_interrupted_in_an_earlier_session_lists_as_paused(tmp_path, http_server):
    zip_path = _serve(http_server, tmp_path, "resnet_3d", "float")
    http_server.fault(zip_url_path("resnet_3d", "float"), drop_after=zip_path.stat().st_size // 4 + 4)
    catalog = load_catalog(write_catalog(tmp_path / "c.json", http_server, {"resnet_3d": ("float",)}))
    with pytest.raises(NetworkError):
        download_and_install(catalog.find("resnet_3d", "float"), timeouts=FAST)
    # A fresh load, as after restarting the app: the sidecar tells how far it got.
    row = next(r for r in list_models(load_catalog(catalog.source)) if r.key == ("resnet_3d", "float"))
    assert row.status is Status.PARTIAL and row.partial.percent == 25


def test_import_without_metadata_takes_the_id_from_the_zip_name(tmp_path):
    folder = write_bundle_folder(tmp_path / "bare", tiny_classifier(9),
                                 model_id="resnet_mixed", metadata=False, top_folder=False)
    manifest = import_model(zip_folder(folder, tmp_path / "resnet_mixed-onnx-w8a16.zip", arc_root=""))
    assert (manifest.model_id, manifest.precision) == ("resnet_mixed", "w8a16")
