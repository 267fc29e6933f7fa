"""`kinetoscope models …`: list, download, import, remove and verify models from the command line."""

from __future__ import annotations

import argparse
import json
import sys
import threading
from typing import TextIO

from kinetoscope.cli.progress import ProgressLine
from kinetoscope.cli.exit_codes import EXIT_CANCELLED, EXIT_FAILED, EXIT_OK
from kinetoscope.engine.cancel import CancelToken
from kinetoscope.words import download_text, model_size, model_status, size_text
from kinetoscope.engine.modelfiles.catalog import (MEASURES_EXPLAINED, NO_FIGURE, Accuracy, accuracies_text,
                                                  load_catalog)
from kinetoscope.engine.modelfiles.download import DownloadProgress
from kinetoscope.engine.errors import BadInput, Cancelled
from kinetoscope.engine.modelfiles.http_client import NetworkError
from kinetoscope.engine.modelfiles.model_install import Manifest, import_model, installed_dir, remove_model, verify_model
from kinetoscope.engine.modelfiles.model_library import (ModelRow, Status, check_removable, disk_space, download_and_install,
                                              list_models)


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register `models` and its actions on the top-level subparsers."""
    p = sub.add_parser("models", help="list, download, import, verify and remove models")
    actions = p.add_subparsers(dest="models_action", metavar="ACTION", required=True)
    a = actions.add_parser("list", help="the models Kinetoscope knows, and which are installed")
    a.add_argument("--json", action="store_true")
    a = actions.add_parser("download", help="download and install a model from the catalog (resumes)")
    a.add_argument("model_id", metavar="ID")
    a.add_argument("--precision", default="float", help="float (default), w8a8 or w8a16")
    a = actions.add_parser("import", help="install a release zip or bundle folder you already have")
    a.add_argument("path", metavar="PATH")
    a = actions.add_parser("remove", help="delete an installed model")
    a.add_argument("model_id", metavar="ID")
    a.add_argument("--precision", required=True)
    a = actions.add_parser("verify", help="re-check installed models against their checksums")
    a.add_argument("--json", action="store_true")
    p.set_defaults(run=run)


def run(args: argparse.Namespace, out: TextIO) -> int:
    handler = {"list": _list, "download": _download, "import": _import, "remove": _remove,
               "verify": _verify}[args.models_action]
    return handler(args, out)


def _list(args: argparse.Namespace, out: TextIO) -> int:
    catalog = load_catalog()
    rows = list_models(catalog)
    disk = disk_space()
    if args.json:
        out.write(json.dumps({"models": [r.to_json() for r in rows],
                              "disk": {"used_bytes": disk.downloaded, "bundled_bytes": disk.bundled,
                                       "free_bytes": disk.free}}, indent=2) + "\n")
        return EXIT_OK
    width = max([17, *(len(model_status(r)) for r in rows)])
    out.write(f"{'MODEL':<16} {'PRECISION':<9} {'STATUS':<{width}} {'SIZE':>9}  {'NPU (X Elite)':<14} "
              f"{'TOP-1 (video, clip)':<21} NAME\n")
    for r in rows:
        latency = (r.entry.latency_text() if r.entry else "") or NO_FIGURE
        accuracy = accuracies_text(r.accuracies) if r.accuracies else NO_FIGURE
        out.write(f"{r.model_id:<16} {r.precision:<9} {model_status(r):<{width}} {model_size(r)[0]:>9}  "
                  f"{latency:<14} {accuracy:<21} {r.name}\n")
        for problem in r.problems[2:]:  # the status names the first two
            out.write(f"{'':<16} ! {problem}\n")
    out.write(f"\nDownloaded models use {size_text(disk.downloaded)}; the bundled ones {size_text(disk.bundled)} (inside the "
              f"app); {size_text(disk.free)} free.\n")
    out.write("Sizes: measured on disk, else ~ the catalog's figure, ≈ estimated from the parameter count, or ? "
              "until a download starts.\n")
    out.write("NPU latency and top-1 are published figures, not measured here:\n")
    for name, accuracies in _sources(rows):
        for accuracy in accuracies:
            out.write(f"  {name}: {accuracy.sentence()}\n")
    out.write("  NPU latency: Qualcomm AI Hub, Snapdragon X Elite, ONNX Runtime; – where none is published.\n")
    out.write(f"  {MEASURES_EXPLAINED}\n")
    return EXIT_OK


def _sources(rows: list[ModelRow]) -> list[tuple[str, tuple[Accuracy, ...]]]:
    """(name, accuracies) once per model that has published accuracies, in list order."""
    seen: dict[str, tuple[str, tuple[Accuracy, ...]]] = {}
    for r in rows:
        if r.accuracies and r.model_id not in seen:
            seen[r.model_id] = (r.name, r.accuracies)
    return list(seen.values())


def _download(args: argparse.Namespace, out: TextIO) -> int:
    entry = load_catalog().find(args.model_id, args.precision)
    label = f"{entry.model_id} ({entry.precision})"
    line = ProgressLine(sys.stderr, interval_s=0.2)
    tenths = [-1]  # the last tenth written where there is no terminal

    def progress(p: DownloadProgress) -> None:
        step = p.percent // 10 if p.percent is not None else tenths[0]
        line.show(f"{label}  {download_text(p)}", final=p.percent == 100, off_terminal=step > tenths[0])
        tenths[0] = max(tenths[0], step)
    token = CancelToken()
    outcome: dict[str, object] = {}

    def work() -> None:
        try:
            outcome["manifest"] = download_and_install(
                entry, cancel=token, on_progress=progress,
                on_stage=lambda s: None if s.startswith("Downloading") else line.say(f"{label}  {s}"))
        except BaseException as exc:  # handed to the main thread, which reports it
            outcome["error"] = exc

    # The work runs in a thread so that Ctrl+C always reaches the main thread promptly: numpy's
    # and onnxruntime's threads may receive the signal while a read is blocked.
    worker = threading.Thread(target=work, name="models-download")
    worker.start()
    try:
        while worker.is_alive():
            worker.join(0.1)
    except KeyboardInterrupt:
        token.cancel()
        worker.join()
        outcome.setdefault("error", Cancelled())
    line.close()
    error = outcome.get("error")
    if isinstance(error, Cancelled):
        print("kinetoscope: Download paused; run the same command again to continue where it stopped.",
              file=sys.stderr)
        return EXIT_CANCELLED
    if isinstance(error, NetworkError) and error.resumable:
        raise NetworkError(error.message + " Run the same command again to resume.", detail=error.detail) from error
    if isinstance(error, BaseException):
        raise error
    manifest = outcome["manifest"]
    assert isinstance(manifest, Manifest)
    out.write(f"Installed {manifest.name} ({manifest.model_id}, {manifest.precision}) in "
              f"{installed_dir(manifest.model_id, manifest.precision)}\n")
    return EXIT_OK


def _import(args: argparse.Namespace, out: TextIO) -> int:
    manifest = import_model(args.path, on_stage=lambda s: print(s, file=sys.stderr))
    out.write(f"Imported {manifest.model_id} ({manifest.precision}) into "
              f"{installed_dir(manifest.model_id, manifest.precision)}\n")
    return EXIT_OK


def _remove(args: argparse.Namespace, out: TextIO) -> int:
    row = next((r for r in list_models(load_catalog()) if r.key == (args.model_id, args.precision)), None)
    if row is None or not (row.removable or row.status is Status.BUNDLED):
        raise BadInput(f"{args.model_id} ({args.precision}) is not installed.")
    check_removable(row)
    remove_model(args.model_id, args.precision)
    out.write(f"Removed {args.model_id} ({args.precision}).\n")
    return EXIT_OK


def _verify(args: argparse.Namespace, out: TextIO) -> int:
    rows = [r for r in list_models(load_catalog()) if r.path is not None and r.status is not Status.BUNDLED]
    results = [verify_model(r.model_id, r.precision) for r in rows]
    if args.json:
        out.write(json.dumps({"models": [{"id": v.model_id, "precision": v.precision, "ok": v.ok,
                                          "problems": list(v.problems), "path": str(v.path)} for v in results]},
                             indent=2) + "\n")
    else:
        for v in results:
            out.write(f"{v.model_id:<16} {v.precision:<9} {'ok' if v.ok else 'BROKEN'}\n")
            for problem in v.problems:
                out.write(f"{'':<16} ! {problem}\n")
        if not results:
            out.write("No installed models to verify.\n")
    broken = [v for v in results if not v.ok]
    if broken:
        names = ", ".join(f"{v.model_id} ({v.precision})" for v in broken)
        print(f"kinetoscope: {len(broken)} installed model(s) failed verification: {names}. "
              "Repair with `kinetoscope models download ID --precision P`.", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK
