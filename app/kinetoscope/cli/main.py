"""Entry point of the `kinetoscope` command."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from kinetoscope import __version__
from kinetoscope.cli.arg_types import number_in
from kinetoscope.cli.bench_cmd import add_bench_parser
from kinetoscope.cli.exit_codes import EXIT_BAD_INPUT, EXIT_CANCELLED, EXIT_DEVICE, EXIT_FAILED, EXIT_OK
from kinetoscope.cli.library_cmd import add_library_parser
from kinetoscope.cli.models_cmd import add_models_parser
from kinetoscope.cli.scan_cmd import add_scan_parser
from kinetoscope.cli.teach import add_teach_parser
from kinetoscope.engine.errors import BadInput, Cancelled, DeviceError, KinetoscopeError, NpuFailed
from kinetoscope.engine.logs import setup_file_logging

log = logging.getLogger("kinetoscope.cli")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kinetoscope", description="Recognise actions in video clips.")
    parser.add_argument("--version", action="version", version=f"kinetoscope {__version__}")
    parser.add_argument("--self-test", action="store_true",
                        help="check this installation on the bundled models and sample clips, then exit")
    parser.add_argument("--licences", "--licenses", action="store_true",
                        help="print Kinetoscope's licence and the third-party notices, then exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("classify", help="classify clips and print the top-5 actions",
                       description="Classify one clip, or many clips and folders with one model session.")
    p.add_argument("clips", nargs="+", metavar="CLIP_OR_FOLDER",
                   help="video files, or folders whose video files are classified in name order")
    p.add_argument("--model", help="installed model id, release zip or folder (default: I3D Kinetics-400)")
    p.add_argument("--precision", choices=("float", "w8a8", "w8a16"), help="default: float if installed")
    p.add_argument("--device", choices=("cpu", "npu"), default="cpu")
    p.add_argument("--views", type=number_in(int, 1, 64, "a whole number"),
                   help="temporal views (default: the model's recipe, 5 for AI Hub's)")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true",
                     help="print one JSON object instead of text (a list of them for several clips)")
    out.add_argument("--jsonl", action="store_true",
                     help='print one JSON object a line, per clip as it completes; a failed clip as {"clip", "error"}')
    p.add_argument("--csv", metavar="PATH", help="also write one row per clip (top-5, device, model, error) to PATH")

    add_scan_parser(sub)

    p = sub.add_parser("gui", help="open the window, optionally on some clips or folders")
    p.add_argument("clips", nargs="*", metavar="CLIP", help="video files or folders to classify")

    p = sub.add_parser("devices", help="list the devices that can run models here, and why not")
    p.add_argument("--json", action="store_true")

    add_models_parser(sub)
    add_bench_parser(sub)
    add_teach_parser(sub)
    add_library_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.self_test:
        from kinetoscope.cli.self_test import run_self_test

        return run_self_test(sys.stdout)
    if args.licences:
        from kinetoscope.engine.notices import notices_text

        if hasattr(sys.stdout, "reconfigure"):  # a Windows console or pipe in a legacy code page
            sys.stdout.reconfigure(errors="replace")
        try:
            sys.stdout.write(notices_text())
            sys.stdout.flush()
        except BrokenPipeError:  # `kinetoscope --licences | head`: the reader had enough
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    if args.command is None:
        parser.print_help()
        return EXIT_OK
    log_file = setup_file_logging()
    from kinetoscope.cli import commands
    from kinetoscope.cli.output import stdout_for_results

    try:
        with stdout_for_results() as out:
            return commands.run(args, out)
    except Cancelled:
        return EXIT_CANCELLED
    except BadInput as exc:
        return _fail(exc, EXIT_BAD_INPUT)
    except NpuFailed as exc:
        return _fail(exc, EXIT_DEVICE, hint="run again with --device cpu")
    except DeviceError as exc:
        return _fail(exc, EXIT_DEVICE)
    except KinetoscopeError as exc:
        return _fail(exc, EXIT_FAILED)
    except KeyboardInterrupt:
        return EXIT_CANCELLED
    except Exception:
        log.exception("unexpected error in %s", args.command)
        print(f"kinetoscope: an unexpected error occurred; details are in {log_file or 'the log file'}.",
              file=sys.stderr)
        return EXIT_FAILED


def _fail(exc: KinetoscopeError, code: int, hint: str = "") -> int:
    log.error("%s (%s)", exc.message, exc.detail or "no detail")
    message = f"{exc.message.removesuffix('.')} ({hint})." if hint else exc.message
    print(f"kinetoscope: {message}", file=sys.stderr)
    return code


