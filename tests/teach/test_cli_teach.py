"""`kinetoscope teach …` end to end in subprocesses, on a tiny base model: add, train, list, show,
classify and scan with the set's name, export, import elsewhere, remove; bad input exits 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from motions import render
from tiny_base import install_tiny_base

pytestmark = pytest.mark.slow  # a dozen subprocesses, each loading onnxruntime


def cli(*args: str, home: Path | None = None) -> subprocess.CompletedProcess:
    env = os.environ.copy()
    if home is not None:
        env["KINETOSCOPE_HOME"] = str(home)
    code = "import sys\nfrom kinetoscope.cli.main import main\nsys.exit(main(sys.argv[1:]))"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=600, env=env)


def test_teach_from_the_command_line(tmp_path) -> None:
    base = install_tiny_base(tmp_path)
    clips = {m: [render(tmp_path, m, 90 + k) for k in range(3)] for m in ("growing", "moving left")}
    first = cli("teach", "add", "shapes", "growing", str(clips["growing"][0]), "--model", base)
    assert first.returncode == 0, first.stderr
    assert first.stdout == "shapes: 'growing' has 1 example (1 actions, 1 examples in all).\n"
    for path in clips["growing"][1:]:
        assert cli("teach", "add", "shapes", "growing", str(path)).returncode == 0
    added = cli("teach", "add", "shapes", "moving left", str(clips["moving left"][0]), "--from", "0.2", "--to", "1.9",
                "--json")
    assert json.loads(added.stdout)["actions"][1]["examples"][0]["start_s"] == 0.2
    assert cli("teach", "add", "shapes", "moving left", str(clips["moving left"][1])).returncode == 0

    trained = cli("teach", "train", "shapes", "--json")
    assert trained.returncode == 0, trained.stderr
    report = json.loads(trained.stdout)
    assert report["actions"] == ["growing", "moving left"] and report["examples"] == [3, 2]
    assert report["warnings"] == ["'moving left' has 2 examples; 3 or more make it reliable."]
    assert report["confusions"]["columns"][-1] == "none of the taught actions"
    assert report["cache"] == {"hits": 5, "misses": 0} and report["model"]["id"] == "shapes"

    assert len(report["block_weights"]) == 2 and sum(report["block_weights"]) == 1.0
    text = cli("teach", "train", "shapes").stdout
    assert f"Weights: the model's features {report['block_weights'][0]:.2f}, the motion numbers " in text

    listed = json.loads(cli("teach", "list", "--json").stdout)["sets"]
    assert [(s["name"], s["examples"], s["trained"]) for s in listed] == [("shapes", 5, ["float"])]
    shown = json.loads(cli("teach", "show", "shapes", "--json").stdout)
    assert shown["trained"]["float"]["actions"] == ["growing", "moving left"]

    classified = cli("classify", str(clips["growing"][2]), "--model", "shapes", "--json")
    assert classified.returncode == 0, classified.stderr
    result = json.loads(classified.stdout)
    assert isinstance(result["rejected"], bool)
    assert result["rejected"] == (result["top5"][0]["label"] == "none of the taught actions")
    assert "base_top5" not in result
    beside = cli("classify", str(clips["growing"][2]), "--model", "shapes", "--json", "--base-top5")
    assert beside.returncode == 0, beside.stderr
    base_json = json.loads(beside.stdout)
    assert base_json["top5"] == result["top5"]
    base_alone = json.loads(cli("classify", str(clips["growing"][2]), "--model", base, "--json").stdout)
    assert base_json["base_top5"] == {"model": {"id": base, "precision": "float", "name": "Tiny Base"},
                                      "top5": base_alone["top5"]}
    text = cli("classify", str(clips["growing"][2]), "--model", "shapes", "--base-top5").stdout
    assert f"Top 5 of the base model, Tiny Base ({base}, float)" in text
    assert base_alone["top5"][0]["label"] in text.split("Top 5 of the base model")[1]
    scanned = cli("scan", str(clips["moving left"][2]), "--model", "shapes", "--json")
    assert scanned.returncode == 0, scanned.stderr
    windows = json.loads(scanned.stdout)["windows"]
    assert windows and {p["label"] for w in windows for p in w["top5"]} == {"growing", "moving left",
                                                                           "none of the taught actions"}

    exported = cli("teach", "export", "shapes", str(tmp_path))
    assert exported.returncode == 0 and (tmp_path / "shapes-onnx-float.zip").is_file(), exported.stderr
    elsewhere = tmp_path / "elsewhere"
    imported = cli("teach", "import", str(tmp_path / "shapes-onnx-float.zip"), home=elsewhere)
    assert imported.returncode == 0, imported.stderr
    again = json.loads(cli("classify", str(clips["growing"][2]), "--model", "shapes", "--json", home=elsewhere).stdout)
    assert again["top5"] == result["top5"]

    removed = cli("teach", "remove", "shapes", "moving left", "--example", "2")
    assert removed.returncode == 0 and removed.stdout == "Removed example 2 of 'moving left' from shapes.\n"
    assert cli("teach", "remove", "shapes").returncode == 0
    assert json.loads(cli("teach", "list", "--json").stdout) == {"sets": []}


def test_bad_input_exits_2_with_one_sentence(tmp_path) -> None:
    base = install_tiny_base(tmp_path)
    clip = render(tmp_path, "growing", 95)
    assert cli("teach", "add", "drill", "jab", str(clip), "--model", base).returncode == 0
    before = (tmp_path / "dummy").exists()
    for args, words in (
        (("teach", "train", "drill"), "one action only"),
        (("teach", "add", "drill", "jab", str(clip), "--from", "0", "--to", "0.4"), "shorter than the model's window"),
        (("teach", "add", "Drill", "jab", str(clip)), "cannot name a set"),
        (("teach", "show", "nothing"), "There is no action set 'nothing'"),
        (("teach", "export", "drill", str(tmp_path)), "has not been trained yet"),
        (("classify", str(clip), "--model", base, "--base-top5"), "is not a taught model"),
    ):
        proc = cli(*args)
        assert proc.returncode == 2, (args, proc.stderr)
        assert proc.stdout == "" and words in proc.stderr and proc.stderr.count("\n") == 1, proc.stderr
    assert json.loads(cli("teach", "show", "drill", "--json").stdout)["actions"][0]["examples"].__len__() == 1
    assert not before
