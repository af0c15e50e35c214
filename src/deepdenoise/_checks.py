"""Argument checks shared by every module.

Each helper raises a ``TypeError`` or ``ValueError`` whose message names the
argument and says what was expected, so that bad input never fails silently.
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["as_generator", "check_image", "check_positive_int", "check_sigma"]


def as_generator(seed: int | np.random.Generator | None) -> np.random.Generator:
    """Return a NumPy random generator for ``seed``.

    Parameters
    ----------
    seed : int, numpy.random.Generator or None
        An integer seed, an existing generator (returned unchanged) or None
        for fresh entropy.

    Returns
    -------
    numpy.random.Generator

    Examples
    --------
    >>> rng = as_generator(0)
    >>> as_generator(rng) is rng
    True
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None or (isinstance(seed, numbers.Integral) and not isinstance(seed, bool)):
        return np.random.default_rng(seed)
    raise TypeError(
        f"seed must be an int, a numpy.random.Generator or None, got {type(seed).__name__}"
    )


def check_image(
    image: object,
    name: str = "image",
    *,
    ndims: tuple[int, ...] = (2, 3),
    channels: tuple[int, ...] | None = None,
) -> np.ndarray:
    """Validate an image array and return it as float32.

    Parameters
    ----------
    image : array_like
        The image. Floating images are expected in [0, 1]; they are not
        rescaled here.
    name : str
        The argument name used in error messages.
    ndims : tuple of int
        Accepted numbers of dimensions (2 for (H, W), 3 for (H, W, C),
        4 for (N, H, W, C)).
    channels : tuple of int, optional
        Accepted channel counts when the array has a channel axis.

    Returns
    -------
    numpy.ndarray
        A float32 array (a copy only when a conversion was needed).

    Raises
    ------
    TypeError
        If ``image`` is not numeric.
    ValueError
        If its rank, channel count or size is wrong, or it holds NaN or inf.

    Examples
    --------
    >>> check_image(np.zeros((4, 5))).dtype
    dtype('float32')
    """
    array = np.asarray(image)
    if not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        raise TypeError(f"{name} must be a numeric array, got dtype {array.dtype}")
    if array.ndim not in ndims:
        raise ValueError(
            f"{name} must have {' or '.join(map(str, ndims))} dimensions, got shape {array.shape}"
        )
    if array.size == 0 or min(array.shape) == 0:
        raise ValueError(f"{name} must not be empty, got shape {array.shape}")
    if channels is not None and array.ndim >= 3 and array.shape[-1] not in channels:
        raise ValueError(
            f"{name} must have {' or '.join(map(str, channels))} channels "
            f"in its last axis, got shape {array.shape}"
        )
    array = array.astype(np.float32, copy=False)
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return array


def check_sigma(sigma: object, name: str = "sigma", *, allow_zero: bool = False) -> float:
    """Validate a noise level on the 0-255 scale.

    Parameters
    ----------
    sigma : float
        Standard deviation on the 0-255 scale (``sigma=25`` means 25/255 on
        images in [0, 1]).
    name : str
        The argument name used in error messages.
    allow_zero : bool
        Accept ``sigma == 0`` (no noise).

    Returns
    -------
    float

    Examples
    --------
    >>> check_sigma(25)
    25.0
    """
    if isinstance(sigma, bool) or not isinstance(sigma, numbers.Real):
        raise TypeError(f"{name} must be a real number on the 0-255 scale, got {sigma!r}")
    value = float(sigma)
    low_ok = value >= 0 if allow_zero else value > 0
    if not (np.isfinite(value) and low_ok and value <= 255):
        interval = "[0, 255]" if allow_zero else "(0, 255]"
        raise ValueError(f"{name} must lie in {interval} on the 0-255 scale, got {sigma!r}")
    return value


def check_positive_int(value: object, name: str) -> int:
    """Validate a strictly positive integer.

    Examples
    --------
    >>> check_positive_int(3, "depth")
    3
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)
