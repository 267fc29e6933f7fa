"""Argument types for the CLI's options: a number in a range (or argparse's one-line error), and the
model options every command that runs a model shares."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TypeVar

from kinetoscope.engine.modelfiles.model_store import PRECISIONS

N = TypeVar("N", int, float)


def add_model_args(p: argparse.ArgumentParser) -> None:
    """`--model`, `--precision` and `--device`, alike for every command that runs one model."""
    p.add_argument("--model", help="installed model id, release zip or folder (default: I3D Kinetics-400)")
    p.add_argument("--precision", choices=PRECISIONS, help="default: float if installed")
    p.add_argument("--device", choices=("cpu", "npu"), default="cpu")


def number_in(parse: Callable[[str], N], low: N, high: N, what: str, unit: str = "") -> Callable[[str], N]:
    """An argparse `type` that parses with `parse` (int or float) and accepts `low` ≤ value ≤ `high`.

    `what` names the kind of value in the message for text that does not parse ("a whole number");
    `unit` follows the range in the message for a value outside it (" seconds").
    """

    def check(text: str) -> N:
        try:
            value = parse(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be between {low:g} and {high:g}{unit}")
        return value

    return check
