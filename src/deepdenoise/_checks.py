"""Argument checks shared by every module.

Each helper raises an error whose message names the argument and says what
was expected, so that bad input never fails silently. The exception type
follows one rule, the same for every check:

* an argument of the wrong *type* (a string for a number, a float for an
  integer, a non-numeric array) raises :class:`ArgumentTypeError`, which is
  both a :class:`TypeError` and a :class:`ValueError`, so callers that catch
  either keep working;
* an argument of the right type but a value out of range (a negative count,
  NaN, ``sigma=300``) raises a plain :class:`ValueError`.

Examples
--------
>>> try:
...     check_positive_int("3", "depth")
... except TypeError as error:  # or ValueError: both catch it
...     print(type(error).__name__, error)
ArgumentTypeError depth must be a positive integer, got '3'
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = [
    "ArgumentTypeError",
    "as_generator",
    "check_fraction",
    "check_image",
    "check_non_negative_int",
    "check_positive_int",
    "check_positive_number",
    "check_sigma",
]


class ArgumentTypeError(TypeError, ValueError):
    """An argument of the wrong type: a :class:`TypeError` and a :class:`ValueError`.

    Raised by every check of the package for a wrong *type*. Being both, it
    is caught by ``except TypeError`` and by ``except ValueError``, as
    :class:`numpy.exceptions.AxisError` is both a ``ValueError`` and an
    ``IndexError``. Values of the right type that are out of range raise a
    plain :class:`ValueError`.

    Examples
    --------
    >>> issubclass(ArgumentTypeError, TypeError), issubclass(ArgumentTypeError, ValueError)
    (True, True)
    """


def _as_int(value: object, name: str, expected: str) -> int:
    """``value`` as an int if it is a Python or NumPy integer (not a bool), else raise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ArgumentTypeError(f"{name} must be {expected}, got {value!r}")
    return int(value)


def _as_float(value: object, name: str, expected: str) -> float:
    """``value`` as a float if it is a Python or NumPy real number (not a bool), else raise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ArgumentTypeError(f"{name} must be {expected}, got {value!r}")
    return float(value)


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
    raise ArgumentTypeError(
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
    ArgumentTypeError
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
        raise ArgumentTypeError(f"{name} must be a numeric array, got dtype {array.dtype}")
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

    Raises
    ------
    ArgumentTypeError
        If ``sigma`` is not a real number.
    ValueError
        If it lies outside (0, 255] (or [0, 255] with ``allow_zero``).

    Examples
    --------
    >>> check_sigma(25)
    25.0
    """
    value = _as_float(sigma, name, "a real number on the 0-255 scale")
    low_ok = value >= 0 if allow_zero else value > 0
    if not (np.isfinite(value) and low_ok and value <= 255):
        interval = "[0, 255]" if allow_zero else "(0, 255]"
        raise ValueError(f"{name} must lie in {interval} on the 0-255 scale, got {sigma!r}")
    return value


def check_positive_int(value: object, name: str) -> int:
    """Validate a strictly positive integer.

    Parameters
    ----------
    value : int
        A Python or NumPy integer (not a bool, not a float such as ``3.0``).
    name : str
        The argument name used in error messages.

    Returns
    -------
    int

    Raises
    ------
    ArgumentTypeError
        If ``value`` is not an integer.
    ValueError
        If it is 0 or negative.

    Examples
    --------
    >>> check_positive_int(3, "depth")
    3
    """
    result = _as_int(value, name, "a positive integer")
    if result <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return result


def check_non_negative_int(value: object, name: str) -> int:
    """Validate an integer >= 0 (a count that may be zero, an overlap, a seed).

    Parameters
    ----------
    value : int
        A Python or NumPy integer (not a bool, not a float such as ``3.0``).
    name : str
        The argument name used in error messages.

    Returns
    -------
    int

    Raises
    ------
    ArgumentTypeError
        If ``value`` is not an integer.
    ValueError
        If it is negative.

    Examples
    --------
    >>> check_non_negative_int(0, "overlap")
    0
    >>> check_non_negative_int(-1, "overlap")
    Traceback (most recent call last):
    ...
    ValueError: overlap must be an integer >= 0, got -1
    """
    result = _as_int(value, name, "an integer >= 0")
    if result < 0:
        raise ValueError(f"{name} must be an integer >= 0, got {value!r}")
    return result


def check_positive_number(value: object, name: str, *, allow_zero: bool = False) -> float:
    """Validate a finite real number > 0 (or >= 0 with ``allow_zero``).

    Parameters
    ----------
    value : float
        A Python or NumPy real number (not a bool). Integers are accepted.
    name : str
        The argument name used in error messages.
    allow_zero : bool
        Accept 0 as well.

    Returns
    -------
    float

    Raises
    ------
    ArgumentTypeError
        If ``value`` is not a real number.
    ValueError
        If it is NaN, infinite, negative, or 0 without ``allow_zero``.

    Examples
    --------
    >>> check_positive_number(1e-3, "learning_rate")
    0.001
    >>> check_positive_number(0, "wall_time_s", allow_zero=True)
    0.0
    >>> check_positive_number(float("inf"), "data_range")
    Traceback (most recent call last):
    ...
    ValueError: data_range must be a finite number > 0, got inf
    """
    expected = f"a finite number {'>= 0' if allow_zero else '> 0'}"
    result = _as_float(value, name, expected)
    if not (np.isfinite(result) and (result >= 0 if allow_zero else result > 0)):
        raise ValueError(f"{name} must be {expected}, got {value!r}")
    return result


def check_fraction(value: object, name: str) -> float:
    """Validate a real number in [0, 1] (a probability or a fraction).

    Parameters
    ----------
    value : float
        A Python or NumPy real number (not a bool).
    name : str
        The argument name used in error messages.

    Returns
    -------
    float

    Raises
    ------
    ArgumentTypeError
        If ``value`` is not a real number.
    ValueError
        If it lies outside [0, 1] or is NaN.

    Examples
    --------
    >>> check_fraction(0.25, "amount")
    0.25
    """
    result = _as_float(value, name, "a real number in [0, 1]")
    if not 0.0 <= result <= 1.0:  # also rejects NaN
        raise ValueError(f"{name} must lie in [0, 1], got {value!r}")
    return result
