"""Entry point of the `kinetoscope` command."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from kinetoscope import __version__
from kinetoscope.cli import bench_cmd, classify_cmd, devices_cmd, gui_cmd, library_cmd, models_cmd, scan_cmd, teach
from kinetoscope.cli.exit_codes import EXIT_BAD_INPUT, EXIT_CANCELLED, EXIT_DEVICE, EXIT_FAILED, EXIT_OK
from kinetoscope.cli.library_cmd import add_library_parser
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

    for command in (classify_cmd, scan_cmd, gui_cmd, devices_cmd, models_cmd, bench_cmd):
        command.add_parser(sub)  # each sets `run`, its handler
    add_teach_parser(sub)
    add_library_parser(sub)
    sub.choices["teach"].set_defaults(run=teach.run)
    sub.choices["library"].set_defaults(run=library_cmd.run)
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
    from kinetoscope.cli.output import stdout_for_results

    try:
        with stdout_for_results() as out:
            return args.run(args, out)
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
    """Say `exc` on one line of stderr: its message, then what to do (`hint`, else the error's own)."""
    log.error("%s (%s)", exc.message, exc.detail or "no detail")
    if hint:
        message = f"{exc.message.removesuffix('.')} ({hint})."
    else:
        steps = [line.removeprefix("• ") for line in exc.hint.splitlines()[1:]]  # after "What you can do:"
        message = " ".join([exc.message, *(["What you can do:", *steps] if steps else [])])
    print(f"kinetoscope: {message}", file=sys.stderr)
    return code
