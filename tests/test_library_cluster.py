"""The cluster indexer on a local Ray cluster: the same scans as the local indexer, merged into the
same SQLite index. Skipped where Ray is not installed (it is the optional `cluster` extra)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from kinetoscope.engine.inference.classify import VideoClassifier
from kinetoscope.engine.library.database import LibraryPaths, connect
from kinetoscope.engine.library.folders import add_folder
from kinetoscope.engine.library.store import stored_scan
from motion_clips import joined_motions
from test_cli import run_cli

ray = pytest.importorskip("ray", reason="the cluster extra (Ray) is not installed")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def ray_cluster():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def test_ray_job_indexes_what_the_local_scan_finds(tmp_path, media, ray_cluster):
    from kinetoscope.engine.library.cluster import index_on_ray

    folder = tmp_path / "videos"
    folder.mkdir()
    joined_motions(folder / "motions.mp4", count=2, width=160, height=120)
    for name in ("arm_wrestling_340x256_28fps.mp4", "clip_426x240_29.97fps.mp4"):
        shutil.copy2(media / name, folder / name)
    (folder / "broken.mp4").write_bytes(b"\x00not a video" * 500)
    paths = LibraryPaths(tmp_path / "home")
    db, _ = connect(paths)
    add_folder(db, paths, folder)
    db.close()
    report = index_on_ray(paths, "motion_demo", workers=2)
    assert (report.indexed, report.sync.added, len(report.sync.unreadable)) == (3, 4, 1)
    assert sum(w.files for w in report.workers.values()) == 3 and report.merge_s < report.wall_s
    assert report.video_s == pytest.approx(30.0, abs=0.5)
    demo = VideoClassifier.open("motion_demo", "cpu")
    db, _ = connect(paths)
    try:
        for clip in sorted(p for p in folder.iterdir() if p.name != "broken.mp4"):
            local = demo.scan(clip)
            merged = stored_scan(db, clip)
            assert [(s.label, round(s.start_s, 3), round(s.end_s, 3), round(s.prob, 4)) for s in merged.segments] == \
                [(s.label, round(s.start_s, 3), round(s.end_s, 3), round(s.prob, 4)) for s in local.segments]
    finally:
        db.close()
    # Nothing left: a second job finds no work.
    again = index_on_ray(paths, "motion_demo", workers=2)
    assert (again.indexed, again.failed) == (0, 0)


def test_cli_on_ray_says_what_is_missing_without_ray(tmp_path, kinetoscope_home):
    folder = tmp_path / "videos"
    folder.mkdir()
    assert run_cli("library", "add", str(folder)).returncode == 0
    code = ("import sys\nsys.modules['ray'] = None\nfrom kinetoscope.cli.main import main\n"
            "sys.exit(main(sys.argv[1:]))")
    proc = subprocess.run([sys.executable, "-c", code, "library", "index", "--on-ray", "--model", "motion_demo"],
                          capture_output=True, text=True, env=os.environ.copy(), timeout=120)
    assert proc.returncode == 1
    assert 'Indexing on a cluster needs Ray: pip install "kinetoscope[cluster]".' in proc.stderr
