"""`kinetoscope models …` end to end, in subprocesses, against the loopback server."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from http_fixtures import http_server  # noqa: F401 (a fixture)
from http_fixtures import LoopbackServer, release_zip, write_catalog, zip_url_path
from lock_holder import kill, start_holder
from kinetoscope.engine.modelfiles.download import part_path
from kinetoscope.engine.modelfiles.model_install import installed_dir

CODE = "import sys\nfrom kinetoscope.cli.main import main\nsys.exit(main(sys.argv[1:]))"


@pytest.fixture
def catalog(tmp_path, http_server, monkeypatch) -> Path:
    path = write_catalog(tmp_path / "catalog.json", http_server, {"resnet_3d": ("float", "w8a8")})
    monkeypatch.setenv("KINETOSCOPE_CATALOG", str(path))
    return path


def _serve(server: LoopbackServer, tmp_path: Path, precision: str = "float", **kw) -> bytes:
    data = release_zip(tmp_path, "resnet_3d", precision, **kw).read_bytes()
    server.serve(zip_url_path("resnet_3d", precision), data)
    return data


def cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", CODE, *args], capture_output=True, text=True, timeout=timeout,
                          env=os.environ.copy())


def _one_error_line(proc: subprocess.CompletedProcess, code: int, words: str) -> None:
    assert proc.returncode == code, proc.stderr
    lines = [line for line in proc.stderr.strip().splitlines() if line.startswith("kinetoscope:")]
    assert len(lines) == 1 and words in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr


def _zip_part(home: Path) -> Path:
    return part_path(home / "downloads" / "resnet_3d-onnx-float.zip")


def test_download_list_verify_classify_remove(tmp_path, http_server, catalog, media):
    _serve(http_server, tmp_path, weight_elems=300_000)  # ~1.2 MB, so progress has steps to show
    proc = cli("models", "list", "--json")
    assert proc.returncode == 0, proc.stderr
    listed = json.loads(proc.stdout)
    rows = [(m["id"], m["precision"], m["status"]) for m in listed["models"]]
    assert [r for r in rows if r[0] == "resnet_3d"] == [
        ("resnet_3d", "float", "not installed"), ("resnet_3d", "w8a8", "not installed")]
    assert ("motion_demo", "float", "bundled") in rows  # shipped with the app, always there
    assert listed["disk"]["free_bytes"] > 0

    proc = cli("models", "download", "resnet_3d", "--precision", "float")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("Installed Resnet 3D (resnet_3d, float) in ")
    progress = [line for line in proc.stderr.splitlines() if "%" in line]
    assert 2 <= len(progress) <= 11 and "100%" in progress[-1]  # sparse lines when not a terminal
    assert "\r" not in proc.stderr

    proc = cli("models", "list")
    assert proc.returncode == 0 and "resnet_3d        float     Installed " in proc.stdout
    assert "Downloaded models use 1.2 MB" in proc.stdout
    assert cli("models", "verify").stdout.startswith("resnet_3d        float     ok")

    proc = cli("classify", str(media / "clip_340x256_30fps.mp4"), "--model", "resnet_3d", "--precision", "float",
               "--json", "--views", "1")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["model"]["id"] == "resnet_3d"

    assert cli("models", "remove", "resnet_3d", "--precision", "float").returncode == 0
    assert not installed_dir("resnet_3d", "float").exists()
    _one_error_line(cli("models", "remove", "resnet_3d", "--precision", "float"), 2, "not installed")


def test_unknown_model_is_bad_input(catalog):
    _one_error_line(cli("models", "download", "resnet_50"), 2, "Unknown model 'resnet_50'. Available: resnet_3d.")
    _one_error_line(cli("models", "download", "resnet_3d", "--precision", "w4a4"), 2, "no 'w4a4' release")


def test_broken_zip_is_bad_input_and_installs_nothing(tmp_path, http_server, catalog):
    data = _serve(http_server, tmp_path)
    http_server.serve(zip_url_path("resnet_3d", "float"), data[: len(data) // 2])
    _one_error_line(cli("models", "download", "resnet_3d"), 2, "damaged or incomplete")
    assert not installed_dir("resnet_3d", "float").exists()


def test_network_failures_exit_1_with_one_line(tmp_path, http_server, catalog, kinetoscope_home):
    _one_error_line(cli("models", "download", "resnet_3d"), 1, "not on the server (HTTP 404)")
    data = _serve(http_server, tmp_path, weight_elems=100_000)
    http_server.fault(zip_url_path("resnet_3d", "float"), drop_after=len(data) * 41 // 100 + 1)
    _one_error_line(cli("models", "download", "resnet_3d"), 1,
                    "The server closed the connection at 41%. Run the same command again to resume.")
    assert _zip_part(kinetoscope_home).is_file()
    assert cli("models", "download", "resnet_3d").returncode == 0
    assert http_server.requests_for(zip_url_path("resnet_3d", "float"))[-1].headers["Range"].startswith("bytes=")


def test_plain_http_elsewhere_is_refused_without_contacting_it(tmp_path, monkeypatch):
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"release": "v1", "url_template": "http://mirror.invalid/{id}-{precision}.zip",
                                "models": [{"id": "resnet_3d", "precisions": {"float": {}}}]}))
    monkeypatch.setenv("KINETOSCOPE_CATALOG", str(path))
    _one_error_line(cli("models", "download", "resnet_3d"), 2, "only https:// is allowed")


def test_ctrl_c_leaves_the_part_and_the_next_run_resumes(tmp_path, http_server, catalog, kinetoscope_home):
    data = _serve(http_server, tmp_path, weight_elems=100_000)
    http_server.fault(zip_url_path("resnet_3d", "float"), stall_after=len(data) // 2)
    proc = subprocess.Popen([sys.executable, "-c", CODE, "models", "download", "resnet_3d"], text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=os.environ.copy())
    part = _zip_part(kinetoscope_home)
    deadline = time.monotonic() + 20
    while not (part.is_file() and part.stat().st_size >= len(data) // 2) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert part.is_file() and part.stat().st_size >= len(data) // 2, "the first download never got halfway"
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 130, err
    assert "Download paused" in err and "Traceback" not in err
    assert part.stat().st_size == len(data) // 2
    assert cli("models", "download", "resnet_3d").returncode == 0
    assert http_server.requests_for(zip_url_path("resnet_3d", "float"))[-1].headers["Range"] == \
        f"bytes={len(data) // 2}-"
    assert cli("models", "verify").returncode == 0


def test_import_and_verify_a_tampered_model(tmp_path, catalog):
    zip_path = release_zip(tmp_path, "resnet_3d", "w8a8")
    proc = cli("models", "import", str(zip_path))
    assert proc.returncode == 0 and "Imported resnet_3d (w8a8)" in proc.stdout, proc.stderr
    _one_error_line(cli("models", "import", str(tmp_path / "nope.zip")), 2, "Nothing to import")
    garbage = tmp_path / "garbage.zip"
    garbage.write_bytes(b"PK\x03\x04 not really")
    _one_error_line(cli("models", "import", str(garbage)), 2, "not a zip file")

    (installed_dir("resnet_3d", "w8a8") / "resnet_3d_labels.txt").write_text("tampered\n")
    proc = cli("models", "verify", "--json")
    _one_error_line(proc, 1, "1 installed model(s) failed verification: resnet_3d (w8a8)")
    assert json.loads(proc.stdout)["models"][0]["problems"] == ["resnet_3d_labels.txt was changed"]
    listed = json.loads(cli("models", "list", "--json").stdout)["models"]
    assert [m["status"] for m in listed if m["id"] == "resnet_3d" and m["precision"] == "w8a8"] == ["broken"]


def test_a_second_download_of_the_same_model_exits_1_at_once_and_leaves_the_first_alone(
        tmp_path, http_server, catalog, kinetoscope_home):
    data = _serve(http_server, tmp_path, weight_elems=100_000)
    http_server.fault(zip_url_path("resnet_3d", "float"), stall_after=len(data) // 2)
    first = subprocess.Popen([sys.executable, "-c", CODE, "models", "download", "resnet_3d"], text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=os.environ.copy())
    part = _zip_part(kinetoscope_home)
    sidecar = part.with_name(part.name + ".json")
    deadline = time.monotonic() + 20
    while not (part.is_file() and part.stat().st_size >= len(data) // 2) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert part.is_file() and part.stat().st_size >= len(data) // 2, "the first download never got halfway"
    before = (part.read_bytes(), sidecar.read_bytes())
    try:
        _one_error_line(cli("models", "download", "resnet_3d", timeout=10), 1,
                        "resnet_3d (float) is already being downloaded by another Kinetoscope process")
        assert (part.read_bytes(), sidecar.read_bytes()) == before
        assert first.poll() is None
    finally:
        first.kill()  # SIGKILL: the OS drops its lock
        first.communicate(timeout=10)
    assert cli("models", "download", "resnet_3d").returncode == 0
    assert http_server.requests_for(zip_url_path("resnet_3d", "float"))[-1].headers["Range"] == \
        f"bytes={len(data) // 2}-"


def test_list_shows_a_model_another_process_is_downloading(catalog, kinetoscope_home):
    lock = kinetoscope_home / "downloads" / "resnet_3d-onnx-float.zip.lock"
    lock.parent.mkdir()
    holder = start_holder(lock)
    try:
        proc = cli("models", "list")
        assert proc.returncode == 0, proc.stderr
        assert "resnet_3d        float     Downloading in another Kinetoscope process" in proc.stdout
        assert "resnet_3d        w8a8      Not installed " in proc.stdout
        listed = json.loads(cli("models", "list", "--json").stdout)["models"]
        assert {m["precision"]: m["downloading_elsewhere"] for m in listed if m["id"] == "resnet_3d"} == \
            {"float": True, "w8a8": False}
    finally:
        kill(holder)
    assert "resnet_3d        float     Not installed " in cli("models", "list").stdout
    assert sorted(p.name for p in lock.parent.iterdir()) == [lock.name]  # listing created no lock files


def test_list_shows_published_accuracy_beside_npu_latency_with_sources():
    proc = cli("models", "list")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].endswith("TOP-1 (video, clip)   NAME")
    row = next(line for line in lines if line.startswith("resnet_2plus1d   w8a8"))
    assert "4.2–4.5 ms     75.0 % video, 57.5 % clip ResNet-2Plus1D" in row
    assert re.search(r"resnet_3d +float .*13\.1 ms +63\.2 % video, 52\.75 % clip ResNet-3D", proc.stdout)
    assert re.search(r"i3d_kinetics +float +Installed \(bundled\) .* – +71\.1 % video +I3D", proc.stdout)
    assert "ResNet-2Plus1D: 75.0 % top-1, video accuracy on Kinetics-400: Qualcomm AI Hub" in proc.stdout
    assert "ResNet-3D: 52.75 % top-1, top-5 75.45 %, clip accuracy on Kinetics-400: torchvision" in proc.stdout
    assert "Video-MAE: 81.5 % top-1" in proc.stdout and "77.5 % on AI Hub's 200-clip" in proc.stdout
    assert "A clip accuracy scores one clip" in proc.stdout
    assert "Downloaded models use 0 kB; the bundled ones" in proc.stdout
    data = json.loads(cli("models", "list", "--json").stdout)
    listed = {(m["id"], m["precision"]): m for m in data["models"]}
    assert listed[("resnet_2plus1d", "float")]["accuracy"]["top1"] == 75.0
    assert [a["measure"] for a in listed[("resnet_2plus1d", "float")]["accuracies"]] == ["video", "clip"]
    assert listed[("resnet_3d", "w8a8")]["accuracies"][1]["top1"] == 52.75
    assert listed[("i3d_kinetics", "w8a8")]["accuracy"]["top1"] == 71.1
    assert data["disk"]["bundled_bytes"] > 50e6
