"""Denoise images of any size with a trained Keras model, whole or tile by tile.

:func:`denoise` is the one way the book, the CLI and the benchmarks apply a
model to a photograph. It accepts gray or RGB images as uint8, uint16 or
float, pads them to the size the model needs, runs the whole image in one
pass when that fits a memory budget (:data:`PASS_MEMORY_BYTES`) and cuts it
into overlapping tiles only when it does not (:func:`auto_tile`), and returns
the result in the input's dtype.

Examples
--------
>>> import keras
>>> import numpy as np
>>> from deepdenoise.inference import denoise
>>> inputs = keras.Input((None, None, 1))
>>> model = keras.Model(inputs, keras.layers.Conv2D(1, 3, padding="same")(inputs))
>>> image = np.random.default_rng(0).integers(0, 256, (50, 70), dtype=np.uint8)
>>> out = denoise(model, image, tile=32, overlap=4)
>>> out.shape, out.dtype
((50, 70), dtype('uint8'))
"""

from __future__ import annotations

import contextlib
import logging
import math
import warnings
import weakref
from collections.abc import Callable, Iterator
from typing import Any, Literal

import keras
import numpy as np

from deepdenoise._checks import (
    ArgumentTypeError,
    check_non_negative_int,
    check_positive_int,
    check_sigma,
)
from deepdenoise._dtypes import INTEGER_MAX, to_unit_float

__all__ = [
    "PASS_MEMORY_BYTES",
    "auto_tile",
    "denoise",
    "estimate_noise_level",
    "estimate_receptive_field",
    "tile_layout",
]

_ESTIMATE_SIDE = 2048

PASS_MEMORY_BYTES = 512 * 2**20
"""Memory one forward pass may use with ``tile="auto"`` (bytes): 512 MiB.

:func:`auto_tile` turns it into a number of pixels per pass for each model,
from the model's widest activation (see :func:`auto_tile`). Measured peak
resident memory of one pass (``ru_maxrss`` above a warmed-up process,
``model.predict_on_batch``, TensorFlow 2.21 CPU, Keras 3.15, 2 cores)::

    ffdnet  (12 convs, 64 channels at half resolution: 16 floats/pixel)
        1024^2: +169 MB   2048^2: +659 MB   3072^2: +1499 MB   ~160 bytes/pixel
    dncnn25 (17 convs, 64 channels at full resolution: 64 floats/pixel)
         512^2: +134 MB   1024^2: +535 MB   1448^2: +1064 MB   ~510 bytes/pixel

that is 8-10 bytes per pixel for each float of the widest activation;
:func:`auto_tile` budgets 12, a margin of 20-50%. With 512 MiB,
FFDNet runs up to about 2.8 megapixels (1672x1672) in one pass, DnCNN about
0.7 megapixels (836x836), and a 6000x4000 photograph stays under 2 GB of
peak memory in all (``benchmarks/memory_tiled.py``). For contrast, calling
the model eagerly (``model(x)``) keeps every intermediate activation alive:
+840 MB for FFDNet at 1024^2, +3072 MB for DnCNN at 512^2.
"""

_BYTES_PER_WIDEST_FLOAT = 12
# Floats per pixel assumed for a model whose layers cannot be probed (a nested or
# subclassed model): a 64-channel network at full resolution, as DnCNN.
_FALLBACK_WIDEST_FLOATS = 64.0
_WIDEST_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

Progress = Callable[[int, int], None]
"""``progress(done, total)``: called after each forward pass of :func:`denoise`."""


def _model_info(model: keras.Model) -> dict[str, Any]:
    from deepdenoise.models import model_info

    return model_info(model)


def tile_layout(length: int, tile: int, overlap: int) -> list[tuple[int, int, int]]:
    """Place tiles along one axis so that every kept pixel sees full context.

    Parameters
    ----------
    length : int
        Length of the (padded) axis.
    tile : int
        Tile length; tiles are ``min(tile, length)`` long.
    overlap : int
        Margin discarded on each inner side of a tile; must be less than
        ``tile / 2``.

    Returns
    -------
    list of (start, keep_start, keep_stop)
        The tile covers ``[start, start + tile)``; its output is kept on
        ``[keep_start, keep_stop)``. The kept intervals partition
        ``[0, length)``; each lies at least ``overlap`` pixels inside its
        tile, except where the tile touches the border of the axis, where the
        whole image sees the same border.

    Raises
    ------
    ValueError
        If ``tile <= 2 * overlap``.

    Examples
    --------
    >>> tile_layout(10, 6, 1)
    [(0, 0, 5), (4, 5, 10)]
    >>> tile_layout(4, 6, 1)
    [(0, 0, 4)]
    """
    length = check_positive_int(length, "length")
    tile = check_positive_int(tile, "tile")
    overlap = check_non_negative_int(overlap, "overlap")
    if tile <= 2 * overlap:
        raise ValueError(f"tile must be larger than 2 * overlap = {2 * overlap}, got {tile}")
    size = min(tile, length)
    layout = []
    keep_start = 0
    while keep_start < length:
        start = min(max(keep_start - overlap, 0), length - size)
        stop = start + size
        keep_stop = length if stop == length else stop - overlap
        layout.append((start, keep_start, keep_stop))
        keep_start = keep_stop
    return layout


def _check_input(image: object) -> np.ndarray:
    """Validate ``image``; return it as an (H, W, C) array in its own dtype."""
    array = np.asarray(image)
    dtype = array.dtype
    if dtype not in INTEGER_MAX and not np.issubdtype(dtype, np.floating):
        raise ArgumentTypeError(
            f"image must be uint8, uint16 or floating point, got dtype {dtype}"
        )
    if array.ndim not in (2, 3):
        raise ValueError(
            f"image must be (H, W) or (H, W, C) with C in (1, 3), got shape {array.shape}"
        )
    if array.ndim == 3 and array.shape[-1] not in (1, 3):
        raise ValueError(
            f"image must have 1 or 3 channels (drop the alpha channel of RGBA), "
            f"got shape {array.shape}"
        )
    if min(array.shape) == 0:
        raise ValueError(f"image must not be empty, got shape {array.shape}")
    if dtype not in INTEGER_MAX and not np.isfinite(array).all():
        raise ValueError("image contains NaN or infinite values")
    return array[..., None] if array.ndim == 2 else array


def _from_float(result: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Convert float32 results back to ``dtype`` (integers rounded and clipped).

    In float32 and in place, unlike :func:`deepdenoise._dtypes.from_unit_float`
    (float64): a 24-megapixel colour photo would need 580 MB more.
    """
    if dtype in INTEGER_MAX:
        top = INTEGER_MAX[dtype]
        scaled = result * np.float32(top)
        np.rint(scaled, out=scaled)
        np.clip(scaled, 0, top, out=scaled)
        return scaled.astype(dtype)
    return result


def _estimate_sigma(array: np.ndarray) -> float:
    """Noise level (0-255 scale) from at most the central 2048x2048 pixels (0 if NaN)."""
    from deepdenoise import noise

    height, width = array.shape[:2]
    top, left = max(0, (height - _ESTIMATE_SIDE) // 2), max(0, (width - _ESTIMATE_SIDE) // 2)
    crop = to_unit_float(array[top : top + _ESTIMATE_SIDE, left : left + _ESTIMATE_SIDE])
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        # An image with no nonzero wavelet detail (all zeros) gives NaN: no noise.
        warnings.simplefilter("ignore", RuntimeWarning)
        estimate = float(noise.estimate_sigma(crop[..., 0] if crop.shape[-1] == 1 else crop))
    return float(np.clip(estimate, 0.0, 255.0)) if math.isfinite(estimate) else 0.0


def estimate_noise_level(image: np.ndarray) -> float:
    """Estimate the noise level of an image, as :func:`denoise` does when ``sigma`` is None.

    The one sigma-estimation policy of the package for whole images:
    :func:`deepdenoise.noise.estimate_sigma` of at most the central
    2048x2048 pixels, clipped to [0, 255], and 0 when the estimate is
    undefined (an image with no detail at all, such as a constant one). The
    command line uses it for ``deepdenoise denoise`` without ``--sigma``.

    Parameters
    ----------
    image : numpy.ndarray
        Gray (H, W), (H, W, 1) or RGB (H, W, 3) image, as uint8, uint16 or
        float (nominally [0, 1]).

    Returns
    -------
    float
        The estimated ``sigma`` on the **0-255 scale** (for uint16 images too).

    Raises
    ------
    TypeError
        If ``image`` is not uint8, uint16 or floating point.
    ValueError
        If ``image`` has the wrong rank or number of channels, is empty or
        holds NaN or infinite values.

    Examples
    --------
    >>> from deepdenoise.noise import add_gaussian_noise
    >>> noisy = add_gaussian_noise(np.full((128, 128), 0.5, np.float32), 20, seed=0)
    >>> bool(abs(estimate_noise_level(noisy) - 20) < 2)
    True
    >>> estimate_noise_level(np.zeros((8, 8), np.uint8))
    0.0
    """
    return _estimate_sigma(_check_input(image))


class _RetracingWarningFilter(logging.Filter):
    """Drop TensorFlow's "N out of the last M calls ... triggered tf.function retracing"."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "triggered tf.function retracing" not in record.getMessage()


_RETRACING_FILTER = _RetracingWarningFilter()


@contextlib.contextmanager
def _retracing_warning_filtered() -> Iterator[None]:
    """Hide TensorFlow's retracing warning during :func:`_predict` only.

    Keras traces one predict function per model (and again when the shape
    changes, at most twice more); TensorFlow counts the traces of all of them
    together, as they share their code, and warns when several models are
    each used a few times (a notebook comparing models, a test suite). The
    traces are expected there, so the warning is noise.
    """
    logger = logging.getLogger("tensorflow")
    logger.addFilter(_RETRACING_FILTER)
    try:
        yield
    finally:
        logger.removeFilter(_RETRACING_FILTER)


def _predict(model: keras.Model, batch: np.ndarray, sigma_map_value: float | None) -> np.ndarray:
    """Run ``model`` on a batch through its compiled predict function.

    ``predict_on_batch`` runs a traced graph (``tf.function`` on TensorFlow,
    ``jax.jit`` on JAX) that frees each activation once it is used; calling
    the model eagerly keeps every intermediate activation alive until the end
    of the call (5 to 20 times the memory, see :data:`PASS_MEMORY_BYTES`).
    """
    inputs: np.ndarray | list[np.ndarray] = batch
    if sigma_map_value is not None:
        sigma_map = np.full((*batch.shape[:3], 1), sigma_map_value, dtype=np.float32)
        inputs = [batch, sigma_map]
    with _retracing_warning_filtered():
        output = model.predict_on_batch(inputs)
    return np.asarray(keras.ops.convert_to_numpy(output), dtype=np.float32)


def _widest_activation(model: keras.Model, info: dict[str, Any]) -> float:
    """Floats per input pixel of the model's largest layer output (probed once per model)."""
    try:
        return _WIDEST_CACHE[model]
    except (KeyError, TypeError):
        pass
    multiple = int(info["size_multiple"])
    side = max(32, 8 * multiple)
    try:
        outputs = [
            layer.output
            for layer in model.layers
            if not isinstance(layer, keras.layers.InputLayer)
        ]
        probe = keras.Model(model.inputs, outputs)
        zeros = [
            np.zeros((1, side, side, int(tensor.shape[-1])), np.float32) for tensor in model.inputs
        ]
        sizes = [
            math.prod(tuple(result.shape)[1:])
            for result in keras.tree.flatten(probe(zeros, training=False))
        ]
        widest = max([*sizes, sum(int(tensor.shape[-1]) for tensor in model.inputs)])
        floats = widest / side**2 if sizes else _FALLBACK_WIDEST_FLOATS
    except Exception:  # a layer used twice, a subclassed model...: assume a wide network
        floats = _FALLBACK_WIDEST_FLOATS
    try:
        _WIDEST_CACHE[model] = floats
    except TypeError:  # pragma: no cover - a model that cannot be weakly referenced
        pass
    return floats


def _pass_pixels(model: keras.Model, info: dict[str, Any]) -> int:
    """Pixels one forward pass may hold within :data:`PASS_MEMORY_BYTES`."""
    bytes_per_pixel = _BYTES_PER_WIDEST_FLOAT * _widest_activation(model, info)
    return max(1, int(PASS_MEMORY_BYTES // bytes_per_pixel))


def _axis_tile(length: int, limit: int, overlap: int, multiple: int) -> int:
    """The shortest tile side, at most ``limit``, that covers ``length`` in the fewest tiles."""
    if length <= limit:
        return length
    count = 1 + math.ceil((length - limit) / (limit - 2 * overlap))
    side = math.ceil((length + 2 * overlap * (count - 1)) / count)
    return min(math.ceil(side / multiple) * multiple, limit)


def _plan_auto(
    model: keras.Model, info: dict[str, Any], shape: tuple[int, int], overlap: int
) -> tuple[int, int] | None:
    """``tile="auto"`` on a padded (H, W) plane whose sides are multiples of the model's."""
    multiple = int(info["size_multiple"])
    pixels = _pass_pixels(model, info)
    height, width = shape
    if height * width <= pixels:
        return None
    smallest = 2 * overlap + multiple  # the smallest tile that keeps a pixel
    square = max(math.isqrt(pixels) // multiple * multiple, smallest)
    short_axis = 0 if height <= width else 1
    short = _axis_tile(shape[short_axis], square, overlap, multiple)
    long_limit = max(pixels // short // multiple * multiple, smallest)
    long = _axis_tile(shape[1 - short_axis], long_limit, overlap, multiple)
    return (short, long) if short_axis == 0 else (long, short)


def auto_tile(
    model: keras.Model, shape: tuple[int, ...], *, overlap: int = 32
) -> tuple[int, int] | None:
    r"""The tiles :func:`denoise` uses with ``tile="auto"``: None for one pass, else (H, W).

    The whole image goes through the model in one pass when its padded size
    fits the pixels one pass may hold: :data:`PASS_MEMORY_BYTES` divided by
    12 bytes for each float per pixel of the model's widest activation
    (probed once per model on a 32x32 input). Otherwise the tiles are the
    fewest that fit, each as small as they can be for that count (so a
    1000-pixel side that needs two tiles gets two of about 532, not one of
    900 and one mostly overlap).

    Parameters
    ----------
    model : keras.Model
        The denoiser, as for :func:`denoise`.
    shape : tuple of int
        The image shape, (H, W) or (H, W, C).
    overlap : int, default 32
        The margin, as for :func:`denoise` (rounded up to the model's size
        multiple).

    Returns
    -------
    tuple of (int, int) or None
        None when one pass fits (and for fixed-size models), else the tile
        height and width, multiples of the model's size multiple, each
        larger than twice the overlap.

    Examples
    --------
    >>> import keras
    >>> inputs = keras.Input((None, None, 1))
    >>> x = keras.layers.Conv2D(64, 3, padding="same")(inputs)
    >>> model = keras.Model(inputs, keras.layers.Conv2D(1, 3, padding="same")(x))
    >>> auto_tile(model, (512, 512)) is None   # 64 floats/pixel: 0.7 MP per pass
    True
    >>> auto_tile(model, (6000, 4000))
    (912, 720)
    """
    if len(shape) not in (2, 3):
        raise ValueError(f"shape must be (H, W) or (H, W, C), got {shape!r}")
    height = check_positive_int(shape[0], "height")
    width = check_positive_int(shape[1], "width")
    overlap = check_non_negative_int(overlap, "overlap")
    info = _model_info(model)
    if info.get("input_size") is not None:
        return None
    multiple = int(info["size_multiple"])
    overlap = math.ceil(overlap / multiple) * multiple
    padded = (math.ceil(height / multiple) * multiple, math.ceil(width / multiple) * multiple)
    return _plan_auto(model, info, padded, overlap)


def _windows(
    shape: tuple[int, int], tiles: tuple[int, int], overlap: int
) -> list[tuple[tuple[int, int, int], tuple[int, int, int]]]:
    rows = tile_layout(shape[0], tiles[0], overlap)
    cols = tile_layout(shape[1], tiles[1], overlap)
    return [(row, col) for row in rows for col in cols]


def _count_passes(
    shape: tuple[int, int], tiles: tuple[int, int] | None, overlap: int, batch_size: int
) -> int:
    if tiles is None:
        return 1
    return math.ceil(len(_windows(shape, tiles, overlap)) / batch_size)


def _run_tiled(
    model: keras.Model,
    plane: np.ndarray,
    sigma_map_value: float | None,
    *,
    tiles: tuple[int, int] | None,
    overlap: int,
    batch_size: int,
    after_pass: Callable[[], None],
) -> np.ndarray:
    """Denoise one padded (H, W, C) plane tile by tile into a new array."""
    height, width = plane.shape[:2]
    if tiles is None:
        result = _predict(model, plane[None], sigma_map_value)[0]
        after_pass()
        return result
    output: np.ndarray | None = None
    pending: list[tuple[tuple[int, int, int], tuple[int, int, int]]] = []
    windows = _windows((height, width), tiles, overlap)
    tile_h, tile_w = min(tiles[0], height), min(tiles[1], width)
    for index, window in enumerate(windows):
        pending.append(window)
        if len(pending) < batch_size and index < len(windows) - 1:
            continue
        batch = np.stack([plane[r[0] : r[0] + tile_h, c[0] : c[0] + tile_w] for r, c in pending])
        predicted = _predict(model, batch, sigma_map_value)
        if output is None:
            output = np.empty((height, width, predicted.shape[-1]), dtype=np.float32)
        for (row, col), result in zip(pending, predicted, strict=True):
            (r0, r1, r2), (c0, c1, c2) = row, col
            output[r1:r2, c1:c2] = result[r1 - r0 : r2 - r0, c1 - c0 : c2 - c0]
        pending = []
        after_pass()
    assert output is not None  # there is always at least one window
    return output


def _ensemble_transforms() -> list[tuple[int, bool]]:
    return [(k, flip) for k in range(4) for flip in (False, True)]


def _check_tile(tile: object) -> int | Literal["auto"] | None:
    if isinstance(tile, str):
        if tile != "auto":
            raise ValueError(f"tile must be a positive integer, None or 'auto', got {tile!r}")
        return "auto"
    return None if tile is None else check_positive_int(tile, "tile")


def _plan_tiles(
    model: keras.Model,
    info: dict[str, Any],
    tile: int | Literal["auto"] | None,
    padded: tuple[int, int],
    overlap: int,
) -> tuple[int, int] | None:
    """(tile height, tile width) for ``tile`` on a padded plane, or None for one pass."""
    if tile is None:
        return None
    if tile == "auto":
        return _plan_auto(model, info, padded, overlap)
    multiple = int(info["size_multiple"])
    size = tile // multiple * multiple
    if size <= 2 * overlap:
        raise ValueError(
            f"tile must be larger than 2 * overlap = {2 * overlap} after rounding to "
            f"multiples of {multiple}, got tile {size}"
        )
    return size, size


def _ensemble(
    plane: np.ndarray,
    transforms: list[tuple[int, bool]],
    run: Callable[[np.ndarray, int], np.ndarray],
) -> np.ndarray:
    """Mean of ``run`` over the flips/rotations of ``plane``, each turned back."""
    summed: np.ndarray | None = None
    for turns, flip in transforms:
        view = np.rot90(plane, turns, axes=(0, 1))
        out = run(view[:, ::-1] if flip else view, turns)
        out = np.rot90(out[:, ::-1] if flip else out, -turns, axes=(0, 1))
        if summed is None:
            # A private copy: the model's output may share memory with its input.
            summed = np.array(out, dtype=np.float32) if len(transforms) > 1 else out
        else:
            summed += out
    assert summed is not None  # transforms holds at least the identity
    if len(transforms) > 1:
        summed /= np.float32(len(transforms))
    return summed


def denoise(
    model: keras.Model | str,
    image: np.ndarray,
    sigma: float | None = None,
    *,
    tile: int | Literal["auto"] | None = "auto",
    overlap: int = 32,
    self_ensemble: bool = False,
    batch_size: int = 4,
    progress: Progress | None = None,
) -> np.ndarray:
    r"""Denoise an image of any size with ``model``: in one pass, or tile by tile.

    Parameters
    ----------
    model : keras.Model or str
        A fully convolutional denoiser, such as
        ``deepdenoise.models.get_model("dncnn")``. Its needs are read with
        :func:`deepdenoise.models.model_info`: whether it takes a noise-level
        map as a second input (FFDNet), the multiple its height and width
        must be (2 for FFDNet, 4 for the convolutional autoencoder), and its
        number of channels. Or the name of a shipped model
        (:func:`deepdenoise.weights.load_pretrained`, loaded at each call),
        or ``"auto"``: the shipped model for the image's channels
        (:func:`deepdenoise.denoisers.default_model_name`), a colour model
        for an RGB image once one is shipped, else the gray one channel by
        channel.
    image : numpy.ndarray
        Gray (H, W), (H, W, 1) or RGB (H, W, 3) image, as uint8 (0-255),
        uint16 (0-65535) or float (nominally [0, 1]). RGB images go through a
        one-channel model one channel at a time.
    sigma : float, optional
        Noise standard deviation on the **0-255 scale** (for uint16 images
        too). Only models with a noise-map input use it; it becomes the map
        ``sigma / 255``. When None, such models get
        :func:`deepdenoise.noise.estimate_sigma` of the image. Other models
        ignore it (but a value out of [0, 255] is still an error).
    tile : int, None or "auto", default "auto"
        ``"auto"``: the whole image in one pass when it fits the memory one
        pass may use (:data:`PASS_MEMORY_BYTES`), else the fewest tiles that
        fit (:func:`auto_tile`; one tile per pass, ``batch_size`` is not
        used). An int forces square tiles of that side, rounded down to the
        model's size multiple. None runs the whole image in one pass
        whatever its size. Fixed-size models (the dense autoencoder) always
        run in one pass.
    overlap : int, default 32
        Margin each tile adds on every inner side; its output there is
        discarded. Rounded up to the model's size multiple. The result equals
        the untiled one (to float round-off) when ``overlap`` is at least the
        model's receptive-field radius (see :func:`estimate_receptive_field`):
        5 for a DnCNN of depth 5, 17 for depth 17, 25 for the 12-layer
        ``ffdnet`` and 31 for the default ``ffdnet15`` (the default 32 covers
        them).
    self_ensemble : bool, default False
        Average the 8 results over the dihedral group (4 rotations by 90
        degrees, each with and without a mirror flip), each mapped back. It
        costs 8 times the time and gains about 0.1-0.2 dB.
    batch_size : int, default 4
        Number of tiles sent to the model at once when ``tile`` is an int.
    progress : callable, optional
        ``progress(done, total)``, called after each forward pass with the
        number of passes done and the total (tiles, times 3 for an RGB image
        through a gray model, times 8 with ``self_ensemble``).

    Returns
    -------
    numpy.ndarray
        The denoised image in the shape and dtype of ``image``: uint8 and
        uint16 results are rounded and clipped to their range; float input
        gives float32 output that is **not** clipped (so metrics see the
        model's raw output, as in the benchmark protocol).

    Raises
    ------
    TypeError
        If ``image`` is not uint8, uint16 or floating point.
    ValueError
        If ``image`` has the wrong rank or 2 or 4 channels (RGBA: drop the
        alpha channel first), is gray for a 3-channel model (the message
        names a model given by name), or does not
        have the fixed size of a dense model; if ``sigma``
        is out of [0, 255]; if ``tile`` is not larger than ``2 * overlap``
        (after rounding) or is a string other than ``"auto"``; if
        ``overlap``/``batch_size`` is invalid; or if ``model`` is a name
        that no shipped model has (the message lists them).

    Notes
    -----
    **Padding.** The image is padded at the bottom and right by reflection to
    a multiple of the model's size multiple :math:`m`; the padding is cut
    off at the end.

    **Tiling.** Along each axis, tiles of side :math:`T` start at
    :math:`s_k = \min(\max(a_k - o, 0), L - T)`, where :math:`a_k` is the
    first pixel the tile keeps and :math:`o` the overlap; each tile keeps
    :math:`[a_k, a_{k+1})`, which lies :math:`o` pixels inside it except
    where the tile touches the image border (see :func:`tile_layout`). An
    output pixel depends only on input pixels within the receptive-field
    radius :math:`r`, so with :math:`o \ge r` each kept pixel is computed
    from exactly the input the whole-image pass would use: tiles are cut, not
    blended. Tile starts are multiples of :math:`m`, so models that
    downsample see the same pixel grid as in the whole-image pass.

    **Memory.** Besides the input and the preallocated output (in the input's
    dtype), only one float32 channel (all three for an RGB model), its
    denoised copy and one pass (the whole image, or a batch of tiles) exist
    at once. The model runs through ``model.predict_on_batch``, a traced
    graph that frees activations as it goes; with ``tile="auto"`` a pass
    stays within :data:`PASS_MEMORY_BYTES`. When ``sigma`` is estimated,
    only the central 2048x2048 pixels are used.

    References
    ----------
    .. [1] R. Timofte, R. Rothe and L. Van Gool, "Seven ways to improve
       example-based single image super resolution", CVPR 2016 (the x8
       self-ensemble).

    Examples
    --------
    >>> import keras
    >>> import numpy as np
    >>> inputs = keras.Input((None, None, 1))
    >>> identity = keras.Model(inputs, keras.layers.Identity()(inputs))
    >>> image = np.random.default_rng(0).uniform(size=(37, 41)).astype(np.float32)
    >>> out = denoise(identity, image, tile=16, overlap=2, self_ensemble=True)
    >>> bool(np.allclose(out, image))
    True
    >>> seen = []
    >>> _ = denoise(identity, image, progress=lambda done, total: seen.append((done, total)))
    >>> seen   # "auto": one pass for so small an image
    [(1, 1)]
    """
    array = _check_input(image)
    if isinstance(model, str):
        model = _named_model(model, array)
    tile = _check_tile(tile)
    overlap = check_non_negative_int(overlap, "overlap")
    batch_size = check_positive_int(batch_size, "batch_size")
    if sigma is not None:
        sigma = check_sigma(sigma, "sigma", allow_zero=True)

    info = _model_info(model)
    multiple = int(info["size_multiple"])
    model_channels = int(info["channels"])
    input_size = info.get("input_size")
    if input_size is not None:
        if tuple(array.shape[:2]) != tuple(input_size):
            raise ValueError(
                f"image must be {input_size[0]}x{input_size[1]} for this fixed-size model, "
                f"got shape {np.shape(image)}"
            )
        tile = None

    height, width, channels = array.shape
    pad = ((0, -height % multiple), (0, -width % multiple), (0, 0))
    padded = (height + pad[0][1], width + pad[1][1])
    if tile is not None:
        overlap = math.ceil(overlap / multiple) * multiple
    tiles = _plan_tiles(model, info, tile, padded, overlap)
    if tile == "auto":
        batch_size = 1

    if model_channels == channels:
        groups = [slice(0, channels)]
    elif model_channels == 1:
        groups = [slice(c, c + 1) for c in range(channels)]
    else:
        raise ValueError(f"image has {channels} channel(s) but the model expects {model_channels}")

    sigma_map_value = None
    if info["needs_noise_map"]:
        if sigma is None:
            sigma = _estimate_sigma(array)
        sigma_map_value = sigma / 255.0

    transforms = _ensemble_transforms() if self_ensemble else [(0, False)]
    # A quarter turn swaps the axes of the view, and of its tiles with them.
    turned = None if tiles is None else (tiles[1], tiles[0])
    total = len(groups) * sum(
        _count_passes(
            padded[::-1] if turns % 2 else padded,
            turned if turns % 2 else tiles,
            overlap,
            batch_size,
        )
        for turns, _ in transforms
    )
    done = 0

    def after_pass() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total)

    out_dtype = array.dtype if array.dtype in INTEGER_MAX else np.dtype(np.float32)
    result = np.empty(array.shape, dtype=out_dtype)
    for group in groups:
        plane = to_unit_float(array[..., group])
        if pad[0][1] or pad[1][1]:
            plane = np.pad(plane, pad, mode="reflect" if min(height, width) > 1 else "edge")

        def run(view: np.ndarray, turns: int) -> np.ndarray:
            return _run_tiled(
                model,
                view,
                sigma_map_value,
                tiles=turned if turns % 2 else tiles,
                overlap=overlap,
                batch_size=batch_size,
                after_pass=after_pass,
            )

        summed = _ensemble(plane, transforms, run)
        del plane
        result[..., group] = _from_float(summed[:height, :width], array.dtype)
    return result[..., 0] if np.ndim(image) == 2 else result


def estimate_receptive_field(
    model: keras.Model, *, size: int = 65, max_size: int = 513, seed: int = 0
) -> int:
    r"""Measure a model's receptive-field radius by perturbing one pixel.

    Parameters
    ----------
    model : keras.Model
        A fully convolutional model (with a noise-map input or not).
    size : int, default 65
        Side of the first probe image; doubled (up to ``max_size``) while the
        perturbation reaches the probe's border.
    max_size : int, default 513
        Largest probe side.
    seed : int, default 0
        Seed of the random probe image.

    Returns
    -------
    int
        The largest distance (Chebyshev, in pixels) from a changed input
        pixel to a changed output pixel: the smallest ``overlap`` for which
        :func:`denoise` gives exactly the untiled result.

    Warns
    -----
    UserWarning
        If the radius reaches the border of the largest probe (a lower bound).

    Notes
    -----
    A stack of :math:`d` convolutions with :math:`3 \times 3` kernels has
    radius :math:`d`. The probe is random in [0, 1]; the centre pixel is
    changed by 1 in every channel and every output pixel that changes at all
    counts (in a 17-layer DnCNN the change at the edge of the receptive field
    is about :math:`10^{-7}` of the largest, so a tolerance would
    underestimate it). The answer is a lower bound when ReLUs happen to be
    inactive all along the paths to the edge, and an upper bound when the
    convolution algorithm mixes neighbouring pixels through round-off; round
    it up generously when choosing ``overlap``.

    Examples
    --------
    >>> import keras
    >>> inputs = keras.Input((None, None, 1))
    >>> x = inputs
    >>> for _ in range(3):
    ...     x = keras.layers.Conv2D(1, 3, padding="same")(x)
    >>> estimate_receptive_field(keras.Model(inputs, x), size=17)
    3
    """
    size = check_positive_int(size, "size")
    max_size = check_positive_int(max_size, "max_size")
    info = _model_info(model)
    multiple = int(info["size_multiple"])
    channels = int(info["channels"])
    sigma_map_value = 25.0 / 255.0 if info["needs_noise_map"] else None
    rng = np.random.default_rng(seed)
    radius = 0
    while True:
        side = math.ceil(size / multiple) * multiple
        centre = side // 2
        probe = rng.uniform(size=(1, side, side, channels)).astype(np.float32)
        changed = probe.copy()
        changed[0, centre, centre, :] += 1.0
        base = _predict(model, probe, sigma_map_value)
        moved = _predict(model, changed, sigma_map_value)
        diff = np.abs(moved - base).max(axis=(0, 3))
        rows, cols = np.nonzero(diff > 0)
        if rows.size:
            radius = int(max(np.abs(rows - centre).max(), np.abs(cols - centre).max()))
        touches = radius >= min(centre, side - 1 - centre)
        if not touches:
            return radius
        if side >= max_size:
            warnings.warn(
                f"the receptive field reaches the border of a {side}x{side} probe; "
                f"its radius is at least {radius}",
                stacklevel=2,
            )
            return radius
        size = min(2 * side + 1, max_size)


# --- shipped models by name ---------------------------------------------------------------


def _named_model(name: str, array: np.ndarray) -> keras.Model:
    """The shipped model ``name`` for an (H, W, C) image; ``"auto"``: the default for C."""
    from deepdenoise import weights
    from deepdenoise.denoisers import check_image_channels, default_model_name

    channels = int(array.shape[-1])
    chosen = default_model_name(channels) if name == "auto" else name
    model = weights.load_pretrained(chosen)
    model_channels = int(_model_info(model)["channels"])
    if model_channels != 1:
        check_image_channels(chosen, model_channels, array)
    return model
