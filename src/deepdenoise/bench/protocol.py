r"""The benchmark loop: :func:`run_benchmark` under a named protocol, gray or colour.

The protocols (:data:`PROTOCOLS`) are described in :mod:`deepdenoise.bench`;
the rows this module returns are saved and printed by
:mod:`deepdenoise.bench.report`.

Examples
--------
>>> from deepdenoise.bench.protocol import FIELDS, PROTOCOLS
>>> FIELDS[:3], FIELDS[-1]
(('dataset', 'sigma', 'method'), 'protocol')
>>> list(PROTOCOLS)
['float', 'clipped8']
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypedDict

import numpy as np

from deepdenoise._checks import ArgumentTypeError, check_positive_int, check_sigma
from deepdenoise.denoisers import (
    Denoiser,
    denoiser_from_function,
    denoiser_from_model,
    get_denoiser,
)

__all__ = ["DEFAULT_PROTOCOL", "FIELDS", "PROTOCOLS", "BenchRow", "noisy_input", "run_benchmark"]

PROTOCOLS: dict[str, str] = {
    "float": "Gaussian noise of std sigma/255 added in float, never clipped or rounded "
    "(the DnCNN/KAIR test scripts)",
    "clipped8": "the same noisy image clipped to [0, 1] and rounded to 8 bits, as a noisy "
    "photo saved to an 8-bit file stores it",
}
"""Benchmark protocols by name: how the noisy input is made from the clean image."""

DEFAULT_PROTOCOL = "float"
"""The protocol of the published numbers, and of :func:`run_benchmark` by default."""


class BenchRow(TypedDict):
    """One row of a benchmark: one method on one dataset at one noise level, under one protocol.

    ``seconds_per_image`` and ``megapixels_per_second`` are NaN for the noisy
    input, which is not timed. ``protocol`` is a key of :data:`PROTOCOLS`.
    """

    dataset: str
    sigma: float
    method: str
    psnr: float
    ssim: float
    seconds_per_image: float
    megapixels_per_second: float
    n_images: int
    seed: int
    protocol: str


FIELDS: tuple[str, ...] = tuple(BenchRow.__annotations__)
"""The keys of every row returned by :func:`run_benchmark`, in CSV column order."""

Report = Callable[[BenchRow], None]
Case = tuple[np.ndarray, np.ndarray]  # (clean, noisy)


def _is_pair(item: object) -> bool:
    return isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str)


def _as_denoiser(item: object, options: dict[str, Any]) -> Denoiser:
    """A name, a :class:`~deepdenoise.denoisers.Denoiser` or a (label, fn or model) pair."""
    if isinstance(item, str):
        return get_denoiser(item, **options)
    if isinstance(item, Denoiser):
        return item
    if isinstance(item, tuple) and _is_pair(item):
        label, target = item[0], item[1]
        keras = sys.modules.get("keras")
        if keras is not None and isinstance(target, keras.Model):
            return denoiser_from_model(label, target, **options)
        if callable(target):
            return denoiser_from_function(label, target)
    raise ArgumentTypeError(
        "methods must hold names, Denoiser objects or (label, fn or keras.Model) pairs, "
        f"got {item!r}"
    )


def _as_list(value: object, name: str) -> list[Any]:
    # A (label, fn) pair is one method; for datasets and sigmas a tuple is a sequence.
    if isinstance(value, str | int | float) or (
        name == "methods" and (isinstance(value, Denoiser) or _is_pair(value))
    ):
        return [value]
    try:
        items = list(value)  # type: ignore[call-overload]  # not iterable: TypeError below
    except TypeError:
        raise ArgumentTypeError(
            f"{name} must be a value or a sequence of values, got {value!r}"
        ) from None
    if not items:
        raise ValueError(f"{name} must not be empty")
    return items


def noisy_input(
    clean: np.ndarray, sigma: float, *, seed: int, protocol: str = DEFAULT_PROTOCOL
) -> np.ndarray:
    """The noisy image a method gets under ``protocol``: same seed, same noise, either protocol.

    Parameters
    ----------
    clean : numpy.ndarray
        Float image in [0, 1], gray or RGB.
    sigma : float
        Noise standard deviation on the 0-255 scale.
    seed : int
        Seed of :func:`numpy.random.default_rng` for the noise (the
        benchmark uses ``seed + image index``).
    protocol : {"float", "clipped8"}
        ``"float"``: ``clean + noise``, unclipped. ``"clipped8"``: that very
        image clipped to [0, 1] and rounded to multiples of 1/255
        (:func:`deepdenoise.noise.quantize`).

    Returns
    -------
    numpy.ndarray
        float32, the shape of ``clean``.

    Raises
    ------
    ValueError
        If ``protocol`` is not a key of :data:`PROTOCOLS` (the message lists them).

    Examples
    --------
    >>> import numpy as np
    >>> clean = np.full((4, 4), 0.5, np.float32)
    >>> stored = noisy_input(clean, 50, seed=0, protocol="clipped8")
    >>> bool(np.array_equal(stored * 255, np.rint(stored * 255)))
    True
    """
    from deepdenoise.noise import add_gaussian_noise, quantize

    protocol = _check_protocol(protocol)
    noisy = add_gaussian_noise(clean, sigma, seed=seed)
    return quantize(noisy) if protocol == "clipped8" else noisy


def _check_protocol(protocol: object) -> str:
    if not isinstance(protocol, str) or protocol not in PROTOCOLS:
        raise ValueError(f"protocol must be one of {list(PROTOCOLS)}, got {protocol!r}")
    return protocol


def _load_dataset(name: str, data_dir: str | os.PathLike[str] | None) -> tuple[str, list]:
    """Return (label, [(image name, float32 image)]): a set (gray or RGB) or a folder (gray)."""
    from deepdenoise import data

    folder = Path(name).expanduser()
    if folder.is_dir() and name.lower() not in data.BENCHMARKS:
        return folder.name, list(data.load_folder(folder, as_gray=True))
    return name.lower(), list(data.benchmark(name.lower(), data_dir=data_dir))


def _model_channels(denoiser: Denoiser) -> int | None:
    """Channels of the Keras model behind ``denoiser``, None if it has none."""
    model = getattr(denoiser, "model", None)
    if model is None:
        return None
    from deepdenoise.models import model_info

    return int(model_info(model)["channels"])


def _check_fits(denoiser: Denoiser, dataset: str, channels: int) -> None:
    """Refuse a gray model on a colour set (no silent per-channel run) and a colour one on gray."""
    from deepdenoise.denoisers import PER_CHANNEL_SUFFIX

    model_channels = _model_channels(denoiser)
    if channels == 3 and model_channels == 1:
        raise ValueError(
            f"method {denoiser.name!r} is a gray model and {dataset!r} a colour set: name "
            f"{denoiser.name + PER_CHANNEL_SUFFIX!r} to run it on each channel, or use a "
            "colour model"
        )
    wanted = denoiser.channels if denoiser.channels is not None else model_channels
    if channels == 1 and wanted == 3:
        raise ValueError(
            f"method {denoiser.name!r} denoises RGB images and {dataset!r} is a gray set"
        )


def _format_row(row: BenchRow) -> str:
    timing = (
        "" if math.isnan(row["seconds_per_image"]) else f", {row['seconds_per_image']:.3f} s/image"
    )
    tag = "" if row["protocol"] == DEFAULT_PROTOCOL else f" [{row['protocol']}]"
    return (
        f"{row['dataset']}{tag} sigma={row['sigma']:g} {row['method']}: "
        f"PSNR {row['psnr']:.2f} dB, "
        f"SSIM {row['ssim']:.4f}{timing} ({row['n_images']} images)"
    )


def _print_row(row: BenchRow) -> None:
    print(_format_row(row), file=sys.stderr, flush=True)


def _reporter(progress: bool | Report) -> Report | None:
    if callable(progress):
        return progress
    return _print_row if progress else None


def _score(
    denoiser: Denoiser,
    cases: list[Case],
    sigma: float,
    *,
    label: str,
    seed: int,
    live: bool,
    protocol: str = DEFAULT_PROTOCOL,
) -> BenchRow:
    """Run one denoiser on every case of dataset ``label``; return the means as a row."""
    from deepdenoise.metrics import psnr, ssim

    if denoiser.kind == "model":
        denoiser(cases[0][1][:64, :64], sigma)  # untimed warm-up: TensorFlow's set-up
    psnrs, ssims, seconds, pixels = [], [], 0.0, 0
    for count, (clean, noisy) in enumerate(cases, start=1):
        start = time.perf_counter()
        output = denoiser(noisy, sigma)
        seconds += time.perf_counter() - start
        pixels += clean.shape[0] * clean.shape[1]  # an RGB pixel counts once
        output = np.asarray(output, dtype=np.float32).reshape(clean.shape)
        if denoiser.kind != "input":
            output = np.clip(output, 0.0, 1.0)
        psnrs.append(psnr(clean, output, data_range=1.0))
        ssims.append(ssim(clean, output, data_range=1.0))
        if live:
            text = f"\r{label} sigma={sigma:g} {denoiser.name}: {count}/{len(cases)}"
            print(text, end="", file=sys.stderr, flush=True)
    if live:
        print("\r", end="", file=sys.stderr)
    timed = denoiser.kind != "input"
    return {
        "dataset": label,
        "sigma": sigma,
        "method": denoiser.name,
        "psnr": float(np.mean(psnrs)),
        "ssim": float(np.mean(ssims)),
        "seconds_per_image": seconds / len(cases) if timed else math.nan,
        "megapixels_per_second": pixels / 1e6 / seconds if timed and seconds > 0 else math.nan,
        "n_images": len(cases),
        "seed": int(seed),
        "protocol": protocol,
    }


def run_benchmark(
    methods: str | Iterable[str | Denoiser | tuple[str, Any]],
    datasets: str | Iterable[str],
    sigmas: float | Iterable[float],
    *,
    data_dir: str | os.PathLike[str] | None = None,
    max_images: int | None = None,
    seed: int = 0,
    progress: bool | Report = True,
    tile: int | None = 256,
    overlap: int = 32,
    self_ensemble: bool = False,
    protocol: str | Iterable[str] = DEFAULT_PROTOCOL,
) -> list[BenchRow]:
    r"""Score methods on test sets at several noise levels, under one or more protocols.

    Parameters
    ----------
    methods : str or iterable
        Denoiser names for :func:`deepdenoise.denoisers.get_denoiser`
        (``"noisy"``, ``"gaussian"``, ``"bm3d"``, ``"ffdnet"``,
        ``"model:path.keras"``...), :class:`~deepdenoise.denoisers.Denoiser`
        objects, or ``(label, fn)`` pairs where ``fn(noisy, sigma)`` is a
        denoiser or a ``keras.Model`` (run through
        :func:`deepdenoise.inference.denoise`). On a colour set, a gray model
        must be named ``"<name>/per-channel"`` (each channel denoised
        apart); ``"bm3d"`` is CBM3D there, and the other classical methods
        filter the three channels together.
    datasets : str or iterable of str
        Gray sets ``"set12"``, ``"bsd68"``, colour sets ``"cbsd68"``,
        ``"mcmaster"`` (see :func:`deepdenoise.data.benchmark`), or folders
        of images (read as gray).
    sigmas : float or iterable of float
        Noise standard deviations on the **0-255 scale**, in (0, 255].
    data_dir : str or path-like, optional
        Folder holding ``set12/`` and ``bsd68/``; by default
        ``$DEEPDENOISE_DATA`` or the download cache.
    max_images : int, optional
        Use only the first ``max_images`` images of each set (for quick runs).
    seed : int, default 0
        Image ``i`` of a set gets noise from ``default_rng(seed + i)``.
    progress : bool or callable, default True
        True prints one line per finished row on stderr (and a running image
        count when stderr is a terminal); a callable is called with each
        finished row instead; False is silent.
    tile, overlap, self_ensemble
        Passed to :func:`deepdenoise.inference.denoise` for Keras models.
    protocol : str or iterable of str, default "float"
        One or more keys of :data:`PROTOCOLS`: ``"float"`` (the published
        numbers' protocol) and ``"clipped8"`` (the same noisy images clipped
        and rounded to 8 bits). Every protocol uses the same noise.

    Returns
    -------
    list of dict
        One row per (dataset, protocol, sigma, method), in that nesting
        order, with the keys of :data:`FIELDS`: ``dataset``, ``sigma``,
        ``method``, ``psnr`` and ``ssim`` (means over the images),
        ``seconds_per_image`` (mean wall time of the method alone,
        :func:`time.perf_counter`), ``megapixels_per_second`` (pixels
        denoised per second of that time; an RGB pixel counts once),
        ``n_images``, ``seed`` and ``protocol``. The ``"noisy"`` row has NaN
        timings: it computes nothing.

    Raises
    ------
    ValueError
        If a method, dataset or protocol is unknown, a sigma is out of
        (0, 255], a list is empty, ``max_images`` is not a positive integer,
        a gray model is named on a colour set without ``"/per-channel"``, or
        a colour model is given a gray set; an unknown
        method raises :class:`~deepdenoise.denoisers.UnknownDenoiserError`
        and a model that cannot be loaded
        :class:`~deepdenoise.denoisers.DenoiserLoadError`.
    TypeError
        If ``seed`` is not an int or a method has the wrong type.
    ImportError
        If ``"bm3d"`` is requested and not installed.

    Notes
    -----
    The protocols are described in :mod:`deepdenoise.bench`. Under
    ``"float"``, with :math:`x_i` the clean image,
    :math:`z_i \sim \mathcal N(0, I)` drawn from ``default_rng(seed + i)``
    and :math:`f` the method,

    .. math::

        \mathrm{PSNR} = \frac{1}{N} \sum_{i=1}^{N}
            10 \log_{10} \frac{1}{\mathrm{MSE}\big(x_i,
            \mathrm{clip}_{[0,1]} f(x_i + \tfrac{\sigma}{255} z_i, \sigma)\big)};

    under ``"clipped8"`` the input :math:`x_i + \tfrac{\sigma}{255} z_i` is
    replaced by :math:`\mathrm{round}(255\,\mathrm{clip}_{[0,1]}(\cdot))/255`,
    and every method is still given the nominal :math:`\sigma`.

    Keras models get one untimed warm-up call on a 64x64 crop first, so the
    timings exclude TensorFlow's one-off set-up. Timings depend on the
    machine and its load; compare them only within one run.

    References
    ----------
    .. [1] K. Zhang, W. Zuo, Y. Chen, D. Meng and L. Zhang, "Beyond a Gaussian
       denoiser: residual learning of deep CNN for image denoising", IEEE TIP
       26(7), 2017.

    Examples
    --------
    >>> import numpy as np, tempfile, pathlib
    >>> from PIL import Image
    >>> folder = pathlib.Path(tempfile.mkdtemp()) / "flat"
    >>> folder.mkdir()
    >>> Image.fromarray(np.full((32, 32), 128, np.uint8)).save(folder / "a.png")
    >>> rows = run_benchmark(["noisy", "gaussian"], [str(folder)], [25], progress=False)
    >>> [(row["method"], row["n_images"]) for row in rows]
    [('noisy', 1), ('gaussian', 1)]
    >>> bool(rows[1]["psnr"] > rows[0]["psnr"])
    True
    """
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise ArgumentTypeError(f"seed must be an int, got {seed!r}")
    if max_images is not None:
        max_images = check_positive_int(max_images, "max_images")
    sigma_values = [check_sigma(value, "sigmas") for value in _as_list(sigmas, "sigmas")]
    dataset_names = [str(name) for name in _as_list(datasets, "datasets")]
    protocols = [_check_protocol(name) for name in _as_list(protocol, "protocol")]
    options = {"tile": tile, "overlap": overlap, "self_ensemble": self_ensemble}
    resolved = [_as_denoiser(item, options) for item in _as_list(methods, "methods")]
    labels = [denoiser.name for denoiser in resolved]
    if len(set(labels)) != len(labels):
        raise ValueError(f"methods must have distinct names, got {labels}")
    report = _reporter(progress)
    live = bool(progress is True and sys.stderr.isatty())

    loaded = []
    for dataset_name in dataset_names:  # every set is loaded and checked before any run
        label, images = _load_dataset(dataset_name, data_dir)
        channels = 3 if images and images[0][1].ndim == 3 else 1
        for denoiser in resolved:
            _check_fits(denoiser, label, channels)
        loaded.append((label, list(enumerate(images))[:max_images]))

    rows: list[BenchRow] = []
    for label, indexed in loaded:
        for name in protocols:
            for sigma in sigma_values:
                # The noise of image i depends on (seed, i) only: the same in every protocol.
                cases = [
                    (clean, noisy_input(clean, sigma, seed=seed + index, protocol=name))
                    for index, (_, clean) in indexed
                ]
                for denoiser in resolved:
                    row = _score(
                        denoiser, cases, sigma, label=label, seed=seed, live=live, protocol=name
                    )
                    rows.append(row)
                    if report is not None:
                        report(row)
    return rows
