r"""Dead-leaves images: unlimited synthetic training data, no download.

A dead-leaves image is made of disks ("leaves") falling one after another on
the plane; each new leaf is hidden by those that fell before it. With disk
radii drawn from a power law :math:`p(r) \propto r^{-\alpha}`, :math:`\alpha
\approx 3`, the image is statistically scale invariant, like natural images:
it has edges, flat regions and occlusions at every size. Denoisers trained
on such images come close to those trained on photographs [1]_.
"""

from __future__ import annotations

import numbers

import numpy as np

from deepdenoise._checks import (
    ArgumentTypeError,
    as_generator,
    check_positive_int,
    check_positive_number,
)

__all__ = ["dead_leaves"]

_CHUNK = 1024  # disks drawn per batch of random numbers


def _check_size(size: object) -> tuple[int, int]:
    if isinstance(size, numbers.Integral) and not isinstance(size, bool):
        side = check_positive_int(size, "size")
        return side, side
    expected = f"size must be an int or a (height, width) pair, got {size!r}"
    height: object
    width: object
    try:
        height, width = size  # type: ignore[misc]  # any pair; TypeError is caught below
    except TypeError:
        raise ArgumentTypeError(expected) from None
    except ValueError:
        raise ValueError(expected) from None
    return check_positive_int(height, "size[0]"), check_positive_int(width, "size[1]")


def _power_law_radii(uniform: np.ndarray, r_min: float, r_max: float, alpha: float) -> np.ndarray:
    r"""Inverse CDF of :math:`p(r) \propto r^{-\alpha}` on [r_min, r_max]."""
    if r_max == r_min:
        return np.full_like(uniform, r_min)
    if np.isclose(alpha, 1.0):
        return r_min * (r_max / r_min) ** uniform
    low, high = r_min ** (1 - alpha), r_max ** (1 - alpha)
    return (low + uniform * (high - low)) ** (1 / (1 - alpha))


def dead_leaves(
    size: int | tuple[int, int] = (256, 256),
    *,
    seed: int | np.random.Generator | None = None,
    r_min: float = 1.0,
    r_max: float | None = None,
    alpha: float = 3.0,
    max_shapes: int = 200_000,
) -> np.ndarray:
    r"""Draw a gray dead-leaves image.

    Parameters
    ----------
    size : int or (int, int), optional
        Image height and width in pixels (an int gives a square).
    seed : int, numpy.random.Generator or None, optional
        Source of randomness; the same int gives the same image.
    r_min, r_max : float, optional
        Smallest and largest disk radius in pixels; ``r_max`` defaults to
        the larger side of the image.
    alpha : float, optional
        Exponent of the radius distribution :math:`p(r) \propto r^{-\alpha}`;
        3 gives scale invariance. Larger values give more small disks.
    max_shapes : int, optional
        Most disks to draw. Drawing stops as soon as every pixel is covered,
        normally well before; pixels left uncovered after ``max_shapes`` disks
        take one more random gray level (a last, infinite leaf).

    Returns
    -------
    numpy.ndarray
        float32 array of shape ``size``, values in [0, 1]: piecewise
        constant, one uniform random gray level per disk.

    Raises
    ------
    ValueError
        If ``size``, ``r_min``, ``r_max``, ``alpha`` or ``max_shapes`` is not
        valid (``r_max`` must be at least ``r_min``).

    Notes
    -----
    Disk centres are uniform over the image, radii follow

    .. math::

        r = \left(r_{\min}^{1-\alpha} + u\,(r_{\max}^{1-\alpha}
            - r_{\min}^{1-\alpha})\right)^{1/(1-\alpha)},
        \qquad u \sim \mathcal{U}(0, 1),

    and gray levels are uniform in [0, 1]. Each disk paints only the pixels
    that no earlier disk covers (the first leaves to fall stay on top), and
    only inside its bounding box, so the cost is about the number of disks
    needed to cover the image.

    References
    ----------
    .. [1] R. Achddou, Y. Gousseau, S. Ladjal, "Synthetic images as a
       regularity prior for image restoration neural networks", SSVM 2021.
    .. [2] G. Matheron, "Modèle séquentiel de partition aléatoire", 1968.

    Examples
    --------
    >>> image = dead_leaves((64, 96), seed=0)
    >>> image.shape, image.dtype
    ((64, 96), dtype('float32'))
    >>> bool(image.min() >= 0 and image.max() <= 1)
    True
    >>> bool(np.array_equal(image, dead_leaves((64, 96), seed=0)))
    True

    Many images make a training set for :func:`patch_dataset`:

    >>> stack = np.stack([dead_leaves(48, seed=i) for i in range(4)])
    >>> stack.shape
    (4, 48, 48)
    """
    height, width = _check_size(size)
    r_min = check_positive_number(r_min, "r_min")
    r_max = float(max(height, width)) if r_max is None else check_positive_number(r_max, "r_max")
    if r_max < r_min:
        raise ValueError(f"r_max must be at least r_min={r_min:g}, got {r_max:g}")
    alpha = check_positive_number(alpha, "alpha")
    max_shapes = check_positive_int(max_shapes, "max_shapes")
    rng = as_generator(seed)

    image = np.zeros((height, width), np.float32)
    covered = np.zeros((height, width), bool)
    uncovered = height * width
    drawn = 0
    while uncovered and drawn < max_shapes:
        count = min(_CHUNK, max_shapes - drawn)
        drawn += count
        centres_y = rng.uniform(-0.5, height - 0.5, count)
        centres_x = rng.uniform(-0.5, width - 0.5, count)
        radii = _power_law_radii(rng.uniform(0, 1, count), r_min, r_max, alpha)
        grays = rng.uniform(0, 1, count).astype(np.float32)
        top = np.maximum(np.ceil(centres_y - radii), 0).astype(int)
        bottom = np.minimum(np.floor(centres_y + radii), height - 1).astype(int) + 1
        left = np.maximum(np.ceil(centres_x - radii), 0).astype(int)
        right = np.minimum(np.floor(centres_x + radii), width - 1).astype(int) + 1
        for i in range(count):
            y0, y1, x0, x1 = top[i], bottom[i], left[i], right[i]
            if y0 >= y1 or x0 >= x1:
                continue
            box_covered = covered[y0:y1, x0:x1]
            if box_covered.all():
                continue
            dy = np.arange(y0, y1) - centres_y[i]
            dx = np.arange(x0, x1) - centres_x[i]
            new = (dy[:, None] ** 2 + dx[None, :] ** 2 <= radii[i] ** 2) & ~box_covered
            if not new.any():
                continue
            image[y0:y1, x0:x1][new] = grays[i]
            box_covered |= new
            uncovered -= int(new.sum())
            if not uncovered:
                break
    if uncovered:
        image[~covered] = np.float32(rng.uniform(0, 1))
    return image
