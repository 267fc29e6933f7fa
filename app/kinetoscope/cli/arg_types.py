"""Argument types for the CLI's numeric options: a number in a range, or argparse's one-line error."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TypeVar

N = TypeVar("N", int, float)


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
