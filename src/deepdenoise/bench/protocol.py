r"""The benchmark loop: :func:`run_benchmark` under the DnCNN/KAIR protocol.

The protocol is described in :mod:`deepdenoise.bench`; the rows this module
returns are saved and printed by :mod:`deepdenoise.bench.report`.

Examples
--------
>>> from deepdenoise.bench.protocol import FIELDS
>>> FIELDS[:3]
('dataset', 'sigma', 'method')
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

__all__ = ["FIELDS", "BenchRow", "run_benchmark"]


class BenchRow(TypedDict):
    """One row of a benchmark: one method on one dataset at one noise level.

    ``seconds_per_image`` and ``megapixels_per_second`` are NaN for the noisy
    input, which is not timed.
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


def _load_dataset(name: str, data_dir: str | os.PathLike[str] | None) -> tuple[str, list]:
    """Return (label, [(image name, float32 gray image)]) for a test-set name or a folder."""
    from deepdenoise import data

    folder = Path(name).expanduser()
    if folder.is_dir() and name.lower() not in ("set12", "bsd68", "train400"):
        return folder.name, list(data.load_folder(folder, as_gray=True))
    return name.lower(), list(data.benchmark(name.lower(), data_dir=data_dir))


def _format_row(row: BenchRow) -> str:
    timing = (
        "" if math.isnan(row["seconds_per_image"]) else f", {row['seconds_per_image']:.3f} s/image"
    )
    return (
        f"{row['dataset']} sigma={row['sigma']:g} {row['method']}: PSNR {row['psnr']:.2f} dB, "
        f"SSIM {row['ssim']:.4f}{timing} ({row['n_images']} images)"
    )


def _print_row(row: BenchRow) -> None:
    print(_format_row(row), file=sys.stderr, flush=True)


def _reporter(progress: bool | Report) -> Report | None:
    if callable(progress):
        return progress
    return _print_row if progress else None


def _score(
    denoiser: Denoiser, cases: list[Case], sigma: float, *, label: str, seed: int, live: bool
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
        pixels += clean.size
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
) -> list[BenchRow]:
    r"""Score methods on test sets at several noise levels (DnCNN/KAIR protocol).

    Parameters
    ----------
    methods : str or iterable
        Denoiser names for :func:`deepdenoise.denoisers.get_denoiser`
        (``"noisy"``, ``"gaussian"``, ``"bm3d"``, ``"ffdnet"``,
        ``"model:path.keras"``...), :class:`~deepdenoise.denoisers.Denoiser`
        objects, or ``(label, fn)`` pairs where ``fn(noisy, sigma)`` is a
        denoiser or a ``keras.Model`` (run through
        :func:`deepdenoise.inference.denoise`).
    datasets : str or iterable of str
        ``"set12"``, ``"bsd68"`` (see :func:`deepdenoise.data.benchmark`) or
        folders of images (read as gray).
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

    Returns
    -------
    list of dict
        One row per (dataset, sigma, method), in that nesting order, with the
        keys of :data:`FIELDS`: ``dataset``, ``sigma``, ``method``, ``psnr``
        and ``ssim`` (means over the images), ``seconds_per_image`` (mean
        wall time of the method alone, :func:`time.perf_counter`),
        ``megapixels_per_second`` (pixels denoised per second of that time),
        ``n_images`` and ``seed``. The ``"noisy"`` row has NaN timings: it
        computes nothing.

    Raises
    ------
    ValueError
        If a method or dataset is unknown, a sigma is out of (0, 255], a list
        is empty or ``max_images`` is not a positive integer; an unknown
        method raises :class:`~deepdenoise.denoisers.UnknownDenoiserError`
        and a model that cannot be loaded
        :class:`~deepdenoise.denoisers.DenoiserLoadError`.
    TypeError
        If ``seed`` is not an int or a method has the wrong type.
    ImportError
        If ``"bm3d"`` is requested and not installed.

    Notes
    -----
    The protocol is described in :mod:`deepdenoise.bench`. With
    :math:`x_i` the clean image, :math:`z_i \sim \mathcal N(0, I)` drawn from
    ``default_rng(seed + i)`` and :math:`f` the method,

    .. math::

        \mathrm{PSNR} = \frac{1}{N} \sum_{i=1}^{N}
            10 \log_{10} \frac{1}{\mathrm{MSE}\big(x_i,
            \mathrm{clip}_{[0,1]} f(x_i + \tfrac{\sigma}{255} z_i, \sigma)\big)}.

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
    from deepdenoise.noise import add_gaussian_noise

    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise ArgumentTypeError(f"seed must be an int, got {seed!r}")
    if max_images is not None:
        max_images = check_positive_int(max_images, "max_images")
    sigma_values = [check_sigma(value, "sigmas") for value in _as_list(sigmas, "sigmas")]
    dataset_names = [str(name) for name in _as_list(datasets, "datasets")]
    options = {"tile": tile, "overlap": overlap, "self_ensemble": self_ensemble}
    resolved = [_as_denoiser(item, options) for item in _as_list(methods, "methods")]
    labels = [denoiser.name for denoiser in resolved]
    if len(set(labels)) != len(labels):
        raise ValueError(f"methods must have distinct names, got {labels}")
    report = _reporter(progress)
    live = bool(progress is True and sys.stderr.isatty())

    rows: list[BenchRow] = []
    for dataset_name in dataset_names:
        label, images = _load_dataset(dataset_name, data_dir)
        indexed = list(enumerate(images))[:max_images]
        for sigma in sigma_values:
            cases = [
                (clean, add_gaussian_noise(clean, sigma, seed=seed + index))
                for index, (_, clean) in indexed
            ]
            for denoiser in resolved:
                row = _score(denoiser, cases, sigma, label=label, seed=seed, live=live)
                rows.append(row)
                if report is not None:
                    report(row)
    return rows
