r"""Random noisy/clean training patches in NumPy: the one sampler of every training path.

:class:`PatchSampler` is a ``keras.utils.PyDataset``: ``keras.Model.fit``
reads its batches on the TensorFlow, JAX and PyTorch backends alike, and it
imports no TensorFlow. :func:`deepdenoise.data.patch_dataset` wraps the same
batches in ``tf.data`` for the notebooks.

A batch of ``B`` patches is drawn from nothing but ``(seed, step)``:

1. ``ceil(B / patches_per_image)`` images, drawn with replacement;
2. ``patches_per_image`` random square crops of each (exact pixel copies);
3. one of the 8 flips and rotations of the square per patch (``augment``);
   for colour patches, optionally, a random order of the R, G and B channels
   (``permute_channels``) and colour differences scaled by a random factor
   (``saturation``);
4. one noise level per patch, fixed or uniform in ``[low, high]``;
5. Gaussian noise from :func:`deepdenoise.noise.add_gaussian_noise`; a
   fraction ``clipped_fraction`` of the patches is then clipped and rounded
   to 8 bits (:func:`deepdenoise.noise.quantize`), as a noisy photo on disk.

Batch ``k`` is the same whichever process, backend or worker thread draws
it, so a resumed run sees exactly the batches an uninterrupted run would.

:func:`image_patches` cuts a fixed set instead, ``patches_per_image`` from
every image exactly once (a validation set, or one pass over the data), with
the same crops, augmentation and noise as :func:`sample_batch`.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import keras
import numpy as np

from deepdenoise._checks import (
    check_fraction,
    check_image,
    check_non_negative_int,
    check_positive_int,
    check_positive_number,
    check_sigma,
)
from deepdenoise._dtypes import from_unit_float, to_unit_float
from deepdenoise.data.benchmarks import (
    BENCHMARK_CHANNELS,
    BENCHMARKS,
    TRAINING_BENCHMARKS,
    benchmark_paths,
)
from deepdenoise.noise import add_gaussian_noise, quantize

__all__ = [
    "PatchSampler",
    "image_patches",
    "load_training_images",
    "sample_batch",
    "saturation_range",
    "sigma_range",
]

Batch = tuple[Any, np.ndarray]


def sigma_range(sigma: object) -> tuple[float, float]:
    """A fixed level or a ``(low, high)`` range, both on the 0-255 scale.

    Examples
    --------
    >>> sigma_range(25), sigma_range((0, 75))
    ((25.0, 25.0), (0.0, 75.0))
    """
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


def saturation_range(saturation: object) -> tuple[float, float]:
    """A fixed saturation factor or a ``(low, high)`` range of them, all positive.

    Examples
    --------
    >>> saturation_range(1), saturation_range([1, 3])
    ((1.0, 1.0), (1.0, 3.0))
    """
    pair = saturation if isinstance(saturation, tuple | list) else (saturation, saturation)
    if len(pair) != 2:
        raise ValueError(f"saturation must be a number or a (low, high) pair, got {saturation!r}")
    low, high = (check_positive_number(value, "saturation") for value in pair)
    if low > high:
        raise ValueError(f"saturation range must have low <= high, got {saturation!r}")
    return low, high


def load_training_images(
    source: str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | np.ndarray,
    *,
    channels: int | None = None,
) -> list[np.ndarray]:
    """Training images as a list of (H, W, C) arrays, kept at their stored precision.

    Parameters
    ----------
    source : str, path, list of paths or numpy.ndarray
        The name of a training set of :func:`~deepdenoise.data.benchmark_paths`
        (a ``str`` in :data:`~deepdenoise.data.TRAINING_BENCHMARKS`: ``"train400"``, gray, or
        ``"cbsd432"``, colour), a folder of images, one image file, a list of
        image files (read with :func:`~deepdenoise.data.load_image`), or a
        stack (N, H, W) or (N, H, W, C) of images, float in [0, 1] or
        uint8/uint16. A :class:`pathlib.Path` is always a path, so
        ``Path("cbsd432")`` reads a folder of that name.
    channels : {1, 3}, optional
        Convert files to gray (1) or RGB (3) as ``load_image`` does; default
        1, or the set's own channels for a named set. An array keeps its own
        channel count, which must match.

    Returns
    -------
    list of numpy.ndarray
        One array per image: uint8 for 8-bit files (a quarter of the memory
        of float32, and exact), float32 in [0, 1] otherwise.

    Raises
    ------
    FileNotFoundError
        If a file or folder does not exist.
    ValueError
        If the folder holds no image, or an array is not a stack of images in
        [0, 1] (or uint8/uint16), or ``channels`` does not match it, or
        ``source`` names a test set (Set12, BSD68, CBSD68, McMaster).

    Examples
    --------
    >>> import numpy as np
    >>> images = load_training_images(np.zeros((2, 8, 8), np.uint8))
    >>> len(images), images[0].shape, images[0].dtype
    (2, (8, 8, 1), dtype('uint8'))

    A named colour set (here read from ``DEEPDENOISE_DATA``):

    >>> colour = load_training_images("cbsd432")
    >>> len(colour), colour[0].shape[-1], colour[0].dtype
    (432, 3, dtype('uint8'))
    """
    if channels is not None and (isinstance(channels, bool) or channels not in (1, 3)):
        raise ValueError(f"channels must be 1, 3 or None, got {channels!r}")
    if isinstance(source, str) and source in BENCHMARKS:
        source, channels = _named_set(source, channels)
    paths = _as_paths(source)
    if paths is None:
        stack = _as_array(source)
        if channels is not None and stack.shape[-1] != channels:
            raise ValueError(f"channels={channels} does not match source with shape {stack.shape}")
        return list(stack)
    from deepdenoise.data.images import load_image

    images = []
    for path in paths:
        image = load_image(path, as_gray=(channels or 1) == 1)
        if image.ndim == 2:
            image = image[..., np.newaxis]
        if image.shape[-1] != (channels or 1):
            image = np.repeat(image[..., :1], channels or 1, axis=-1)
        images.append(_compact(image))
    return images


def sample_batch(
    images: Sequence[np.ndarray],
    rng: np.random.Generator,
    *,
    batch_size: int,
    patch_size: int,
    sigma: tuple[float, float],
    patches_per_image: int = 8,
    augment: bool = True,
    clipped_fraction: float = 0.0,
    permute_channels: bool = False,
    saturation: tuple[float, float] = (1.0, 1.0),
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One batch of noisy patches, their noise levels and the clean patches.

    Parameters
    ----------
    images : sequence of numpy.ndarray
        (H, W, C) images from :func:`load_training_images`.
    rng : numpy.random.Generator
        The only source of randomness.
    batch_size, patch_size : int
        Patches per batch and their side.
    sigma : (float, float)
        Range of noise levels on the 0-255 scale (equal ends: a fixed level).
    patches_per_image : int
        Crops taken from each drawn image.
    augment : bool
        Apply a random one of the 8 flips/rotations of the square per patch.
    clipped_fraction : float
        Fraction of patches whose noisy version is clipped and rounded to
        8 bits.
    permute_channels : bool
        Put the channels of each colour patch in a random one of their 6
        orders (a red flower becomes a green or a blue one).
    saturation : (float, float)
        Range of a factor drawn per colour patch, log-uniformly: each pixel
        becomes ``m + factor * (x - m)``, with ``m`` the mean of its three
        channels, then is clipped to [0, 1]. The brightness stays; the colour
        differences grow (factor above 1) or shrink. ``(1, 1)`` leaves the
        colours as they are and draws nothing.

    Returns
    -------
    noisy : numpy.ndarray
        (B, P, P, C) float32, ``clean`` plus noise (clipped for some patches).
    levels : numpy.ndarray
        (B,) float32 noise levels on the 0-255 scale.
    clean : numpy.ndarray
        (B, P, P, C) float32 in [0, 1].

    Examples
    --------
    >>> import numpy as np
    >>> images = load_training_images(np.random.default_rng(0).random((3, 16, 16)))
    >>> noisy, levels, clean = sample_batch(images, np.random.default_rng(1), batch_size=4,
    ...                                     patch_size=8, sigma=(0.0, 50.0))
    >>> noisy.shape, levels.shape, bool(((0 <= levels) & (levels <= 50)).all())
    ((4, 8, 8, 1), (4,), True)
    """
    count = math.ceil(batch_size / patches_per_image)
    chosen = rng.integers(0, len(images), size=count)
    crops = []
    for index in chosen:
        image = images[index]
        height, width = image.shape[:2]
        tops = rng.integers(0, height - patch_size + 1, size=patches_per_image)
        lefts = rng.integers(0, width - patch_size + 1, size=patches_per_image)
        crops += [
            image[t : t + patch_size, s : s + patch_size] for t, s in zip(tops, lefts, strict=True)
        ]
    clean = np.stack([to_unit_float(crop) for crop in crops[:batch_size]])
    if augment:
        clean = _dihedral(clean, rng.integers(0, 8, size=batch_size))
    if permute_channels:
        orders = rng.permuted(np.tile(np.arange(clean.shape[-1]), (batch_size, 1)), axis=1)
        clean = np.take_along_axis(clean, orders[:, None, None, :], axis=-1)
    if saturation != (1.0, 1.0):
        least, most = saturation
        factors = np.exp(rng.uniform(math.log(least), math.log(most), size=batch_size))
        clean = _saturate(clean, factors)
    low, high = sigma
    levels = rng.uniform(low, high, size=batch_size) if low < high else np.full(batch_size, low)
    noisy = add_gaussian_noise(clean, levels, seed=rng)
    if clipped_fraction > 0:
        clipped = rng.random(batch_size) < clipped_fraction
        noisy[clipped] = quantize(noisy[clipped])
    return noisy, levels.astype(np.float32), clean


class PatchSampler(keras.utils.PyDataset):
    """Batches of random noisy/clean patches for ``keras.Model.fit``, on any backend.

    Parameters
    ----------
    images : sequence of numpy.ndarray or numpy.ndarray
        Training images (see :func:`load_training_images`, which also takes
        folders and files).
    patch_size : int
        Side P of the square patches; at most the smallest image side.
    batch_size : int
        Patches per batch.
    sigma : float or (float, float)
        Noise level on the **0-255 scale**, or a range from which each patch
        draws its own level uniformly.
    noise_map : bool
        Yield ``((noisy, sigma_map), clean)`` with a (B, P, P, 1) map of each
        patch's ``sigma / 255``, the input of a model such as FFDNet.
    patches_per_image : int
        Crops taken from each drawn image.
    augment : bool
        Random flips and rotations by 90 degrees.
    clipped_fraction : float
        Fraction in [0, 1] of patches saved as an 8-bit file would store them
        (noise clipped to [0, 1] and rounded). The map keeps the nominal level.
    permute_channels : bool
        Colour images only: a random order of R, G and B per patch.
    saturation : float or (float, float)
        Colour images only: a factor, or a range from which each patch draws
        one log-uniformly, for its colour differences (see
        :func:`sample_batch`). 1 leaves the colours as they are.
    seed : int
        Batch ``k`` depends on ``(seed, start_step + k)`` only.
    steps : int
        Number of batches, ``len(sampler)``.
    start_step : int
        Global index of the first batch (a resumed run starts past the
        batches it has already trained on).
    **kwargs
        ``workers``, ``use_multiprocessing`` and ``max_queue_size`` of
        ``keras.utils.PyDataset``: batches are drawn in parallel threads, and
        Keras keeps their order.

    Raises
    ------
    ValueError
        If an argument is out of range, or ``patch_size`` exceeds an image
        side (the message names the image).

    Examples
    --------
    >>> import numpy as np
    >>> images = np.random.default_rng(0).random((3, 32, 32), dtype=np.float32)
    >>> sampler = PatchSampler(images, patch_size=16, batch_size=4, sigma=(0, 50),
    ...                        noise_map=True, seed=0, steps=10)
    >>> (noisy, sigma_map), clean = sampler[0]
    >>> len(sampler), noisy.shape, sigma_map.shape
    (10, (4, 16, 16, 1), (4, 16, 16, 1))
    >>> later = PatchSampler(images, patch_size=16, batch_size=4, sigma=(0, 50),
    ...                      noise_map=True, seed=0, steps=5, start_step=5)
    >>> bool(np.array_equal(later[0][1], sampler[5][1]))
    True
    """

    def __init__(
        self,
        images: Sequence[np.ndarray] | np.ndarray,
        *,
        patch_size: int = 40,
        batch_size: int = 32,
        sigma: float | tuple[float, float] = 25.0,
        noise_map: bool = False,
        patches_per_image: int = 8,
        augment: bool = True,
        clipped_fraction: float = 0.0,
        permute_channels: bool = False,
        saturation: float | tuple[float, float] = 1.0,
        seed: int = 0,
        steps: int,
        start_step: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        in_memory = isinstance(images, list) and all(isinstance(i, np.ndarray) for i in images)
        self.images: list[np.ndarray] = (
            # arg-type: not in memory means paths, which mypy cannot tell from the check above.
            list(images) if in_memory else load_training_images(images)  # type: ignore[arg-type]
        )
        if not self.images:
            raise ValueError("images is empty: the sampler needs at least one training image")
        self.patch_size = check_positive_int(patch_size, "patch_size")
        self.batch_size = check_positive_int(batch_size, "batch_size")
        self.patches_per_image = check_positive_int(patches_per_image, "patches_per_image")
        self.sigma = sigma_range(sigma)
        self.noise_map = bool(noise_map)
        self.augment = bool(augment)
        self.clipped_fraction = check_fraction(clipped_fraction, "clipped_fraction")
        self.permute_channels = bool(permute_channels)
        self.saturation = saturation_range(saturation)
        if (self.permute_channels or self.saturation != (1.0, 1.0)) and self.channels != 3:
            raise ValueError(
                "permute_channels and saturation change colours: they need RGB training "
                f"images, and these have {self.channels} channel(s)"
            )
        self.seed = check_non_negative_int(seed, "seed")
        self.steps = check_positive_int(steps, "steps")
        self.start_step = check_non_negative_int(start_step, "start_step")
        for number, image in enumerate(self.images):
            if self.patch_size > min(image.shape[:2]):
                raise ValueError(
                    f"patch_size={self.patch_size} is larger than training image {number} "
                    f"({image.shape[0]}x{image.shape[1]})"
                )

    @property
    def channels(self) -> int:
        """Channels of the patches (1 gray, 3 colour)."""
        return int(self.images[0].shape[-1])

    def __len__(self) -> int:
        return self.steps

    def __getitem__(self, index: int) -> Batch:
        if not 0 <= index < self.steps:
            raise IndexError(f"batch {index} is out of range for a sampler of {self.steps}")
        return self.batch(self.start_step + int(index))

    def batch(self, step: int) -> Batch:
        """The batch of global index ``step``, as ``keras.Model.fit`` receives it."""
        rng = np.random.default_rng([self.seed, step])
        noisy, levels, clean = sample_batch(
            self.images,
            rng,
            batch_size=self.batch_size,
            patch_size=self.patch_size,
            sigma=self.sigma,
            patches_per_image=self.patches_per_image,
            augment=self.augment,
            clipped_fraction=self.clipped_fraction,
            permute_channels=self.permute_channels,
            saturation=self.saturation,
        )
        if self.noise_map:
            level_map = np.broadcast_to(
                (levels / np.float32(255)).reshape(-1, 1, 1, 1), (*noisy.shape[:3], 1)
            )
            return (noisy, np.ascontiguousarray(level_map)), clean
        return noisy, clean

    def arrays(self) -> Batch:
        """Every batch of the sampler concatenated: a fixed validation set.

        Examples
        --------
        >>> import numpy as np
        >>> images = np.random.default_rng(0).random((2, 16, 16), dtype=np.float32)
        >>> noisy, clean = PatchSampler(images, patch_size=8, batch_size=3, steps=2).arrays()
        >>> noisy.shape
        (6, 8, 8, 1)
        """
        batches = [self.batch(self.start_step + k) for k in range(self.steps)]
        clean = np.concatenate([b[1] for b in batches])
        if self.noise_map:
            inputs: Any = tuple(np.concatenate([b[0][i] for b in batches]) for i in range(2))
        else:
            inputs = np.concatenate([b[0] for b in batches])
        return inputs, clean


def image_patches(
    images: Sequence[np.ndarray] | np.ndarray,
    *,
    patch_size: int = 40,
    patches_per_image: int = 8,
    sigma: float | tuple[float, float] = 25.0,
    noise_map: bool = False,
    augment: bool = True,
    clipped_fraction: float = 0.0,
    seed: int = 0,
) -> Batch:
    """Exactly ``patches_per_image`` noisy/clean patches of every image: one pass, as arrays.

    Where :class:`PatchSampler` draws images with replacement, this function
    visits each image once, in order, so ``N`` images give ``N *
    patches_per_image`` patches: a fixed validation set, or one epoch of
    :func:`~deepdenoise.data.patch_dataset` with ``repeat=False``. Each
    image's patches are one :func:`sample_batch` of that image alone (same
    crops, augmentation, noise levels, noise and clipping as training), drawn
    from child ``index`` of ``numpy.random.SeedSequence(seed)``: they depend
    on ``(seed, index)`` only, and never reuse the random numbers of a
    training batch.

    Parameters
    ----------
    images : sequence of numpy.ndarray or numpy.ndarray
        Images as :class:`PatchSampler` takes them (see
        :func:`load_training_images`).
    patch_size : int
        Side P of the square patches; at most the smallest image side.
    patches_per_image : int
        Crops taken from each image.
    sigma : float or (float, float)
        Noise level on the **0-255 scale**, or a range from which each patch
        draws its own level uniformly.
    noise_map : bool
        Return ``((noisy, sigma_map), clean)`` with a (N, P, P, 1) map of
        each patch's ``sigma / 255``.
    augment : bool
        Random flips and rotations by 90 degrees; a validation set usually
        passes False.
    clipped_fraction : float
        Fraction in [0, 1] of patches clipped and rounded to 8 bits.
    seed : int
        Integer >= 0; the same seed gives the same arrays.

    Returns
    -------
    tuple
        ``(noisy, clean)``, or ``((noisy, sigma_map), clean)`` with
        ``noise_map``: float32 arrays of ``N * patches_per_image`` patches,
        those of image 0 first. The format of :meth:`PatchSampler.arrays`,
        for ``keras.Model.fit(validation_data=...)``.

    Raises
    ------
    ValueError
        If an argument is out of range (the message names it), or
        ``patch_size`` exceeds an image side (the message names the image).

    Examples
    --------
    >>> import numpy as np
    >>> images = np.random.default_rng(0).random((3, 32, 32), dtype=np.float32)
    >>> noisy, clean = image_patches(images, patch_size=16, patches_per_image=4,
    ...                              augment=False, seed=0)
    >>> noisy.shape, clean.shape
    ((12, 16, 16, 1), (12, 16, 16, 1))
    >>> again, _ = image_patches(images, patch_size=16, patches_per_image=4,
    ...                          augment=False, seed=0)
    >>> bool(np.array_equal(noisy, again))
    True
    """
    per_image = check_positive_int(patches_per_image, "patches_per_image")
    # The sampler checks every other argument, and each image's size, as it does for training.
    checked = PatchSampler(
        images,
        patch_size=patch_size,
        batch_size=per_image,
        sigma=sigma,
        noise_map=noise_map,
        patches_per_image=per_image,
        augment=augment,
        clipped_fraction=clipped_fraction,
        seed=seed,
        steps=1,
    )
    parts = []
    for index, image in enumerate(checked.images):
        rng = np.random.default_rng(np.random.SeedSequence(checked.seed, spawn_key=(index,)))
        parts.append(
            sample_batch(
                [image],
                rng,
                batch_size=per_image,
                patch_size=checked.patch_size,
                sigma=checked.sigma,
                patches_per_image=per_image,
                augment=checked.augment,
                clipped_fraction=checked.clipped_fraction,
            )
        )
    noisy, levels, clean = (np.concatenate(arrays) for arrays in zip(*parts, strict=True))
    if checked.noise_map:
        return (noisy, _level_map(levels, noisy.shape)), clean
    return noisy, clean


def _level_map(levels: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """A (B, P, P, 1) float32 map holding ``levels[i] / 255`` over patch ``i``."""
    scaled = (levels / np.float32(255)).reshape(-1, 1, 1, 1)
    return np.ascontiguousarray(np.broadcast_to(scaled, (*shape[:3], 1)))


def _compact(image: np.ndarray) -> np.ndarray:
    """uint8 if every value is exactly k/255 (an 8-bit file), else float32."""
    as_bytes = from_unit_float(image, np.uint8)
    if np.array_equal(to_unit_float(as_bytes), image):
        return as_bytes
    return image.astype(np.float32)


def _saturate(batch: np.ndarray, factors: np.ndarray) -> np.ndarray:
    """Scale each patch's colour differences by its factor, keeping the brightness, in [0, 1]."""
    brightness = batch.mean(axis=-1, keepdims=True)
    scaled = brightness + factors.reshape(-1, 1, 1, 1) * (batch - brightness)
    return np.clip(scaled, 0.0, 1.0).astype(np.float32)


def _dihedral(batch: np.ndarray, modes: np.ndarray) -> np.ndarray:
    """Turn patch ``i`` by ``modes[i] % 4`` quarter turns, then mirror it if ``modes[i] >= 4``."""
    out = np.empty_like(batch)
    for mode in range(8):
        chosen = modes == mode
        turned = np.rot90(batch[chosen], k=mode % 4, axes=(1, 2))
        out[chosen] = turned[:, :, ::-1] if mode >= 4 else turned
    return out


def _named_set(name: str, channels: int | None) -> tuple[list[Path], int]:
    """The checked files of training set ``name`` and the channels to read them with."""
    if name not in TRAINING_BENCHMARKS:
        raise ValueError(
            f"source {name!r} is a test set, for evaluation only; train on one of "
            f"{list(TRAINING_BENCHMARKS)} or your own images"
        )
    return benchmark_paths(name), channels or BENCHMARK_CHANNELS[name]


def _as_paths(source: object) -> list[Path] | None:
    """The image files named by ``source``, or None if it is not a path or list of paths."""
    from deepdenoise.data.images import list_image_files

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
    """An (N, H, W, C) stack, uint8 kept as is, from an in-memory stack of images."""
    array = np.asarray(source)
    if array.dtype == np.uint16:
        array = to_unit_float(array)
    if array.dtype != np.uint8:
        array = check_image(array, "source", ndims=(3, 4))
        if array.min() < 0 or array.max() > 1:
            raise ValueError(
                "source must hold images in [0, 1] (or uint8/uint16), "
                f"got values in [{array.min():g}, {array.max():g}]"
            )
    elif array.ndim not in (3, 4):
        raise ValueError(f"source must be a stack (N, H, W) or (N, H, W, C), got {array.shape}")
    if array.ndim == 3:
        array = array[..., np.newaxis]
    return array
