"""8- and 16-bit samples to float32 in [0, 1] and back, the same way everywhere.

Images are float32 in [0, 1] inside the package; files and callers may hold
``uint8`` (0-255) or ``uint16`` (0-65535) samples. Integers are divided by
the largest value of their type, so ``k`` becomes ``k / 255`` or
``k / 65535`` (computed in float32), and :func:`from_unit_float` gives the
stored integers back exactly.

Examples
--------
>>> import numpy as np
>>> levels = np.array([0, 128, 255], dtype=np.uint8)
>>> bool(np.array_equal(from_unit_float(to_unit_float(levels), np.uint8), levels))
True
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

__all__ = ["INTEGER_MAX", "from_unit_float", "to_unit_float"]

#: The integer sample types, each with its largest value (which maps to 1.0).
INTEGER_MAX: Mapping[np.dtype, int] = {np.dtype(np.uint8): 255, np.dtype(np.uint16): 65535}


def to_unit_float(array: ArrayLike) -> np.ndarray:
    """Return ``array`` as float32, ``uint8``/``uint16`` samples scaled to [0, 1].

    Parameters
    ----------
    array : array_like
        Samples of any numeric type. ``uint8`` is divided by 255 and
        ``uint16`` by 65535; any other type (float, bool) is only cast to
        float32, not rescaled or checked.

    Returns
    -------
    numpy.ndarray
        float32, the same shape; ``array`` itself when it is float32 already.

    Examples
    --------
    >>> import numpy as np
    >>> to_unit_float(np.array([0, 65535], dtype=np.uint16))
    array([0., 1.], dtype=float32)
    >>> to_unit_float(np.array([0.5], dtype=np.float64))
    array([0.5], dtype=float32)
    """
    array = np.asarray(array)
    top = INTEGER_MAX.get(array.dtype)
    if top is not None:
        return array.astype(np.float32) / np.float32(top)
    return array.astype(np.float32, copy=False)


def from_unit_float(array: ArrayLike, dtype: DTypeLike) -> np.ndarray:
    """Clip float samples to [0, 1] and round them to the levels of ``uint8`` or ``uint16``.

    Parameters
    ----------
    array : array_like
        Float samples on the [0, 1] scale (values outside are clipped). They
        are scaled in float64, so no float32 rounding moves a level.
    dtype : {numpy.uint8, numpy.uint16}
        The integer type to return.

    Returns
    -------
    numpy.ndarray
        ``rint(clip(array, 0, 1) * top)`` as ``dtype``, with ``top`` 255 or
        65535 (halves round to even, as :func:`numpy.rint` does).

    Raises
    ------
    ValueError
        If ``dtype`` is not ``uint8`` or ``uint16``.

    Examples
    --------
    >>> import numpy as np
    >>> from_unit_float([-0.2, 0.5, 0.995, 1.3], np.uint8)
    array([  0, 128, 254, 255], dtype=uint8)
    """
    target = np.dtype(dtype)
    if target not in INTEGER_MAX:
        raise ValueError(f"dtype must be uint8 or uint16, got {target}")
    top = INTEGER_MAX[target]
    scaled = np.rint(np.clip(np.asarray(array, dtype=np.float64), 0.0, 1.0) * top)
    return scaled.astype(target)
