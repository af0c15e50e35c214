r"""A ``tf.data`` pipeline of noisy/clean training patches.

:func:`patch_dataset` turns images into an endless stream of batches of
random patches, augmented by the eight flips and rotations of the square and
corrupted on the fly by Gaussian noise:

1. images are read one by one from disk (``tf.io.read_file`` and
   ``tf.io.decode_image``), so a folder larger than memory still trains, or
   sliced from an in-memory array;
2. each decoded image gives ``patches_per_image`` random crops at once;
3. patches are shuffled across images in a buffer, batched, flipped and
   rotated, and noise is added to each patch;
4. batches are prefetched while the model trains on the previous one.

All randomness uses TensorFlow's *stateless* random ops, seeded from the
``seed`` argument and the position in the stream, so two datasets built with
the same seed give the same batches.
"""

from __future__ import annotations

import numbers
import os
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import tensorflow as tf

from deepdenoise._checks import as_generator, check_image, check_positive_int, check_sigma
from deepdenoise.data.images import list_image_files, load_image

__all__ = ["patch_dataset"]

# Files TensorFlow decodes itself; others (TIFF, BMP) go through load_image.
_NATIVE_SUFFIXES = (".gif", ".jpeg", ".jpg", ".png")
_NATIVE_PATTERN = r"(?i).*\.(gif|jpe?g|png)"
_LUMA_WEIGHTS = (0.2125, 0.7154, 0.0721)  # skimage.color.rgb2gray


def _sigma_range(sigma: object) -> tuple[float, float]:
    """A fixed sigma or a (low, high) range, both on the 0-255 scale."""
    if isinstance(sigma, (tuple, list)):
        if len(sigma) != 2:
            raise ValueError(f"sigma must be a number or a (low, high) pair, got {sigma!r}")
        low = check_sigma(sigma[0], "sigma", allow_zero=True)
        high = check_sigma(sigma[1], "sigma")
        if low > high:
            raise ValueError(f"sigma range must have low <= high, got {sigma!r}")
        return low, high
    value = check_sigma(sigma, "sigma")
    return value, value


def _image_size(path: Path) -> tuple[int, int]:
    """Height and width of an image file (only its header when possible); warn about alpha."""
    if path.suffix.lower() in (".tif", ".tiff"):
        image = load_image(path)
        return image.shape[0], image.shape[1]
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as opened:
            width, height = opened.size
            alpha = opened.mode in ("LA", "PA", "RGBA") or "transparency" in opened.info
    except (UnidentifiedImageError, OSError) as exc:
        raise ValueError(f"{str(path)!r} is not an image file that can be read") from exc
    if alpha:
        warnings.warn(
            f"{str(path)!r} has an alpha channel; patch_dataset drops it",
            UserWarning,
            stacklevel=3,
        )
    return height, width


def _as_paths(source: object) -> list[Path] | None:
    """The image files named by ``source``, or None if it is not a path or list of paths."""
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if path.is_dir():
            return list_image_files(path)
        if not path.exists():
            raise FileNotFoundError(f"source {str(path)!r} does not exist")
        return [path]
    if (
        isinstance(source, Sequence)
        and source
        and all(isinstance(item, (str, os.PathLike)) for item in source)
    ):
        paths = [Path(item) for item in source]
        for path in paths:
            if not path.is_file():
                raise FileNotFoundError(f"source lists {str(path)!r}, which is not a file")
        return paths
    return None


def _as_array(source: object) -> np.ndarray:
    """An (N, H, W, C) float32 array in [0, 1] from an in-memory stack of images."""
    array = np.asarray(source)
    if array.dtype == np.uint8:
        array = array.astype(np.float32) / np.float32(255)
    elif array.dtype == np.uint16:
        array = array.astype(np.float32) / np.float32(65535)
    array = check_image(array, "source", ndims=(3, 4))
    if array.ndim == 3:
        array = array[..., np.newaxis]
    if array.min() < 0 or array.max() > 1:
        raise ValueError(
            "source must hold images in [0, 1] (or uint8/uint16), "
            f"got values in [{array.min():g}, {array.max():g}]"
        )
    return array


def _to_channels(image: tf.Tensor, channels: int) -> tf.Tensor:
    """Gray, gray + alpha, RGB or RGBA (H, W, n) to (H, W, channels), as load_image does.

    Alpha is dropped, gray is repeated to RGB, and RGB is turned to gray with
    the weights of :func:`skimage.color.rgb2gray` (ITU-R BT.709 luma).
    """
    colour = tf.shape(image)[-1] >= 3
    if channels == 3:
        converted = tf.cond(
            colour, lambda: image[..., :3], lambda: tf.repeat(image[..., :1], 3, axis=-1)
        )
    else:
        weights = tf.constant(_LUMA_WEIGHTS, tf.float32)
        converted = tf.cond(
            colour,
            lambda: tf.tensordot(image[..., :3], weights, axes=1)[..., tf.newaxis],
            lambda: image[..., :1],
        )
    return tf.ensure_shape(converted, [None, None, channels])


def _decode(path: tf.Tensor, channels: int, all_native: bool) -> tf.Tensor:
    """Read and decode one file to float32 (H, W, channels) in [0, 1]."""

    def with_tensorflow() -> tf.Tensor:
        # Decode to 16 bits (8-bit samples are scaled by 257 exactly), then divide: the
        # values are bit for bit those of load_image (k / 255 or k / 65535).
        image = tf.io.decode_image(
            tf.io.read_file(path), channels=0, dtype=tf.uint16, expand_animations=False
        )
        image = tf.cast(image, tf.float32) / tf.constant(65535.0, tf.float32)
        return _to_channels(image, channels)

    if all_native:
        return with_tensorflow()

    def load(name: bytes) -> np.ndarray:
        image = load_image(name.decode(), as_gray=channels == 1)
        if image.ndim == 2:
            image = np.repeat(image[..., np.newaxis], channels, axis=-1)
        return image.astype(np.float32)

    def with_numpy() -> tf.Tensor:
        image = tf.numpy_function(load, [path], tf.float32, stateful=False)
        return tf.ensure_shape(image, [None, None, channels])

    return tf.cond(tf.strings.regex_full_match(path, _NATIVE_PATTERN), with_tensorflow, with_numpy)


def _random_crops(image: tf.Tensor, seed: tf.Tensor, patch_size: int, count: int) -> tf.Tensor:
    """``count`` random (patch_size, patch_size, C) crops of one image, exact pixel copies."""
    shape = tf.shape(image)
    tf.debugging.assert_greater_equal(
        tf.reduce_min(shape[:2]),
        patch_size,
        message=f"patch_size={patch_size} is larger than an image of the dataset",
    )
    seeds = tf.random.experimental.stateless_split(seed, num=2)
    top = tf.random.stateless_uniform(
        [count], seeds[0], minval=0, maxval=shape[0] - patch_size + 1, dtype=tf.int32
    )
    left = tf.random.stateless_uniform(
        [count], seeds[1], minval=0, maxval=shape[1] - patch_size + 1, dtype=tf.int32
    )
    offsets = tf.range(patch_size)
    rows = tf.gather(image, top[:, None] + offsets, axis=0)  # (count, P, W, C)
    return tf.gather(rows, left[:, None] + offsets, axis=2, batch_dims=1)  # (count, P, P, C)


def _dihedral(batch: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
    """Apply one of the 8 rotations/flips of the square to each patch of a batch."""
    variants = []
    for quarter_turns in range(4):
        turned = tf.image.rot90(batch, k=quarter_turns)
        variants += [turned, tf.reverse(turned, axis=[2])]
    stacked = tf.stack(variants, axis=1)  # (B, 8, P, P, C)
    choice = tf.random.stateless_uniform(
        tf.shape(batch)[:1], seed, minval=0, maxval=8, dtype=tf.int32
    )
    return tf.gather(stacked, choice, axis=1, batch_dims=1)


def patch_dataset(
    source: str | os.PathLike | Sequence[str | os.PathLike] | np.ndarray,
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
) -> tf.data.Dataset:
    r"""Stream batches of (noisy, clean) patches for training a denoiser.

    Parameters
    ----------
    source : path, list of paths or numpy.ndarray
        A folder of images, an image file, a list of image files (streamed
        from disk: PNG, JPEG and GIF decoded by TensorFlow, TIFF and BMP by
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
        Random crops taken from each decoded image, so each file is read and
        decoded once per ``patches_per_image`` patches.
    augment : bool, optional
        Apply a random one of the 8 flips/rotations by 90 degrees to each
        patch.
    seed : int, numpy.random.Generator or None, optional
        Seeds the file order, crops, shuffling, augmentation and noise; the
        same int gives the same batches.
    noise_map : bool, optional
        Yield ``((noisy, sigma_map), clean)`` with ``sigma_map`` of shape
        (B, P, P, 1) filled with each patch's ``sigma / 255``, the input of a
        noise-level-map model such as FFDNet.
    repeat : bool, optional
        Loop over the images forever, reshuffling them each pass (for
        ``fit(..., steps_per_epoch=...)``). With False the dataset makes one
        pass, and its last batch may be smaller.
    shuffle_buffer : int, optional
        Patches held in the shuffle buffer that mixes patches of different
        images; 0 disables it. Default: ``max(8 * batch_size,
        16 * patches_per_image)``.
    channels : int, optional
        1 (gray) or 3 (RGB) for files, which are converted as they are
        decoded as :func:`~deepdenoise.data.load_image` does (gray is
        repeated to RGB, RGB turned to gray with the weights of
        :func:`skimage.color.rgb2gray`, alpha dropped with a warning when
        the dataset is built); default 1. For an array, its own channel
        count.

    Returns
    -------
    tf.data.Dataset
        Elements ``(noisy, clean)``, float32 tensors of shape (B, P, P, C);
        ``clean`` lies in [0, 1] and ``noisy = clean + n`` is not clipped.

    Raises
    ------
    ValueError
        If ``patch_size`` exceeds an image side (the message names
        ``patch_size`` and the image), an argument is out of range, or the
        folder holds no image.
    FileNotFoundError
        If a file or folder in ``source`` does not exist.

    Notes
    -----
    For a patch :math:`x` with level :math:`\sigma` the noisy input is

    .. math::

        y = x + \frac{\sigma}{255}\, n, \qquad n_i \sim \mathcal{N}(0, 1),

    the model of :func:`deepdenoise.noise_tf.tf_add_gaussian_noise`, drawn
    here with one stateless seed per batch.

    Examples
    --------
    >>> import numpy as np
    >>> images = np.random.default_rng(0).random((3, 32, 32), dtype=np.float32)
    >>> data = patch_dataset(images, patch_size=16, batch_size=4, sigma=25, seed=0)
    >>> noisy, clean = next(iter(data))
    >>> tuple(noisy.shape), tuple(clean.shape)
    ((4, 16, 16, 1), (4, 16, 16, 1))

    With a range of levels and a noise-level map:

    >>> data = patch_dataset(images, patch_size=16, batch_size=4, sigma=(5, 50),
    ...                      noise_map=True, seed=0)
    >>> (noisy, sigma_map), clean = next(iter(data))
    >>> tuple(sigma_map.shape), bool(0 < sigma_map.numpy().min() <= 50 / 255)
    ((4, 16, 16, 1), True)
    """
    patch_size = check_positive_int(patch_size, "patch_size")
    batch_size = check_positive_int(batch_size, "batch_size")
    patches_per_image = check_positive_int(patches_per_image, "patches_per_image")
    low, high = _sigma_range(sigma)
    if shuffle_buffer is None:
        shuffle_buffer = max(8 * batch_size, 16 * patches_per_image)
    if (
        isinstance(shuffle_buffer, bool)
        or not isinstance(shuffle_buffer, numbers.Integral)
        or shuffle_buffer < 0
    ):
        raise ValueError(f"shuffle_buffer must be an integer >= 0, got {shuffle_buffer!r}")
    if channels is not None and (isinstance(channels, bool) or channels not in (1, 3)):
        raise ValueError(f"channels must be 1, 3 or None, got {channels!r}")
    seeds = [int(value) for value in as_generator(seed).integers(0, 2**31 - 1, size=6)]

    paths = _as_paths(source)
    if paths is not None:
        channels = channels or 1
        for path in paths:
            height, width = _image_size(path)
            if patch_size > min(height, width):
                raise ValueError(
                    f"patch_size={patch_size} is larger than {str(path)!r} ({height}x{width})"
                )
        all_native = all(path.suffix.lower() in _NATIVE_SUFFIXES for path in paths)
        images = tf.data.Dataset.from_tensor_slices([str(path) for path in paths])
        count = len(paths)

        def decode(name: tf.Tensor) -> tf.Tensor:
            return _decode(name, channels, all_native)

    else:
        array = _as_array(source)
        if channels is not None and array.shape[-1] != channels:
            raise ValueError(f"channels={channels} does not match source with shape {array.shape}")
        channels = array.shape[-1]
        if patch_size > min(array.shape[1:3]):
            raise ValueError(
                f"patch_size={patch_size} is larger than the source images "
                f"({array.shape[1]}x{array.shape[2]})"
            )
        stack = tf.constant(array)
        images = tf.data.Dataset.range(array.shape[0])
        count = array.shape[0]

        def decode(index: tf.Tensor) -> tf.Tensor:
            return tf.gather(stack, index)

    images = images.shuffle(count, seed=seeds[0], reshuffle_each_iteration=True)
    if repeat:
        images = images.repeat()

    def crops(index: tf.Tensor, item: tf.Tensor) -> tf.Tensor:
        seed_pair = tf.stack([tf.constant(seeds[1], tf.int64), index])
        return _random_crops(decode(item), seed_pair, patch_size, patches_per_image)

    patches = images.enumerate().map(crops, num_parallel_calls=tf.data.AUTOTUNE).unbatch()
    if shuffle_buffer:
        patches = patches.shuffle(shuffle_buffer, seed=seeds[2])
    batches = patches.batch(batch_size, drop_remainder=repeat)

    def corrupt(index: tf.Tensor, clean: tf.Tensor):
        def seed_for(position: int) -> tf.Tensor:
            return tf.stack([tf.constant(seeds[position], tf.int64), index])

        if augment:
            clean = _dihedral(clean, seed_for(3))
        size = tf.shape(clean)[:1]
        if low == high:
            levels = tf.fill(size, tf.constant(low, tf.float32))
        else:
            levels = tf.random.stateless_uniform(size, seed_for(4), minval=low, maxval=high)
        scale = tf.reshape(levels / 255.0, [-1, 1, 1, 1])
        noise = tf.random.stateless_normal(tf.shape(clean), seed_for(5), dtype=tf.float32)
        noisy = clean + scale * noise
        if noise_map:
            sigma_map = tf.broadcast_to(scale, tf.concat([tf.shape(clean)[:3], [1]], axis=0))
            return (noisy, sigma_map), clean
        return noisy, clean

    batches = batches.enumerate().map(corrupt, num_parallel_calls=tf.data.AUTOTUNE)
    return batches.prefetch(tf.data.AUTOTUNE)
