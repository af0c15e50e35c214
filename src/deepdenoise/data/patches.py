r"""The batches of :class:`~deepdenoise.data.PatchSampler` as a ``tf.data`` dataset.

:func:`patch_dataset` is a thin wrapper: it loads the images into memory
with :func:`~deepdenoise.data.sampler.load_training_images`, and each of its
batches is computed by the NumPy sampler of :mod:`deepdenoise.data.sampler`
(crops, flips and rotations, noise from
:func:`deepdenoise.noise.add_gaussian_noise`). The package has one sampler;
this module only hands its batches to TensorFlow, for notebooks and code
that want a ``tf.data.Dataset``.
"""

from __future__ import annotations

import numbers
import os
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import tensorflow as tf

from deepdenoise._checks import ArgumentTypeError, check_positive_int
from deepdenoise.data.benchmarks import BENCHMARKS
from deepdenoise.data.sampler import (
    PatchSampler,
    _as_paths,
    image_patches,
    load_training_images,
    sigma_range,
)

__all__ = ["patch_dataset"]


def _int_seed(seed: object) -> int:
    """An int for ``seed``: drawn from a Generator or fresh entropy, an int passed on as is."""
    if seed is None or isinstance(seed, np.random.Generator):
        generator = seed if seed is not None else np.random.default_rng()
        return int(generator.integers(0, 2**63 - 1))
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise ArgumentTypeError(
            f"seed must be an integer >= 0, a numpy.random.Generator or None, got {seed!r}"
        )
    return int(seed)  # the sampler checks that it is >= 0


def _dataset(indices: tf.data.Dataset, make: Callable[[int], Any], spec: Any) -> tf.data.Dataset:
    """Map each batch index ``k`` to ``make(k)``, NumPy arrays returned unchanged as tensors."""
    specs = tf.nest.flatten(spec)

    def arrays(index: np.ndarray) -> list[np.ndarray]:
        return tf.nest.flatten(make(int(index)))

    def element(index: tf.Tensor) -> Any:
        flat = tf.numpy_function(arrays, [index], [s.dtype for s in specs], stateful=False)
        flat = [tf.ensure_shape(t, s.shape) for t, s in zip(flat, specs, strict=True)]
        return tf.nest.pack_sequence_as(spec, flat)

    batches = indices.map(element, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    return batches.prefetch(tf.data.AUTOTUNE)


def patch_dataset(
    source: str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | np.ndarray,
    *,
    patch_size: int = 40,
    batch_size: int = 32,
    sigma: float | tuple[float, float] = 25.0,
    patches_per_image: int = 8,
    augment: bool = True,
    seed: int | np.random.Generator | None = None,
    noise_map: bool = False,
    repeat: bool = True,
    shuffle_buffer: int | None = None,
    channels: int | None = None,
    clipped_fraction: float = 0.0,
) -> tf.data.Dataset:
    r"""Batches of (noisy, clean) training patches from :class:`PatchSampler`, as ``tf.data``.

    All images are loaded into memory first, by
    :func:`~deepdenoise.data.sampler.load_training_images` (8-bit images
    stay uint8 there, a quarter of the memory of float32). Every batch is
    then drawn in NumPy by the package's one sampler; this function only
    hands the batches to TensorFlow.

    Parameters
    ----------
    source : str, path, list of paths or numpy.ndarray
        The name of a training set (``"train400"``, ``"cbsd432"``, as
        :func:`~deepdenoise.data.load_training_images` takes it), a folder
        of images, an image file, a list of image files (PNG, JPEG,
        BMP or TIFF, 8 or 16 bits, read with
        :func:`~deepdenoise.data.load_image`), or an in-memory stack of
        images (N, H, W) or (N, H, W, C), float in [0, 1] or uint8/uint16
        (for example Train400 from :func:`~deepdenoise.data.benchmark` or
        dead-leaves images).
    patch_size : int, optional
        Side P of the square patches; must not exceed any image side.
    batch_size : int, optional
        Patches per batch.
    sigma : float or (float, float), optional
        Noise standard deviation on the **0-255 scale**: a fixed level, or a
        range (low, high) from which each patch draws its own level
        uniformly (blind training, as DnCNN-B with (0, 55)).
    patches_per_image : int, optional
        Random crops taken from each drawn image.
    augment : bool, optional
        Apply a random one of the 8 flips/rotations by 90 degrees to each
        patch.
    seed : int, numpy.random.Generator or None, optional
        An int >= 0 is the sampler's seed, so the same int gives the same
        batches; a Generator or None (fresh entropy) first draws such an
        int.
    noise_map : bool, optional
        Yield ``((noisy, sigma_map), clean)`` with ``sigma_map`` of shape
        (B, P, P, 1) filled with each patch's ``sigma / 255``, the input of a
        noise-level-map model such as FFDNet.
    repeat : bool, optional
        True: an endless dataset whose batch ``k`` is
        ``PatchSampler(images, ..., seed=seed, steps=...).batch(k)``, for
        ``fit(..., steps_per_epoch=...)``. False: one pass in which every
        image, in order, gives exactly ``patches_per_image`` patches
        (:func:`~deepdenoise.data.sampler.image_patches`); the last batch may
        be smaller. Either way, every iteration gives the same batches.
    shuffle_buffer : None, optional
        Deprecated and ignored (the sampler mixes images within each batch
        itself); passing it warns. It will be removed in the next release.
    channels : int, optional
        1 (gray) or 3 (RGB) for files, converted as
        :func:`~deepdenoise.data.load_image` does (gray is repeated to RGB,
        RGB turned to gray with the weights of
        :func:`skimage.color.rgb2gray`, alpha dropped with a warning);
        default 1. For an array, its own channel count, which must match.
    clipped_fraction : float, optional
        Fraction in [0, 1] of the patches whose noisy version is clipped to
        [0, 1] and rounded to 8 bits, as a noisy photo saved to a file (the
        map keeps the nominal level).

    Returns
    -------
    tf.data.Dataset
        Elements ``(noisy, clean)``, float32 tensors of shape (B, P, P, C);
        ``clean`` lies in [0, 1] and, unless clipped, ``noisy = clean + n``
        is not clipped.

    Raises
    ------
    ValueError
        If ``patch_size`` exceeds an image side (the message names
        ``patch_size`` and the image), an argument is out of range (the
        message names it), or the folder holds no image.
    FileNotFoundError
        If a file or folder in ``source`` does not exist.

    Warns
    -----
    DeprecationWarning
        If ``shuffle_buffer`` is given.
    UserWarning
        If an image file has an alpha channel, which is dropped.

    See Also
    --------
    deepdenoise.data.PatchSampler : the same batches for ``keras.Model.fit``
        on any backend, without TensorFlow.

    Notes
    -----
    For a patch :math:`x` with level :math:`\sigma` the noisy input is

    .. math::

        y = x + \frac{\sigma}{255}\, n, \qquad n_i \sim \mathcal{N}(0, 1),

    the model of :func:`deepdenoise.noise.add_gaussian_noise`, which draws
    it.

    Examples
    --------
    >>> import numpy as np
    >>> images = np.random.default_rng(0).random((3, 32, 32), dtype=np.float32)
    >>> data = patch_dataset(images, patch_size=16, batch_size=4, sigma=25, seed=0)
    >>> noisy, clean = next(iter(data))
    >>> tuple(noisy.shape), tuple(clean.shape)
    ((4, 16, 16, 1), (4, 16, 16, 1))

    Batch ``k`` is the sampler's batch ``k``, bit for bit:

    >>> from deepdenoise.data import PatchSampler
    >>> sampler = PatchSampler(images, patch_size=16, batch_size=4, sigma=25, seed=0, steps=1)
    >>> bool(np.array_equal(noisy.numpy(), sampler.batch(0)[0]))
    True

    With a range of levels and a noise-level map:

    >>> data = patch_dataset(images, patch_size=16, batch_size=4, sigma=(5, 50),
    ...                      noise_map=True, seed=0)
    >>> (noisy, sigma_map), clean = next(iter(data))
    >>> tuple(sigma_map.shape), bool(5 / 255 <= sigma_map.numpy().min() <= 50 / 255)
    ((4, 16, 16, 1), True)

    One pass, 4 patches from each of the 3 images, in batches of 5:

    >>> data = patch_dataset(images, patch_size=16, batch_size=5, patches_per_image=4,
    ...                      repeat=False, seed=0)
    >>> [int(clean.shape[0]) for _, clean in data]
    [5, 5, 2]
    """
    if shuffle_buffer is not None:
        warnings.warn(
            "patch_dataset(shuffle_buffer=...) is ignored (the sampler mixes images within "
            "each batch) and will be removed in the next release",
            DeprecationWarning,
            stacklevel=2,
        )
    patch_size = check_positive_int(patch_size, "patch_size")
    batch_size = check_positive_int(batch_size, "batch_size")
    patches_per_image = check_positive_int(patches_per_image, "patches_per_image")
    sigma_range(sigma)  # a bad level fails before the images are read
    seed = _int_seed(seed)

    named = isinstance(source, str) and source in BENCHMARKS
    paths = None if named else _as_paths(source)
    images = load_training_images(source if paths is None else paths, channels=channels)
    for path, image in zip(paths or [], images, strict=False):  # the sampler names arrays
        height, width = image.shape[:2]
        if patch_size > min(height, width):
            raise ValueError(
                f"patch_size={patch_size} is larger than {str(path)!r} ({height}x{width})"
            )
    options: dict[str, Any] = {
        "patch_size": patch_size,
        "sigma": sigma,
        "noise_map": noise_map,
        "patches_per_image": patches_per_image,
        "augment": augment,
        "clipped_fraction": clipped_fraction,
        "seed": seed,
    }
    channel_count = int(images[0].shape[-1]) if images else 1

    def spec(size: int | None) -> Any:
        patches = tf.TensorSpec((size, patch_size, patch_size, channel_count), tf.float32)
        if noise_map:
            level_map = tf.TensorSpec((size, patch_size, patch_size, 1), tf.float32)
            return (patches, level_map), patches
        return patches, patches

    if repeat:
        # steps only sets len(sampler); batch(k) is defined for every k >= 0.
        sampler = PatchSampler(images, batch_size=batch_size, steps=1, **options)
        return _dataset(tf.data.Dataset.counter(), sampler.batch, spec(batch_size))

    arrays = image_patches(images, **options)
    count = len(images) * patches_per_image

    def batch(index: int) -> Any:
        part = slice(index * batch_size, (index + 1) * batch_size)
        return tf.nest.map_structure(lambda array: array[part], arrays)

    return _dataset(tf.data.Dataset.range(-(-count // batch_size)), batch, spec(None))
