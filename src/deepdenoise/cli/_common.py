"""What every ``deepdenoise`` subcommand shares: the error type, messages, argument types.

Examples
--------
>>> sigma_list("15, 25")
[15.0, 25.0]
>>> one_line(ValueError("two\\nlines"))
'two lines'
"""

from __future__ import annotations

import argparse
import sys

__all__ = [
    "PROG",
    "UsageError",
    "comma_list",
    "non_negative_int",
    "one_line",
    "positive_float",
    "positive_int",
    "print_error",
    "sigma_list",
    "sigma_value",
    "tile_size",
]

PROG = "deepdenoise"


class UsageError(Exception):
    """Bad input the user can fix; printed as one line, exit status 2."""


def print_error(message: str) -> None:
    """Print ``deepdenoise: error: message`` on stderr."""
    print(f"{PROG}: error: {message}", file=sys.stderr, flush=True)


def one_line(error: BaseException) -> str:
    """The message of ``error`` on one line (Keras and TensorFlow messages span several)."""
    return " ".join(str(error).split()) or type(error).__name__


def comma_list(text: str) -> list[str]:
    """Argument type: a non-empty comma-separated list."""
    items = [item.strip() for item in text.split(",") if item.strip()]
    if not items:
        raise argparse.ArgumentTypeError(f"expected a comma-separated list, got {text!r}")
    return items


def sigma_value(text: str) -> float:
    """Argument type: a noise level on the 0-255 scale, in (0, 255]."""
    from deepdenoise._checks import check_sigma

    try:
        return check_sigma(float(text), "sigma")
    except (TypeError, ValueError) as problem:
        raise argparse.ArgumentTypeError(one_line(problem)) from None


def sigma_list(text: str) -> list[float]:
    """Argument type: comma-separated noise levels."""
    return [sigma_value(item) for item in comma_list(text)]


def positive_int(text: str) -> int:
    """Argument type: an integer > 0."""
    from deepdenoise._checks import check_positive_int

    try:
        return check_positive_int(int(text), "value")
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None


def positive_float(text: str) -> float:
    """Argument type: a finite number > 0."""
    from deepdenoise._checks import check_positive_number

    try:
        return check_positive_number(float(text), "value")
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text!r}") from None


def non_negative_int(text: str) -> int:
    """Argument type: an integer >= 0."""
    if text.strip() == "0":
        return 0
    return positive_int(text)


def tile_size(text: str) -> int | None:
    """Argument type: a tile side in pixels; 0 means None (the whole image)."""
    if text.strip() == "0":
        return None
    return positive_int(text)
