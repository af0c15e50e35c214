"""Argument checks shared by the model builders."""

from __future__ import annotations

from .._checks import check_positive_int

SUPPORTED_CHANNELS = (1, 3)


def check_channels(channels: object) -> int:
    """Return ``channels`` if it is 1 (gray) or 3 (RGB), else raise ValueError.

    Examples
    --------
    >>> check_channels(3)
    3
    """
    value = check_positive_int(channels, "channels")
    if value not in SUPPORTED_CHANNELS:
        raise ValueError(f"channels must be 1 (gray) or 3 (RGB), got {channels!r}")
    return value


def check_depth(depth: object, *, minimum: int = 2) -> int:
    """Return ``depth`` if it is an integer of at least ``minimum``.

    Examples
    --------
    >>> check_depth(17)
    17
    """
    value = check_positive_int(depth, "depth")
    if value < minimum:
        raise ValueError(f"depth must be at least {minimum} convolution layers, got {depth!r}")
    return value
