r"""Benchmark denoisers on Set12/BSD68 under the DnCNN protocol: PSNR, SSIM, speed.

:func:`run_benchmark` scores every combination of method, test set and noise
level and returns one row per combination; :func:`write_csv` saves the rows,
:func:`read_csv` reads them back, and :func:`to_markdown` prints one table
per test set with the published numbers of :mod:`deepdenoise.published`
next to the measured ones, labelled "quoted".

Protocol
--------
The protocol of the DnCNN/KAIR test scripts, on the gray test images:

* the clean image ``x`` is a float in [0, 1]; noise is added in float,
  ``y = x + n`` with ``n ~ N(0, (sigma/255)^2)``, and ``y`` is **never
  clipped or quantised**;
* the noise of image number ``i`` (0-based, in the sorted order of the test
  set) comes from ``numpy.random.default_rng(seed + i)``, ``seed=0`` by
  default, so it does not depend on ``max_images``, on the other methods or
  on the order of the runs; the same standard-normal draw is scaled by
  ``sigma / 255`` for every noise level, and every method sees the very same
  noisy image;
* every method is given the true ``sigma`` (non-blind);
* each denoised output is clipped to [0, 1] (in float) and scored against
  ``x`` with PSNR and SSIM at ``data_range=1`` (:mod:`deepdenoise.metrics`);
  the row's value is the mean over the images;
* the ``"noisy"`` row scores the input itself, **unclipped**, so its PSNR is
  the input signal-to-noise ratio, :math:`20 \log_{10}(255/\sigma)` dB in
  expectation (20.17 dB at sigma 25).

KAIR differs in two details that move averages by about 0.01 dB: it seeds
NumPy's legacy generator with ``np.random.seed(0)`` before every image, and
it rounds the output to uint8 before computing PSNR (we clip in float).

Examples
--------
>>> from deepdenoise.bench import to_markdown
>>> row = dict(dataset="set12", sigma=25.0, method="noisy", psnr=20.17, ssim=0.3,
...            seconds_per_image=float("nan"), megapixels_per_second=float("nan"),
...            n_images=12, seed=0)
>>> print(to_markdown([row], include_published=False).splitlines()[0])
### set12 (12 images)
"""

from __future__ import annotations

import csv
import math
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from deepdenoise._checks import check_positive_int, check_sigma

__all__ = [
    "FIELDS",
    "Method",
    "UnknownMethodError",
    "get_method",
    "list_methods",
    "read_csv",
    "run_benchmark",
    "to_markdown",
    "write_csv",
]

FIELDS: tuple[str, ...] = (
    "dataset",
    "sigma",
    "method",
    "psnr",
    "ssim",
    "seconds_per_image",
    "megapixels_per_second",
    "n_images",
    "seed",
)
"""The keys of every row returned by :func:`run_benchmark`, in CSV column order."""

_FLOAT_FIELDS = ("sigma", "psnr", "ssim", "seconds_per_image", "megapixels_per_second")
_INT_FIELDS = ("n_images", "seed")

Denoiser = Callable[[np.ndarray, float], np.ndarray]


class UnknownMethodError(ValueError):
    """A method name that is neither classical, pretrained nor a model file.

    Kept apart from the other ``ValueError`` of :func:`get_method`, a known
    model that fails to load, so that callers such as the CLI can tell
    "no such name" from "this model cannot be read here".
    """


@dataclass(frozen=True)
class Method:
    """A denoiser ready to benchmark, behind the signature ``fn(noisy, sigma)``.

    Attributes
    ----------
    name : str
        The label used in rows and tables.
    kind : str
        ``"input"`` (the ``"noisy"`` pseudo-method), ``"classical"`` or ``"model"``.
    fn : callable
        ``fn(noisy, sigma) -> image``: float image in [0, 1] in, float image
        out, ``sigma`` on the 0-255 scale.
    model : keras.Model or None
        The Keras model behind a ``"model"`` method, else None.

    Examples
    --------
    >>> method = get_method("noisy")
    >>> method.kind, method.fn(np.ones((2, 2)), 25).tolist()
    ('input', [[1.0, 1.0], [1.0, 1.0]])
    """

    name: str
    kind: str
    fn: Denoiser
    model: Any = None


def _identity(noisy: np.ndarray, sigma: float) -> np.ndarray:
    return np.asarray(noisy, dtype=np.float32)


def _model_method(
    name: str, model: Any, *, tile: int | None, overlap: int, self_ensemble: bool
) -> Method:
    from deepdenoise.inference import denoise

    def fn(noisy: np.ndarray, sigma: float) -> np.ndarray:
        return denoise(
            model, noisy, sigma, tile=tile, overlap=overlap, self_ensemble=self_ensemble
        )

    return Method(name, "model", fn, model)


def _load_keras_file(path: Path) -> Any:
    import keras

    from deepdenoise import models as _models  # noqa: F401  (registers custom layers)

    if not path.is_file():
        raise ValueError(f"model file {path} does not exist")
    try:
        return keras.saving.load_model(path, compile=False)
    except Exception as error:  # Keras raises many types for a damaged file
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ValueError(f"model file {path} is not a loadable .keras model: {first}") from None


def list_methods() -> list[str]:
    """Return the method names :func:`get_method` knows, without loading any model.

    Returns
    -------
    list of str
        ``"noisy"``, the classical methods (``"bm3d"`` only when the optional
        ``bm3d`` package is installed), then the shipped pretrained models.

    Examples
    --------
    >>> names = list_methods()
    >>> names[:3]
    ['noisy', 'gaussian', 'median']
    """
    import importlib.util

    from deepdenoise.classical import CLASSICAL_METHODS
    from deepdenoise.weights import list_pretrained

    classical = [
        name
        for name in CLASSICAL_METHODS
        if name != "bm3d" or importlib.util.find_spec("bm3d") is not None
    ]
    return ["noisy", *classical, *list_pretrained()]


def get_method(
    name: str,
    *,
    tile: int | None = 256,
    overlap: int = 32,
    self_ensemble: bool = False,
) -> Method:
    """Resolve a method name into a :class:`Method`.

    Parameters
    ----------
    name : str
        One of

        * ``"noisy"``: the noisy input itself (the baseline row);
        * a classical method of :data:`deepdenoise.classical.CLASSICAL_METHODS`
          (``"gaussian"``, ``"median"``, ``"tv"``, ``"wavelet"``,
          ``"nl_means"``, ``"bm3d"``);
        * a pretrained model of :func:`deepdenoise.weights.list_pretrained`
          (for example ``"ffdnet"``), also written ``"model:ffdnet"``;
        * a saved Keras model, ``"model:path/to/file.keras"`` or just a path
          ending in ``.keras``; its label is then ``"model:<file stem>"``.
    tile, overlap, self_ensemble
        Passed to :func:`deepdenoise.inference.denoise` for model methods.

    Returns
    -------
    Method

    Raises
    ------
    UnknownMethodError
        If ``name`` is unknown (the message lists the known names); a
        subclass of ``ValueError``.
    ValueError
        If a model file or a pretrained model is missing or cannot be
        loaded (the message names it and the cause).
    ImportError
        For ``"bm3d"`` when the optional ``bm3d`` package is not installed.
    TypeError
        If ``name`` is not a string.

    Examples
    --------
    >>> get_method("tv").kind
    'classical'
    >>> get_method("no-such-method")
    Traceback (most recent call last):
    ...
    deepdenoise.bench.UnknownMethodError: method must be one of ...; got 'no-such-method'
    """
    if not isinstance(name, str):
        raise TypeError(f"method must be a string, got {type(name).__name__}")
    options = {"tile": tile, "overlap": overlap, "self_ensemble": self_ensemble}
    if name == "noisy":
        return Method("noisy", "input", _identity)

    from deepdenoise.classical import CLASSICAL_METHODS

    if name in CLASSICAL_METHODS:
        if name == "bm3d":
            import importlib.util

            if importlib.util.find_spec("bm3d") is None:
                raise ImportError(
                    "method 'bm3d' needs the optional 'bm3d' package (non-commercial licence): "
                    "pip install deepdenoise[bm3d]"
                )
        return Method(name, "classical", CLASSICAL_METHODS[name])

    spec = name.removeprefix("model:")
    if spec.endswith(".keras") or os.sep in spec or (os.altsep and os.altsep in spec):
        path = Path(spec).expanduser()
        model = _load_keras_file(path)
        return _model_method(f"model:{path.stem}", model, **options)

    from deepdenoise.weights import list_pretrained, load_pretrained

    if spec in list_pretrained():
        return _model_method(spec, load_pretrained(spec), **options)
    raise UnknownMethodError(
        f"method must be one of {list_methods()}, 'model:NAME' or a .keras file; got {name!r}"
    )


def _as_method(item: object, options: dict[str, Any]) -> Method:
    if isinstance(item, Method):
        return item
    if isinstance(item, str):
        return get_method(item, **options)
    if isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str):
        label, target = item
        keras = sys.modules.get("keras")
        if keras is not None and isinstance(target, keras.Model):
            return _model_method(label, target, **options)
        if callable(target):
            return Method(label, "classical", target)
    raise TypeError(
        "methods must hold names, Method objects or (label, fn or keras.Model) pairs, "
        f"got {item!r}"
    )


def _as_list(value: object, name: str) -> list[Any]:
    # A (label, fn) pair is one method; for datasets and sigmas a tuple is a sequence.
    if isinstance(value, str | int | float | Method) or (
        name == "methods"
        and isinstance(value, tuple)
        and len(value) == 2
        and isinstance(value[0], str)
    ):
        return [value]
    try:
        items = list(value)  # type: ignore[call-overload]
    except TypeError:
        raise TypeError(f"{name} must be a value or a sequence of values, got {value!r}") from None
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


def _format_row(row: dict[str, Any]) -> str:
    timing = (
        "" if math.isnan(row["seconds_per_image"]) else f", {row['seconds_per_image']:.3f} s/image"
    )
    return (
        f"{row['dataset']} sigma={row['sigma']:g} {row['method']}: PSNR {row['psnr']:.2f} dB, "
        f"SSIM {row['ssim']:.4f}{timing} ({row['n_images']} images)"
    )


def run_benchmark(
    methods: str | Iterable[str | Method | tuple[str, Any]],
    datasets: str | Iterable[str],
    sigmas: float | Iterable[float],
    *,
    data_dir: str | os.PathLike[str] | None = None,
    max_images: int | None = None,
    seed: int = 0,
    progress: bool | Callable[[dict[str, Any]], None] = True,
    tile: int | None = 256,
    overlap: int = 32,
    self_ensemble: bool = False,
) -> list[dict[str, Any]]:
    r"""Score methods on test sets at several noise levels (DnCNN/KAIR protocol).

    Parameters
    ----------
    methods : str or iterable
        Method names for :func:`get_method` (``"noisy"``, ``"gaussian"``,
        ``"bm3d"``, ``"ffdnet"``, ``"model:path.keras"``...), :class:`Method`
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
        is empty or ``max_images`` is not a positive integer.
    TypeError
        If ``seed`` is not an int or a method has the wrong type.
    ImportError
        If ``"bm3d"`` is requested and not installed.

    Notes
    -----
    The protocol is described in the module docstring. With
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
    from deepdenoise.metrics import psnr, ssim
    from deepdenoise.noise import add_gaussian_noise

    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise TypeError(f"seed must be an int, got {seed!r}")
    if max_images is not None:
        max_images = check_positive_int(max_images, "max_images")
    sigma_values = [check_sigma(value, "sigmas") for value in _as_list(sigmas, "sigmas")]
    dataset_names = [str(name) for name in _as_list(datasets, "datasets")]
    options = {"tile": tile, "overlap": overlap, "self_ensemble": self_ensemble}
    resolved = [_as_method(item, options) for item in _as_list(methods, "methods")]
    labels = [method.name for method in resolved]
    if len(set(labels)) != len(labels):
        raise ValueError(f"methods must have distinct names, got {labels}")

    report: Callable[[dict[str, Any]], None] | None
    if callable(progress):
        report = progress
    elif progress:

        def report(row: dict[str, Any]) -> None:
            print(_format_row(row), file=sys.stderr, flush=True)

    else:
        report = None
    live = bool(progress is True and sys.stderr.isatty())

    rows: list[dict[str, Any]] = []
    for dataset_name in dataset_names:
        label, images = _load_dataset(dataset_name, data_dir)
        indexed = list(enumerate(images))[:max_images]
        for sigma in sigma_values:
            cases = [
                (clean, add_gaussian_noise(clean, sigma, seed=seed + index))
                for index, (_, clean) in indexed
            ]
            for method in resolved:
                if method.kind == "model":
                    method.fn(cases[0][1][:64, :64], sigma)
                psnrs, ssims, seconds, pixels = [], [], 0.0, 0
                for count, (clean, noisy) in enumerate(cases, start=1):
                    start = time.perf_counter()
                    output = method.fn(noisy, sigma)
                    seconds += time.perf_counter() - start
                    pixels += clean.size
                    output = np.asarray(output, dtype=np.float32).reshape(clean.shape)
                    if method.kind != "input":
                        output = np.clip(output, 0.0, 1.0)
                    psnrs.append(psnr(clean, output, data_range=1.0))
                    ssims.append(ssim(clean, output, data_range=1.0))
                    if live:
                        print(
                            f"\r{label} sigma={sigma:g} {method.name}: {count}/{len(cases)}",
                            end="",
                            file=sys.stderr,
                            flush=True,
                        )
                if live:
                    print("\r", end="", file=sys.stderr)
                timed = method.kind != "input"
                row = {
                    "dataset": label,
                    "sigma": sigma,
                    "method": method.name,
                    "psnr": float(np.mean(psnrs)),
                    "ssim": float(np.mean(ssims)),
                    "seconds_per_image": seconds / len(cases) if timed else math.nan,
                    "megapixels_per_second": (
                        pixels / 1e6 / seconds if timed and seconds > 0 else math.nan
                    ),
                    "n_images": len(cases),
                    "seed": int(seed),
                }
                rows.append(row)
                if report is not None:
                    report(row)
    return rows


def write_csv(rows: Iterable[dict[str, Any]], path: str | os.PathLike[str]) -> Path:
    """Write benchmark rows to a CSV file, atomically.

    Parameters
    ----------
    rows : iterable of dict
        Rows as returned by :func:`run_benchmark`. Columns are :data:`FIELDS`
        first, then any other keys in sorted order.
    path : str or path-like
        The file to write; its folder is created. An existing file is replaced.

    Returns
    -------
    pathlib.Path
        ``path``.

    Notes
    -----
    Floats are written with ``repr``, so :func:`read_csv` gives back the
    same numbers. The file is written to a temporary file in the same folder
    and renamed into place (:func:`os.replace`), so an interrupted run never
    leaves half a file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "results.csv"
    >>> rows = [dict(dataset="set12", sigma=25.0, method="noisy", psnr=20.17, ssim=0.3,
    ...              seconds_per_image=float("nan"), megapixels_per_second=float("nan"),
    ...              n_images=12, seed=0)]
    >>> read_csv(write_csv(rows, path))[0]["psnr"]
    20.17
    """
    rows = list(rows)
    extra = sorted({key for row in rows for key in row} - set(FIELDS))
    columns = [*FIELDS, *extra]
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns, restval="")
            writer.writeheader()
            for row in rows:
                writer.writerow(
                    {
                        key: repr(value) if isinstance(value, float) else value
                        for key, value in row.items()
                    }
                )
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def read_csv(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Read rows written by :func:`write_csv`, with numbers converted back.

    Parameters
    ----------
    path : str or path-like
        A CSV file written by :func:`write_csv`.

    Returns
    -------
    list of dict
        ``sigma``, ``psnr``, ``ssim`` and the timings as float (``nan`` kept),
        ``n_images`` and ``seed`` as int, other columns as str.

    Raises
    ------
    ValueError
        If the file lacks a column of :data:`FIELDS` (the message names the file).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "empty.csv"
    >>> read_csv(write_csv([], path))
    []
    """
    source = Path(path)
    with open(source, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = [name for name in FIELDS if name not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"path {source} is not a benchmark CSV: missing columns {missing}")
        rows = []
        for raw in reader:
            row: dict[str, Any] = dict(raw)
            for key in _FLOAT_FIELDS:
                row[key] = float(raw[key])
            for key in _INT_FIELDS:
                row[key] = int(raw[key])
            rows.append(row)
    return rows


def _cell(value: float, digits: int) -> str:
    return "–" if value is None or math.isnan(value) else f"{value:.{digits}f}"


def _timing(rows: Sequence[dict[str, Any]]) -> tuple[float, float]:
    """Mean seconds per image and overall megapixels per second over several rows."""
    timed = [row for row in rows if not math.isnan(row["seconds_per_image"])]
    if not timed:
        return math.nan, math.nan
    seconds = sum(row["seconds_per_image"] * row["n_images"] for row in timed)
    images = sum(row["n_images"] for row in timed)
    megapixels = sum(
        row["megapixels_per_second"] * row["seconds_per_image"] * row["n_images"]
        for row in timed
        if not math.isnan(row["megapixels_per_second"])
    )
    return seconds / images, (megapixels / seconds if seconds > 0 else math.nan)


def to_markdown(rows: Iterable[dict[str, Any]], *, include_published: bool = True) -> str:
    """Format benchmark rows as Markdown: one table per dataset.

    Parameters
    ----------
    rows : iterable of dict
        Rows as returned by :func:`run_benchmark` or :func:`read_csv`.
    include_published : bool, default True
        Add the numbers published for the same dataset and noise levels
        (:data:`deepdenoise.published.PUBLISHED`), labelled
        ``"(quoted, <source>)"`` and followed by their references.

    Returns
    -------
    str
        For each dataset, a heading, then a table whose rows are the methods
        and whose columns are PSNR (dB) and SSIM at each sigma, the mean
        seconds per image and megapixels per second; quoted rows have PSNR
        only. Missing values are shown as ``–``.

    Examples
    --------
    >>> row = dict(dataset="bsd68", sigma=25.0, method="gaussian", psnr=26.5, ssim=0.7,
    ...            seconds_per_image=0.01, megapixels_per_second=15.4, n_images=68, seed=0)
    >>> table = to_markdown([row])
    >>> print(table.splitlines()[4])
    | gaussian | 26.50 | 0.7000 | 0.010 | 15.4 |
    >>> "| DnCNN-S (quoted, Zhang et al. 2017) | 29.23 | – | – | – |" in table
    True
    """
    from deepdenoise.published import CITATIONS, DATASET_SIZES, published_results

    rows = list(rows)
    datasets = list(dict.fromkeys(row["dataset"] for row in rows))
    blocks = []
    for dataset in datasets:
        subset = [row for row in rows if row["dataset"] == dataset]
        sigmas = sorted({float(row["sigma"]) for row in subset})
        methods = list(dict.fromkeys(row["method"] for row in subset))
        counts = sorted({int(row["n_images"]) for row in subset})
        count_text = " or ".join(map(str, counts))
        header = ["method"]
        for sigma in sigmas:
            header += [f"σ={sigma:g} PSNR", f"σ={sigma:g} SSIM"]
        header += ["s/image", "MP/s"]
        lines = [
            f"### {dataset} ({count_text} images)",
            "",
            "| " + " | ".join(header) + " |",
            "|---|" + "---:|" * (len(header) - 1),
        ]
        for method in methods:
            mine = [row for row in subset if row["method"] == method]
            cells = [method]
            for sigma in sigmas:
                match = [row for row in mine if float(row["sigma"]) == sigma]
                cells += [
                    _cell(match[0]["psnr"], 2) if match else "–",
                    _cell(match[0]["ssim"], 4) if match else "–",
                ]
            seconds, speed = _timing(mine)
            cells += [_cell(seconds, 3), _cell(speed, 1)]
            lines.append("| " + " | ".join(cells) + " |")
        cited: dict[str, None] = {}
        if include_published:
            quoted = [r for s in sigmas for r in published_results(dataset=dataset, sigma=s)]
            for label in dict.fromkeys(r.label for r in quoted):
                cells = [label]
                for sigma in sigmas:
                    match = [r for r in quoted if r.label == label and r.sigma == sigma]
                    cells += [f"{match[0].psnr:.2f}" if match else "–", "–"]
                    for r in match:
                        cited[r.citation] = None
                        cited[r.method_citation] = None
                cells += ["–", "–"]
                lines.append("| " + " | ".join(cells) + " |")
        notes = [
            "",
            "Gaussian noise of std sigma/255 added in float, never clipped, seed fixed per "
            "image; outputs clipped to [0, 1]; PSNR (dB) and SSIM with data_range=1, "
            "mean over the images. The noisy row scores the unclipped input.",
        ]
        full = DATASET_SIZES.get(dataset)
        if cited and full is not None and counts != [full]:
            notes.append(
                f"Measured on {count_text} of the {full} images; quoted numbers average "
                f"all {full}."
            )
        if cited:
            notes.append(
                "Quoted rows are copied from the papers, not measured here: "
                + "; ".join(f"[{key}] {CITATIONS[key]}" for key in cited)
                + "."
            )
        blocks.append("\n".join(lines + notes))
    return "\n\n".join(blocks) + "\n"
