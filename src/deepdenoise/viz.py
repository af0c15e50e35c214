"""Figures for the book: side-by-side comparisons, zooms, error maps, curves.

Every function returns a :class:`matplotlib.figure.Figure` built without
pyplot, so nothing opens a window, figures are not kept alive by pyplot's
registry, and a notebook shows a returned figure exactly once. Save one with
``fig.savefig("name.png", dpi=150)``.

Images are float in [0, 1] (uint8 and uint16 are rescaled), gray (H, W) or
(H, W, 1), or RGB (H, W, 3). Values outside [0, 1], as in noisy images that
were not clipped, are clipped for display only; PSNR values in titles are
computed on the unclipped data with :func:`deepdenoise.metrics.psnr`
(``data_range=1``).

Examples
--------
>>> import numpy as np
>>> from deepdenoise.viz import plot_comparison
>>> clean = np.linspace(0, 1, 64, dtype=np.float32).reshape(8, 8)
>>> noisy = clean + np.float32(0.1)
>>> fig = plot_comparison(clean, noisy, {"denoised": clean + np.float32(0.01)})
>>> [ax.get_title() for ax in fig.axes]
['Clean (reference)', 'Noisy\\nPSNR 20.00 dB', 'denoised\\nPSNR 40.00 dB']
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from deepdenoise import metrics
from deepdenoise._checks import (
    ArgumentTypeError,
    check_image,
    check_positive_int,
    check_positive_number,
    check_sigma,
)
from deepdenoise._dtypes import INTEGER_MAX, to_unit_float

__all__ = [
    "add_zoom_inset",
    "format_psnr",
    "plot_comparison",
    "plot_error_map",
    "plot_loss_curves",
    "plot_noise_histogram",
    "show_grid",
]

Box = tuple[int, int, int, int]

_PANEL_INCHES = 3.2
_ZOOM_COLOR = "#ffd000"
_LOCATIONS = ("lower left", "lower right", "upper left", "upper right")


def _as_image(image: object, name: str) -> np.ndarray:
    """Validate an image; return float32 on the [0, 1] scale, (H, W) or (H, W, 3)."""
    array = np.asarray(image)
    if array.dtype in INTEGER_MAX:
        array = to_unit_float(array)
    elif not (np.issubdtype(array.dtype, np.floating) or array.dtype == bool):
        raise ArgumentTypeError(
            f"{name} must be a float, uint8 or uint16 image, got dtype {array.dtype}"
        )
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[-1] != 3):
        raise ValueError(f"{name} must be (H, W), (H, W, 1) or (H, W, 3), got {array.shape}")
    return check_image(array, name)  # not empty, float32, finite


def _check_same_shape(reference: np.ndarray, image: np.ndarray, name: str) -> None:
    if image.shape != reference.shape:
        raise ValueError(
            f"{name} must have the shape of the reference {reference.shape}, got {image.shape}"
        )


def _check_box(box: object, shape: tuple[int, ...], name: str) -> Box:
    expected = f"{name} must be (top, left, height, width) in pixels, got {box!r}"
    if not isinstance(box, Sequence) or not all(
        isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in box
    ):
        raise ArgumentTypeError(expected)
    if len(box) != 4:
        raise ValueError(expected)
    top, left, height, width = (int(v) for v in box)
    if top < 0 or left < 0 or height < 1 or width < 1:
        raise ValueError(f"{name} must have top, left >= 0 and a positive size, got {box!r}")
    if top + height > shape[0] or left + width > shape[1]:
        raise ValueError(
            f"{name} {box!r} does not fit in an image of {shape[0]}x{shape[1]} pixels"
        )
    return top, left, height, width


def _crop(image: np.ndarray, box: Box) -> np.ndarray:
    top, left, height, width = box
    return image[top : top + height, left : left + width]


def _show(
    ax: Axes, image: np.ndarray, title: str | None = None, *, fontsize: float | None = None
) -> None:
    """Draw an image in [0, 1] (clipped for display) without axes ticks."""
    shown = np.clip(image, 0.0, 1.0)
    if shown.ndim == 2:
        ax.imshow(shown, cmap="gray", vmin=0.0, vmax=1.0, interpolation="nearest")
    else:
        ax.imshow(shown, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    if title is not None:
        ax.set_title(title, fontsize=fontsize)


def _outline(ax: Axes, box: Box) -> None:
    top, left, height, width = box
    ax.add_patch(
        Rectangle(
            (left - 0.5, top - 0.5),
            width,
            height,
            fill=False,
            edgecolor=_ZOOM_COLOR,
            linewidth=1.5,
        )
    )


def format_psnr(value: float) -> str:
    """Format a PSNR for a title, as in ``"PSNR 27.63 dB"``.

    Parameters
    ----------
    value : float
        PSNR in dB (``inf`` for identical images).

    Returns
    -------
    str

    Examples
    --------
    >>> format_psnr(27.6349)
    'PSNR 27.63 dB'
    >>> format_psnr(float("inf"))
    'PSNR inf dB'
    """
    return "PSNR inf dB" if math.isinf(value) else f"PSNR {value:.2f} dB"


def show_grid(
    images: Sequence[np.ndarray] | Mapping[str, np.ndarray],
    titles: Sequence[str] | None = None,
    *,
    ncols: int | None = None,
) -> Figure:
    """Show images in a grid, each with an optional title.

    Parameters
    ----------
    images : sequence of arrays or mapping of title to array
        Images in [0, 1], gray or RGB; they may differ in size.
    titles : sequence of str, optional
        One title per image (ignored when ``images`` is a mapping, whose keys
        are the titles).
    ncols : int, optional
        Number of columns; by default at most 6.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If there are no images, ``titles`` has the wrong length or ``ncols``
        is not a positive integer.

    Examples
    --------
    >>> import numpy as np
    >>> fig = show_grid([np.zeros((4, 4)), np.ones((4, 4, 3))], ["black", "white"])
    >>> len(fig.axes), fig.axes[1].get_title()
    (2, 'white')
    """
    if isinstance(images, Mapping):
        titles = list(images)
        images = list(images.values())
    images = [_as_image(image, f"images[{i}]") for i, image in enumerate(images)]
    if not images:
        raise ValueError("images must hold at least one image")
    if titles is not None and len(titles) != len(images):
        raise ValueError(
            f"titles must have one entry per image ({len(images)}), got {len(titles)}"
        )
    if ncols is None:
        ncols = min(len(images), 6)
    ncols = check_positive_int(ncols, "ncols")
    nrows = math.ceil(len(images) / ncols)
    fig = Figure(figsize=(_PANEL_INCHES * ncols, _PANEL_INCHES * nrows), layout="constrained")
    for index, image in enumerate(images):
        ax = fig.add_subplot(nrows, ncols, index + 1)
        _show(ax, image, None if titles is None else titles[index])
    return fig


def add_zoom_inset(
    ax: Axes,
    image: np.ndarray,
    box: Box,
    *,
    loc: str = "lower right",
    size: float = 0.4,
) -> Axes:
    """Add an inset that magnifies ``box`` of the image shown in ``ax``.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Axes that already show ``image`` (with ``imshow``).
    image : numpy.ndarray
        The image in [0, 1].
    box : tuple of int
        ``(top, left, height, width)`` of the region, in pixels.
    loc : {"lower right", "lower left", "upper right", "upper left"}
        Corner of ``ax`` where the inset goes.
    size : float, default 0.4
        Side of the inset as a fraction of ``ax``.

    Returns
    -------
    matplotlib.axes.Axes
        The inset axes; the region is outlined in ``ax`` and joined to it.

    Raises
    ------
    ValueError
        If ``box`` does not fit in the image, or ``loc`` or ``size`` is
        invalid.

    Examples
    --------
    >>> import numpy as np
    >>> from matplotlib.figure import Figure
    >>> image = np.random.default_rng(0).uniform(size=(32, 32))
    >>> ax = Figure().add_subplot()
    >>> _ = ax.imshow(image, cmap="gray")
    >>> inset = add_zoom_inset(ax, image, (4, 4, 8, 8))
    >>> inset.images[0].get_array().shape
    (8, 8)
    """
    data = _as_image(image, "image")
    region = _check_box(box, data.shape, "box")
    if loc not in _LOCATIONS:
        raise ValueError(f"loc must be one of {_LOCATIONS}, got {loc!r}")
    if isinstance(size, bool) or not isinstance(size, numbers.Real):
        raise ArgumentTypeError(f"size must be a fraction in (0, 0.6], got {size!r}")
    if not 0 < size <= 0.6:
        raise ValueError(f"size must be a fraction in (0, 0.6], got {size!r}")
    x0 = 0.02 if loc.endswith("left") else 0.98 - size
    y0 = 0.02 if loc.startswith("lower") else 0.98 - size
    inset = ax.inset_axes((x0, y0, size, size))
    _show(inset, _crop(data, region))
    for spine in inset.spines.values():
        spine.set_edgecolor(_ZOOM_COLOR)
        spine.set_linewidth(1.5)
    _outline(ax, region)
    return inset


def plot_comparison(
    clean: np.ndarray,
    noisy: np.ndarray,
    denoised: Mapping[str, np.ndarray] | None = None,
    *,
    zoom: Box | None = None,
) -> Figure:
    """Show clean, noisy and denoised images side by side with their PSNR.

    Parameters
    ----------
    clean : numpy.ndarray
        Reference image in [0, 1], gray or RGB.
    noisy : numpy.ndarray
        Noisy image of the same shape (values outside [0, 1] are allowed).
    denoised : mapping of str to numpy.ndarray, optional
        Results by method name, in the order to show.
    zoom : tuple of int, optional
        ``(top, left, height, width)`` of a region, in pixels. It is outlined
        in every image and magnified in a second row.

    Returns
    -------
    matplotlib.figure.Figure
        One column per image. Every title but the reference's gives the
        PSNR against ``clean`` (:func:`deepdenoise.metrics.psnr`,
        ``data_range=1``), as in ``"PSNR 27.63 dB"``.

    Raises
    ------
    ValueError
        If the shapes differ or ``zoom`` does not fit in the image.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> clean = rng.uniform(size=(32, 32)).astype(np.float32)
    >>> noisy = clean + rng.normal(0, 0.1, clean.shape).astype(np.float32)
    >>> fig = plot_comparison(clean, noisy, {"mean": (clean + noisy) / 2}, zoom=(0, 0, 8, 8))
    >>> len(fig.axes)
    6
    """
    reference = _as_image(clean, "clean")
    panels = {"Noisy": _as_image(noisy, "noisy")}
    _check_same_shape(reference, panels["Noisy"], "noisy")
    for name, image in (denoised or {}).items():
        label = f"denoised[{name!r}]"
        panels[str(name)] = _as_image(image, label)
        _check_same_shape(reference, panels[str(name)], label)
    region = None if zoom is None else _check_box(zoom, reference.shape, "zoom")

    ncols = 1 + len(panels)
    nrows = 1 if region is None else 2
    height_ratio = 1.0
    if region is not None:
        height_ratio = min(region[2] / region[3], 1.5)
    fig = Figure(
        figsize=(_PANEL_INCHES * ncols, _PANEL_INCHES * (1 + (nrows - 1) * height_ratio) + 0.4),
        layout="constrained",
    )
    titles = ["Clean (reference)"] + [
        f"{name}\n{format_psnr(metrics.psnr(reference, image, data_range=1.0))}"
        for name, image in panels.items()
    ]
    images = [reference, *panels.values()]
    top_axes = [fig.add_subplot(nrows, ncols, i + 1) for i in range(ncols)]
    for ax, image, title in zip(top_axes, images, titles, strict=True):
        _show(ax, image, title)
    if region is not None:
        for index, (ax, image) in enumerate(zip(top_axes, images, strict=True)):
            _outline(ax, region)
            zoom_ax = fig.add_subplot(nrows, ncols, ncols + index + 1)
            _show(zoom_ax, _crop(image, region))
            for spine in zoom_ax.spines.values():
                spine.set_edgecolor(_ZOOM_COLOR)
                spine.set_linewidth(1.5)
        top, left, height, width = region
        fig.suptitle(
            f"bottom row: zoom on rows {top}-{top + height - 1}, columns {left}-{left + width - 1}"
        )
    return fig


def plot_error_map(
    reference: np.ndarray,
    estimate: np.ndarray | Mapping[str, np.ndarray],
    *,
    vmax: float | None = None,
    cmap: str = "magma",
) -> Figure:
    r"""Show where an estimate is wrong: the heat map of :math:`|x - \hat x|`.

    Parameters
    ----------
    reference : numpy.ndarray
        Clean image in [0, 1], gray or RGB.
    estimate : numpy.ndarray or mapping of str to numpy.ndarray
        One estimate, or several by name (for example the noisy image and two
        denoisers), drawn with one shared colour scale.
    vmax : float, optional
        Top of the colour scale; by default the 99.5th percentile of all
        errors, so a few outliers do not wash out the map.
    cmap : str, default "magma"
        Matplotlib colour map.

    Returns
    -------
    matplotlib.figure.Figure
        One panel per estimate, titled with its PSNR, and a colour bar of the
        absolute error on the [0, 1] scale (for RGB, the mean over channels).

    Raises
    ------
    ValueError
        If the shapes differ or ``vmax`` is not positive.

    Examples
    --------
    >>> import numpy as np
    >>> clean = np.zeros((16, 16), dtype=np.float32)
    >>> fig = plot_error_map(clean, clean + np.float32(0.1))
    >>> fig.axes[0].get_title(), fig.axes[1].get_ylabel()
    ('estimate\nPSNR 20.00 dB', '|error| (0-1 scale)')
    """
    truth = _as_image(reference, "reference")
    estimates = dict(estimate) if isinstance(estimate, Mapping) else {"estimate": estimate}
    if not estimates:
        raise ValueError("estimate must hold at least one image")
    errors = {}
    titles = []
    for name, image in estimates.items():
        label = "estimate" if not isinstance(estimate, Mapping) else f"estimate[{name!r}]"
        data = _as_image(image, label)
        _check_same_shape(truth, data, label)
        error = np.abs(data - truth)
        errors[name] = error.mean(axis=-1) if error.ndim == 3 else error
        titles.append(f"{name}\n{format_psnr(metrics.psnr(truth, data, data_range=1.0))}")
    if vmax is None:
        top = float(np.percentile(np.concatenate([e.ravel() for e in errors.values()]), 99.5))
        vmax = top if top > 0 else 1.0
    else:
        vmax = check_positive_number(vmax, "vmax")
    ncols = len(errors)
    fig = Figure(figsize=(_PANEL_INCHES * ncols + 0.8, _PANEL_INCHES + 0.4), layout="constrained")
    axes = [fig.add_subplot(1, ncols, i + 1) for i in range(ncols)]
    shown: Any = None  # the last panel's image, for the colour bar
    for ax, error, title in zip(axes, errors.values(), titles, strict=True):
        shown = ax.imshow(error, cmap=cmap, vmin=0.0, vmax=float(vmax), interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(title)
    colorbar = fig.colorbar(shown, ax=axes, shrink=0.9)
    colorbar.set_label("|error| (0-1 scale)")
    return fig


_X_LABELS = {"epoch": "epoch", "step": "step", "seconds": "wall-clock time (s)"}


def _curves_from(history: object) -> dict[str, np.ndarray]:
    if hasattr(history, "history") and isinstance(history.history, Mapping):
        data = {k: v for k, v in history.history.items() if str(k).endswith("loss")}
        if not data:
            data = dict(history.history)
    elif isinstance(history, Mapping):
        data = dict(history)
    else:
        raise ArgumentTypeError(
            "history must be a keras History or a mapping of name to a sequence of values, "
            f"got {type(history).__name__}"
        )
    curves = {}
    for name, values in data.items():
        array = np.asarray(values, dtype=np.float64)
        if array.ndim != 1 or array.size == 0:
            raise ValueError(f"history[{name!r}] must be a non-empty 1-D sequence of numbers")
        curves[str(name)] = array
    if not curves:
        raise ValueError("history must hold at least one curve")
    return curves


def plot_loss_curves(
    history: object,
    *,
    x: str = "epoch",
    seconds: Sequence[float] | Mapping[str, Sequence[float]] | None = None,
    log_scale: bool = True,
    ylabel: str = "loss (MSE)",
    title: str | None = None,
) -> Figure:
    """Plot training curves against epochs, steps or wall-clock seconds.

    Parameters
    ----------
    history : keras.callbacks.History or mapping of str to sequence of float
        A History from ``model.fit`` (its keys ending in ``"loss"`` are
        drawn, such as ``loss`` and ``val_loss``), or curves by name, for
        example ``{"full batch": [...], "SGD": [...]}``.
    x : {"epoch", "step", "seconds"}, default "epoch"
        What the horizontal axis counts. Epochs and steps are numbered from 1.
    seconds : sequence or mapping of sequences, optional
        Required when ``x="seconds"``: the cumulative wall-clock time at each
        value, either one sequence shared by all curves or one per curve
        name (methods that run at different speeds).
    log_scale : bool, default True
        Use a logarithmic vertical axis (when every value is positive).
    ylabel : str, default "loss (MSE)"
        Label of the vertical axis.
    title : str, optional
        Title of the figure.

    Returns
    -------
    matplotlib.figure.Figure
        One line per curve, with a legend and labelled axes.

    Raises
    ------
    TypeError
        If ``history`` is neither a History nor a mapping.
    ValueError
        If ``x`` is unknown, or ``seconds`` is missing or does not match the
        curves' lengths.

    Examples
    --------
    >>> fig = plot_loss_curves({"SGD": [1.0, 0.5, 0.3]}, x="seconds", seconds=[0.1, 0.2, 0.3])
    >>> ax = fig.axes[0]
    >>> ax.get_xlabel(), [line.get_label() for line in ax.get_lines()]
    ('wall-clock time (s)', ['SGD'])
    """
    if x not in _X_LABELS:
        raise ValueError(f"x must be one of {sorted(_X_LABELS)}, got {x!r}")
    curves = _curves_from(history)
    fig = Figure(figsize=(6.4, 4.0), layout="constrained")
    ax = fig.add_subplot()
    for name, values in curves.items():
        if x == "seconds":
            if seconds is None:
                raise ValueError('seconds must be given when x="seconds"')
            if isinstance(seconds, Mapping):
                if name not in seconds:
                    raise ValueError(f"seconds has no entry for the curve {name!r}")
                times = np.asarray(seconds[name], dtype=np.float64)
            else:
                times = np.asarray(seconds, dtype=np.float64)
            if times.shape != values.shape:
                raise ValueError(
                    f"seconds for {name!r} must have {values.size} values, got {times.size}"
                )
            positions: np.ndarray = times
        else:
            positions = np.arange(1, values.size + 1)
        ax.plot(positions, values, label=name, marker="o" if values.size <= 30 else None)
    if log_scale and all(np.all(v > 0) for v in curves.values()):
        ax.set_yscale("log")
    ax.set_xlabel(_X_LABELS[x])
    ax.set_ylabel(ylabel)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    if title is not None:
        ax.set_title(title)
    return fig


def plot_noise_histogram(
    noisy: np.ndarray,
    clean: np.ndarray,
    *,
    sigma: float | None = None,
    bins: int = 101,
) -> Figure:
    r"""Histogram of the noise ``noisy - clean`` on the 0-255 scale.

    Parameters
    ----------
    noisy, clean : numpy.ndarray
        Images of the same shape in [0, 1].
    sigma : float, optional
        If given (0-255 scale), the Gaussian density
        :math:`\frac{1}{\sigma\sqrt{2\pi}} e^{-n^2 / 2\sigma^2}` is drawn over
        the histogram for comparison.
    bins : int, default 101
        Number of histogram bins.

    Returns
    -------
    matplotlib.figure.Figure
        The title gives the measured mean and standard deviation.

    Raises
    ------
    ValueError
        If the shapes differ or ``bins`` or ``sigma`` is invalid.

    Examples
    --------
    >>> import numpy as np
    >>> clean = np.full((64, 64), 0.5, dtype=np.float32)
    >>> noisy = clean + np.random.default_rng(0).normal(0, 25 / 255, clean.shape)
    >>> fig = plot_noise_histogram(noisy, clean, sigma=25)
    >>> fig.axes[0].get_xlabel()
    'noise value (0-255 scale)'
    """
    truth = _as_image(clean, "clean")
    data = _as_image(noisy, "noisy")
    _check_same_shape(truth, data, "noisy")
    bins = check_positive_int(bins, "bins")
    residual = (data.astype(np.float64) - truth) * 255.0
    fig = Figure(figsize=(6.4, 4.0), layout="constrained")
    ax = fig.add_subplot()
    ax.hist(residual.ravel(), bins=bins, density=True, color="#4c72b0", alpha=0.75, label="noise")
    if sigma is not None:
        level = check_sigma(sigma, "sigma")
        grid = np.linspace(residual.min(), residual.max(), 400)
        density = np.exp(-(grid**2) / (2 * level**2)) / (level * math.sqrt(2 * math.pi))
        ax.plot(grid, density, color="#c44e52", linewidth=2, label=f"N(0, {level:g}²)")
    ax.set_xlabel("noise value (0-255 scale)")
    ax.set_ylabel("density")
    ax.set_title(f"noise: mean {residual.mean():.2f}, std {residual.std():.2f} (0-255 scale)")
    ax.legend()
    return fig
