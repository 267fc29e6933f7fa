"""`kinetoscope library`: folders of videos indexed by action, and searched.

    library add FOLDER      add a folder (its videos, recursively)
    library index           scan new and changed files; Ctrl+C stops, the next run goes on
    library search ACTION   where the action happens, best first, grouped by file
    library status          folders, files, hours, models, unreadable files
    library remove FOLDER   take a folder and its scans out
"""

from __future__ import annotations

import argparse
import csv
import json
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TextIO

from kinetoscope.cli.arg_types import number_in
from kinetoscope.cli.exit_codes import EXIT_CANCELLED, EXIT_OK
from kinetoscope.cli.progress import ProgressLine
from kinetoscope.cli.scan_cmd import clock
from kinetoscope.words import size_text
from kinetoscope.engine.inference.classify import VideoClassifier
from kinetoscope.engine.inference.scan import SCAN_CPU
from kinetoscope.engine.library.database import LibraryPaths, connect
from kinetoscope.engine.library.folders import add_folder, remove_folder
from kinetoscope.engine.library.indexer import FileIndexed, Indexer
from kinetoscope.engine.library.search import SearchQuery, search
from kinetoscope.engine.library.status import library_status
from kinetoscope.engine.modelfiles.model_store import default_model_id

_fraction = number_in(float, 0.0, 1.0, "a number")
_seconds = number_in(float, 0.0, 86400, "a number of seconds", " seconds")
_every = number_in(float, 0.01, 3600, "a number of seconds", " seconds")


def add_library_parser(sub: argparse._SubParsersAction) -> None:
    """Register `library` and its subcommands on the top-level subparsers."""
    p = sub.add_parser("library", help="index folders of videos by action and search them",
                       description="A library of your videos: folders scanned once, searchable by action.")
    lib = p.add_subparsers(dest="library_command", metavar="SUBCOMMAND", required=True)
    a = lib.add_parser("add", help="add a folder of videos (recursively)")
    a.add_argument("folder")
    r = lib.add_parser("remove", help="take a folder and its scans out of the library")
    r.add_argument("folder")
    i = lib.add_parser("index", help="scan the new and changed files (Ctrl+C stops; the next run goes on)")
    i.add_argument("--model", help="installed model id, release zip or folder (default: I3D Kinetics-400)")
    i.add_argument("--precision", choices=("float", "w8a8", "w8a16"), help="default: float if installed")
    i.add_argument("--device", choices=("cpu", "npu"), default="cpu")
    i.add_argument("--every", type=_every, metavar="SECONDS", help="start a window every SECONDS (default: back to back)")
    i.add_argument("--on-ray", action="store_true",
                   help='run the scans as a Ray Data job (needs pip install "kinetoscope[cluster]")')
    i.add_argument("--workers", type=number_in(int, 1, 4096, "a whole number"), default=2,
                   help="with --on-ray: scanning actors, one CPU each (default 2)")
    i.add_argument("--address", help="with --on-ray: a running Ray cluster's address (default: start one here)")
    s = lib.add_parser("search", help="where an action happens, best first, grouped by file")
    s.add_argument("action", help="an action: a Kinetics-400 class, a taught action, or part of one")
    s.add_argument("--min", type=_fraction, default=0.0, metavar="P", help="lowest confidence, 0 to 1 (default 0)")
    s.add_argument("--min-length", type=_seconds, default=0.0, metavar="SECONDS", help="shortest segment")
    s.add_argument("--folder", help="only files under this folder")
    s.add_argument("--since", type=_date, metavar="YYYY-MM-DD", help="only files dated on or after")
    s.add_argument("--until", type=_date, metavar="YYYY-MM-DD", help="only files dated before")
    s.add_argument("--model", help="only what this model (id) found")
    s.add_argument("--limit", type=number_in(int, 1, 1_000_000, "a whole number"), default=500,
                   help="most segments listed (default 500)")
    out = s.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print one JSON object: files and their segments")
    out.add_argument("--csv", action="store_true", help="print CSV: one row per segment")
    st = lib.add_parser("status", help="folders, files, hours, models and unreadable files")
    st.add_argument("--json", action="store_true")


def _date(text: str) -> float:
    try:
        return datetime.strptime(text, "%Y-%m-%d").timestamp()
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-01-31") from None


def run(args: argparse.Namespace, out: TextIO) -> int:
    paths = LibraryPaths.default()
    handler = {"add": _add, "remove": _remove, "index": _index, "search": _search, "status": _status}
    return handler[args.library_command](args, out, paths)


@contextmanager
def _opened(paths: LibraryPaths) -> Iterator[sqlite3.Connection]:
    """The library's database for one command, closed after it; a rebuilt database's sentence goes to stderr."""
    db, notice = connect(paths)
    if notice:
        print(f"kinetoscope: {notice}", file=sys.stderr)
    try:
        yield db
    finally:
        db.close()


def _add(args: argparse.Namespace, out: TextIO, paths: LibraryPaths) -> int:
    with _opened(paths) as db:
        folder = add_folder(db, paths, args.folder)
    out.write(f"Added {folder}; run `kinetoscope library index` to scan its videos.\n")
    return EXIT_OK


def _remove(args: argparse.Namespace, out: TextIO, paths: LibraryPaths) -> int:
    with _opened(paths) as db:
        count = remove_folder(db, paths, args.folder)
    out.write(f"Removed {args.folder} and its {count} file{'' if count == 1 else 's'} from the library.\n")
    return EXIT_OK


def _index(args: argparse.Namespace, out: TextIO, paths: LibraryPaths) -> int:
    if args.on_ray:
        return _index_on_ray(args, out, paths)
    classifier = VideoClassifier.open(args.model or default_model_id(), args.device, precision=args.precision,
                                      cpu=SCAN_CPU)
    progress = ProgressLine(sys.stderr)

    def file_done(f: FileIndexed) -> None:
        progress.close()
        what = f"cannot be read: {f.error}" if f.error else f"{f.segments} segment{'' if f.segments == 1 else 's'}"
        out.write(f"{f.path}\t{clock(f.duration_s)}\t{what}\n")
        out.flush()

    indexer = Indexer(paths, classifier, every_s=args.every, on_progress=lambda p: progress.show(p.text()),
                      on_file=file_done)
    try:
        report = indexer.run()
    except KeyboardInterrupt:
        # The file being scanned was not written; every finished one was, a transaction each.
        progress.close()
        print("kinetoscope: stopped; the files indexed so far are kept, and `library index` goes on from here.",
              file=sys.stderr)
        return EXIT_CANCELLED
    finally:
        progress.close()
    if report.notice:
        print(f"kinetoscope: {report.notice}", file=sys.stderr)
    out.write(f"Library: {report.sync.summary()}. Indexed {report.indexed} file{'' if report.indexed == 1 else 's'} "
              f"({clock(report.seconds_indexed)} of video) with {report.model} in {report.elapsed_s:.1f} s"
              + (f"; {report.failed} cannot be read (see `library status`)" if report.failed else "") + ".\n")
    return EXIT_OK


def _index_on_ray(args: argparse.Namespace, out: TextIO, paths: LibraryPaths) -> int:
    from kinetoscope.engine.library.cluster import index_on_ray

    report = index_on_ray(paths, args.model or default_model_id(), precision=args.precision, workers=args.workers,
                          every_s=args.every, address=args.address)
    out.write(f"Library: {report.sync.summary()}. Indexed {report.indexed} files ({clock(report.video_s)} of video) "
              f"with {report.model} on Ray in {report.wall_s:.1f} s; merged into the index in "
              f"{report.merge_s * 1000:.0f} ms" + (f"; {report.failed} cannot be read" if report.failed else "") + ".\n")
    for name, w in sorted(report.workers.items()):
        out.write(f"  worker {name}: {w.files} files, {clock(w.video_s)} of video, {w.throughput:.1f} s of video a second\n")
    return EXIT_OK


def _search(args: argparse.Namespace, out: TextIO, paths: LibraryPaths) -> int:
    query = SearchQuery(args.action, min_prob=args.min, min_length_s=args.min_length, folder=args.folder,
                        since=args.since, until=args.until, model_id=args.model, limit=args.limit)
    with _opened(paths) as db:
        files = search(db, query)
    if args.json:
        out.write(json.dumps({"action": args.action, "files": [f.to_json() for f in files]}, indent=2,
                             ensure_ascii=False) + "\n")
    elif args.csv:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["path", "start_s", "end_s", "label", "prob", "model"])
        for f in files:
            for h in f.hits:
                writer.writerow([str(f.path), f"{h.start_s:.3f}", f"{h.end_s:.3f}", h.label, f"{h.prob:.6f}", h.model_id])
    elif not files:
        out.write(f"Nothing found for {args.action!r}" + (f" at {args.min:g} or above" if args.min else "") + ".\n")
    else:
        for f in files:
            out.write(f"{f.path}  ({clock(f.duration_s)})\n")
            for h in f.hits:
                out.write(f"  {clock(h.start_s):>9} – {clock(h.end_s):<9}  {h.label}  {h.prob * 100:5.1f} %  "
                          f"[{h.model_name}]\n")
    return EXIT_OK


def _status(args: argparse.Namespace, out: TextIO, paths: LibraryPaths) -> int:
    with _opened(paths) as db:
        status = library_status(db, paths.db)
    if args.json:
        out.write(json.dumps(status.to_json(), indent=2, ensure_ascii=False) + "\n")
        return EXIT_OK
    out.write(f"Library  {paths.db}  ({size_text(status.db_bytes)})\n")
    if not status.folders:
        out.write("No folders yet: add one with `kinetoscope library add FOLDER`.\n")
    for f in status.folders:
        out.write(f"  {f.path}  {f.files} video{'' if f.files == 1 else 's'}" + ("" if f.exists else "  (not found)") + "\n")
    out.write(f"{status.files} files, {status.hours:.2f} h of video, {status.segments} segments\n")
    for m in status.models:
        out.write(f"  {m.name} ({m.model_id}, {m.precision}): {m.files} files scanned, {m.hours:.2f} h\n")
    if status.unreadable:
        out.write(f"{len(status.unreadable)} cannot be read:\n")
        for path, reason in status.unreadable:
            out.write(f"  {path}: {reason}\n")
    return EXIT_OK
