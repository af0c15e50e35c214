"""Noise models in TensorFlow, for use inside ``tf.data`` pipelines.

These are the TensorFlow twins of :func:`deepdenoise.noise.add_gaussian_noise`
and :func:`deepdenoise.noise.add_poisson_gaussian_noise`. They run in eager
mode and inside ``Dataset.map`` or ``tf.function`` graphs, where the noise
level may be a tensor: one value for the whole batch, or one per batch item.

Noise levels ``sigma`` are always on the **0-255 scale**: ``sigma=25`` adds
noise of standard deviation 25/255 to an image in [0, 1].

Seeds
-----
Random numbers come from TensorFlow's *stateless* random ops, so a given seed
always gives the same noise. ``seed`` may be

* ``None``: fresh noise at every call (and for every dataset element);
* an ``int`` or a :class:`numpy.random.Generator`: turned into one fixed
  stateless seed;
* a shape-[2] integer tensor (or pair of ints): used as the stateless seed
  itself;
* a :class:`tf.random.Generator`: draws a new stateless seed at every call,
  reproducible from the generator's own seed.

Inside ``Dataset.map`` the mapped function is traced once, so a fixed int seed
would give *every element of the same shape the same noise*. Give each
element its own seed instead, either with a ``tf.random.Generator`` or from
the element's index (``Dataset.enumerate``), as the examples below do.
"""

from __future__ import annotations

import numbers

import numpy as np
import tensorflow as tf

from deepdenoise._checks import check_sigma

__all__ = ["tf_add_gaussian_noise", "tf_add_poisson_gaussian_noise"]

SeedLike = int | np.random.Generator | tf.random.Generator | tf.Tensor | tuple[int, int] | None

_INT64_MIN, _INT64_MAX = np.iinfo(np.int64).min, np.iinfo(np.int64).max


def _require(condition: tf.Tensor, message: str, asserts: list) -> None:
    """Raise ``ValueError`` now (eager) or add an assertion op (graph)."""
    if tf.executing_eagerly():
        if not bool(condition):
            raise ValueError(message)
    else:
        asserts.append(tf.debugging.Assert(condition, [message]))


def _as_clean(clean: object, asserts: list) -> tf.Tensor:
    """Convert ``clean`` to a float32 tensor of rank 2, 3 or 4 without NaN."""
    tensor = tf.convert_to_tensor(clean)
    if not tensor.dtype.is_floating:
        raise TypeError(
            f"clean must be a float tensor with values in [0, 1], got {tensor.dtype}; "
            "convert 8-bit images with tf.image.convert_image_dtype"
        )
    tensor = tf.cast(tensor, tf.float32)
    rank = tensor.shape.rank
    if rank is not None and rank not in (2, 3, 4):
        raise ValueError(
            f"clean must have 2, 3 or 4 dimensions ((H, W), (H, W, C) or (N, H, W, C)), "
            f"got shape {tensor.shape}"
        )
    _require(
        tf.reduce_all(tf.math.is_finite(tensor)), "clean contains NaN or infinite values", asserts
    )
    return tensor


def _as_level(
    value: object,
    name: str,
    clean: tf.Tensor,
    asserts: list,
    *,
    low: float,
    high: float,
    scale: str,
) -> tf.Tensor:
    """Validate a noise parameter in (low, high] and shape it to broadcast with ``clean``.

    A scalar applies to everything; a rank-1 tensor gives one value per item
    along the first axis of ``clean``; a tensor of the same rank as ``clean``
    is used as is (for example a per-pixel noise map).
    """
    interval = f"lie in ({low:g}, {high:g}]" if np.isfinite(high) else f"be finite and > {low:g}"
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        number = float(value)
        if not (np.isfinite(number) and low < number <= high):
            raise ValueError(f"{name} must {interval}{scale}, got {value!r}")
        return tf.constant(number, tf.float32)
    if isinstance(value, (bool, str, bytes)):
        raise TypeError(f"{name} must be a real number or a float tensor{scale}, got {value!r}")
    tensor = tf.convert_to_tensor(value)
    if not (tensor.dtype.is_floating or tensor.dtype.is_integer) or tensor.dtype == tf.bool:
        raise TypeError(
            f"{name} must be a real number or a float tensor{scale}, got {tensor.dtype}"
        )
    tensor = tf.cast(tensor, tf.float32)
    in_range = tf.reduce_all(tf.math.is_finite(tensor) & (tensor > low) & (tensor <= high))
    _require(in_range, f"{name} must {interval}{scale}", asserts)
    rank, clean_rank = tensor.shape.rank, clean.shape.rank
    if rank == 1 and clean_rank is not None and clean_rank > 1:
        tensor = tf.reshape(tensor, [-1] + [1] * (clean_rank - 1))
    elif rank not in (None, 0) and clean_rank is not None and rank != clean_rank:
        raise ValueError(
            f"{name} must be a scalar, one value per item (rank 1) or have the rank of "
            f"clean ({clean_rank}), got shape {tensor.shape}"
        )
    return tensor


def _stateless_seeds(seed: SeedLike, count: int) -> list[tf.Tensor]:
    """Turn ``seed`` into ``count`` independent shape-[2] int64 stateless seeds."""
    if seed is None:
        base = tf.random.uniform([2], minval=0, maxval=_INT64_MAX, dtype=tf.int64)
    elif isinstance(seed, tf.random.Generator):
        base = seed.make_seeds(1)[:, 0]
    elif isinstance(seed, np.random.Generator):
        base = tf.constant(seed.integers(0, _INT64_MAX, size=2), tf.int64)
    elif isinstance(seed, numbers.Integral) and not isinstance(seed, bool):
        if not _INT64_MIN <= int(seed) <= _INT64_MAX:
            raise ValueError(f"seed must fit in a 64-bit integer, got {seed!r}")
        base = tf.constant([int(seed), 0], tf.int64)
    elif isinstance(seed, (bool, float, str, bytes)):
        raise TypeError(
            "seed must be None, an int, a numpy or tf.random.Generator, or a shape-[2] "
            f"integer tensor, got {seed!r}"
        )
    else:
        base = tf.convert_to_tensor(seed)
        if not base.dtype.is_integer or (base.shape.rank is not None and base.shape != [2]):
            raise TypeError(
                "seed must be None, an int, a numpy or tf.random.Generator, or a shape-[2] "
                f"integer tensor, got dtype {base.dtype} and shape {base.shape}"
            )
        base = tf.cast(base, tf.int64)
    if count == 1:
        return [base]
    pairs = tf.random.experimental.stateless_split(base, num=count)
    return [pairs[i] for i in range(count)]


def tf_add_gaussian_noise(
    clean: tf.Tensor,
    sigma: float | tf.Tensor,
    *,
    seed: SeedLike = None,
    clip: bool = False,
) -> tf.Tensor:
    r"""Add white Gaussian noise of standard deviation ``sigma / 255`` (TensorFlow).

    Parameters
    ----------
    clean : tf.Tensor or array_like
        Clean image(s), float in [0, 1], shape (H, W), (H, W, C) or
        (N, H, W, C).
    sigma : float or tf.Tensor
        Noise standard deviation on the **0-255 scale**, in (0, 255]. A scalar,
        a rank-1 tensor with one value per item along the first axis of
        ``clean`` (per-image levels in a batch), or a tensor of the same rank
        as ``clean`` (for example a per-pixel map).
    seed : None, int, numpy.random.Generator, tf.random.Generator or tensor
        Source of randomness; see the module notes. The same int or shape-[2]
        seed gives the same noise.
    clip : bool, optional
        Clip the result to [0, 1]. The default, False, follows the benchmark
        protocol (noise added in float, never clipped).

    Returns
    -------
    tf.Tensor
        float32 tensor ``clean + n`` of the shape of ``clean``.

    Raises
    ------
    TypeError
        If ``clean``, ``sigma`` or ``seed`` has a wrong type.
    ValueError
        If ``sigma`` lies outside (0, 255] or is NaN, ``clean`` has a wrong
        rank or holds NaN/inf, or ``sigma`` has a shape that cannot follow
        ``clean``. For values only known when a graph runs (inside
        ``Dataset.map`` or ``tf.function``), the same checks raise
        ``tf.errors.InvalidArgumentError`` with the same message.

    Notes
    -----
    For each item :math:`b` with level :math:`\sigma_b`,

    .. math::

        y_b = x_b + n_b, \qquad n_{b,i} \sim \mathcal{N}\!\left(0, (\sigma_b/255)^2\right).

    Training on a range of levels (``sigma`` drawn per item) gives a *blind*
    denoiser, as for DnCNN-B.

    References
    ----------
    .. [1] K. Zhang, W. Zuo, Y. Chen, D. Meng, L. Zhang, "Beyond a Gaussian
       Denoiser: Residual Learning of Deep CNN for Image Denoising", IEEE TIP
       26(7), 2017.

    Examples
    --------
    >>> import tensorflow as tf
    >>> clean = tf.fill([2, 32, 32, 1], 0.5)
    >>> noisy = tf_add_gaussian_noise(clean, tf.constant([10.0, 40.0]), seed=1)
    >>> std = tf.math.reduce_std(noisy - clean, axis=[1, 2, 3]) * 255
    >>> [round(float(s) / 10) * 10 for s in std]
    [10, 40]

    In a ``tf.data`` pipeline, give each element its own seed:

    >>> images = tf.data.Dataset.from_tensor_slices(tf.fill([3, 8, 8, 1], 0.5))
    >>> def add_noise(index, image):
    ...     seed = tf.stack([tf.constant(7, tf.int64), index])
    ...     return tf_add_gaussian_noise(image, 25.0, seed=seed), image
    >>> pairs = images.enumerate().map(add_noise)
    >>> first, again = next(iter(pairs)), next(iter(pairs))
    >>> bool(tf.reduce_all(first[0] == again[0]))
    True
    """
    asserts: list = []
    clean = _as_clean(clean, asserts)
    if isinstance(sigma, numbers.Real) or isinstance(sigma, (bool, str, bytes)):
        check_sigma(sigma, "sigma")  # the same TypeError/ValueError as the NumPy version
    level = _as_level(
        sigma, "sigma", clean, asserts, low=0.0, high=255.0, scale=" on the 0-255 scale"
    )
    (stateless,) = _stateless_seeds(seed, 1)
    noise = tf.random.stateless_normal(tf.shape(clean), seed=stateless, dtype=tf.float32)
    noisy = clean + (level / 255.0) * noise
    if clip:
        noisy = tf.clip_by_value(noisy, 0.0, 1.0)
    with tf.control_dependencies(asserts):
        return tf.identity(noisy)


def tf_add_poisson_gaussian_noise(
    clean: tf.Tensor,
    *,
    peak: float | tf.Tensor,
    sigma: float | tf.Tensor,
    seed: SeedLike = None,
) -> tf.Tensor:
    r"""Add Poisson noise at ``peak`` and Gaussian noise of std ``sigma / 255`` (TensorFlow).

    Parameters
    ----------
    clean : tf.Tensor or array_like
        Clean image(s), float in [0, 1] (non-negative), shape (H, W),
        (H, W, C) or (N, H, W, C).
    peak : float or tf.Tensor
        Expected photon count of a pixel of value 1, > 0. A scalar or one
        value per item (rank 1), like ``sigma``.
    sigma : float or tf.Tensor
        Standard deviation of the Gaussian part on the **0-255 scale**, in
        (0, 255]; a scalar, one value per item (rank 1), or a tensor of the
        rank of ``clean``.
    seed : None, int, numpy.random.Generator, tf.random.Generator or tensor
        Source of randomness; see the module notes.

    Returns
    -------
    tf.Tensor
        float32 tensor of the shape of ``clean``, not clipped.

    Raises
    ------
    TypeError
        If an argument has a wrong type.
    ValueError
        If ``peak <= 0``, ``sigma`` lies outside (0, 255], or ``clean`` is
        negative, has a wrong rank or holds NaN/inf (inside a graph:
        ``tf.errors.InvalidArgumentError`` with the same message).

    Notes
    -----
    .. math::

        y = \frac{1}{p}\, k + n, \qquad k \sim \mathrm{Poisson}(p\, x),
        \quad n \sim \mathcal{N}\!\left(0, (\sigma/255)^2\right),

    so :math:`\mathrm{E}[y] = x` and :math:`\mathrm{Var}[y] = x/p + (\sigma/255)^2`.
    The Poisson and Gaussian parts use two independent stateless seeds split
    from ``seed``.

    References
    ----------
    .. [1] A. Foi, M. Trimeche, V. Katkovnik, K. Egiazarian, "Practical
       Poissonian-Gaussian noise modeling and fitting for single-image raw-data",
       IEEE TIP 17(10), 2008.

    Examples
    --------
    >>> import tensorflow as tf
    >>> clean = tf.fill([128, 128], 0.5)
    >>> noisy = tf_add_poisson_gaussian_noise(clean, peak=30.0, sigma=10.0, seed=0)
    >>> expected = 0.5 / 30.0 + (10 / 255) ** 2
    >>> bool(abs(float(tf.math.reduce_variance(noisy)) / expected - 1) < 0.05)
    True
    """
    asserts: list = []
    clean = _as_clean(clean, asserts)
    if isinstance(sigma, numbers.Real) or isinstance(sigma, (bool, str, bytes)):
        check_sigma(sigma, "sigma")
    level = _as_level(
        sigma, "sigma", clean, asserts, low=0.0, high=255.0, scale=" on the 0-255 scale"
    )
    peak_value = _as_level(peak, "peak", clean, asserts, low=0.0, high=np.inf, scale="")
    _require(
        tf.reduce_all(clean >= 0.0),
        "clean must be non-negative for Poisson noise (intensities in [0, 1])",
        asserts,
    )
    poisson_seed, gauss_seed = _stateless_seeds(seed, 2)
    shape = tf.shape(clean)
    rate = clean * peak_value
    counts = tf.random.stateless_poisson(shape, seed=poisson_seed, lam=rate, dtype=tf.float32)
    noise = tf.random.stateless_normal(shape, seed=gauss_seed, dtype=tf.float32)
    noisy = counts / peak_value + (level / 255.0) * noise
    with tf.control_dependencies(asserts):
        return tf.identity(noisy)
