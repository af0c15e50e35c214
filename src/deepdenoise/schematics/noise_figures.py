"""Illustrations of noise: the noise models side by side, and what noise does to PSNR."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import keras
import numpy as np
from matplotlib.figure import Figure

from deepdenoise import metrics, noise
from deepdenoise._checks import (
    ArgumentTypeError,
    check_image,
    check_non_negative_int,
    check_positive_int,
    check_positive_number,
    check_sigma,
)
from deepdenoise.inference import denoise

from ._draw import BLUE, GRAY, GREEN, INK, ORANGE, VERMILION, new_figure, show_gray

__all__ = [
    "plot_noise_against_brightness",
    "plot_noise_models",
    "plot_noisy_psnr",
    "plot_opponent_channels",
    "plot_residual_learning",
]

_NOISE_COLOURS = {"Gaussian": BLUE, "Poisson": GREEN, "speckle": VERMILION}


def _gray(image: object, name: str) -> np.ndarray:
    data = check_image(image, name, ndims=(2,))
    if data.min() < 0 or data.max() > 1:
        raise ValueError(f"{name} must hold values in [0, 1], got [{data.min()}, {data.max()}]")
    return data


def _noisy_versions(
    clean: np.ndarray, sigma: float, peak: float, seed: int
) -> dict[str, np.ndarray]:
    return {
        "Gaussian": noise.add_gaussian_noise(clean, sigma, seed=seed),
        "Poisson": noise.add_poisson_noise(clean, peak, seed=seed + 1),
        "speckle": noise.add_speckle_noise(clean, sigma, seed=seed + 2),
    }


def plot_noise_models(
    image: np.ndarray, *, sigma: float = 25, peak: float = 50, seed: int = 0
) -> Figure:
    """Show one image under Gaussian, Poisson and speckle noise, with each noise's histogram.

    Parameters
    ----------
    image : numpy.ndarray
        Clean gray image in [0, 1], (H, W); one with dark and bright parts
        shows the difference best.
    sigma : float, default 25
        Noise level (0-255 scale) of the Gaussian noise and of the speckle
        factor (:func:`deepdenoise.noise.add_speckle_noise`).
    peak : float, default 50
        Photon count of a white pixel for the Poisson noise
        (:func:`deepdenoise.noise.add_poisson_noise`). With 50, a mid-gray
        pixel gets about the noise of ``sigma=25``.
    seed : int, default 0

    Returns
    -------
    matplotlib.figure.Figure
        Top row: the clean image and the three noisy ones, each titled with
        its PSNR. Bottom row: the histogram of ``noisy - clean`` (0-255 scale)
        under each noisy image, with the Gaussian density of ``sigma`` dashed.

    Raises
    ------
    ValueError
        If ``image`` is not a gray image in [0, 1] or a parameter is out of range.

    Examples
    --------
    >>> import numpy as np
    >>> clean = np.tile(np.linspace(0, 1, 64, dtype=np.float32), (64, 1))
    >>> fig = plot_noise_models(clean)
    >>> [ax.get_title().split("\\n")[0] for ax in fig.axes if ax.images]
    ['clean', 'Gaussian', 'Poisson', 'speckle']
    """
    clean = _gray(image, "image")
    level = check_sigma(sigma)
    peak = check_positive_number(peak, "peak")
    seed = check_non_negative_int(seed, "seed")
    noisy = _noisy_versions(clean, level, peak, seed)
    fig = new_figure(8.4, 4.9)
    grid = fig.add_gridspec(2, 4, height_ratios=(1.25, 1))
    show_gray(fig.add_subplot(grid[0, 0]), clean, "clean\n")
    edges = np.linspace(-4 * level, 4 * level, 81)
    centres = (edges[:-1] + edges[1:]) / 2
    gauss = np.exp(-(centres**2) / (2 * level**2)) / (level * math.sqrt(2 * math.pi))
    first_hist = None
    for column, (name, values) in enumerate(noisy.items(), start=1):
        psnr = metrics.psnr(clean, values)
        show_gray(fig.add_subplot(grid[0, column]), values, f"{name}\nPSNR {psnr:.2f} dB")
        ax = fig.add_subplot(grid[1, column], sharey=first_hist)
        first_hist = first_hist or ax
        residual = (values.astype(np.float64) - clean) * 255
        ax.hist(residual.ravel(), bins=list(edges), density=True, color=_NOISE_COLOURS[name])
        ax.plot(centres, gauss, color=INK, linestyle="--", linewidth=1.0)
        ax.set_title(f"noise: std {residual.std():.1f}", fontsize=9)
        ax.set_xlabel("noisy − clean (0–255)", fontsize=8)
        ax.tick_params(labelsize=7)
    if first_hist is not None:
        first_hist.set_ylabel("density", fontsize=8)
    note = fig.add_subplot(grid[1, 0])
    note.set_axis_off()
    note.text(
        0.0,
        0.5,
        f"Histograms of the noise.\nDashed: Gaussian, σ = {level:g}.\n\n"
        f"Poisson: peak {peak:g} photons.\nSpeckle: factor σ = {level:g}.",
        fontsize=9,
        va="center",
        color=INK,
    )
    return fig


def plot_noise_against_brightness(
    *, sigma: float = 25, peak: float = 50, levels: int = 21, samples: int = 4000, seed: int = 0
) -> Figure:
    r"""Plot the measured noise standard deviation against the clean intensity.

    Flat patches of ``levels`` gray values from 0 to 1 get each noise of
    :mod:`deepdenoise.noise`; the standard deviation of ``noisy - clean`` is
    measured on each and drawn as dots, over the model's prediction: constant
    :math:`\sigma` for Gaussian noise, :math:`255\sqrt{x / p}` for Poisson
    noise of peak :math:`p`, and :math:`x \sigma` for speckle.

    Parameters
    ----------
    sigma : float, default 25
        Gaussian and speckle noise level, 0-255 scale.
    peak : float, default 50
        Photon count of a white pixel for the Poisson noise.
    levels : int, default 21
        Number of gray values.
    samples : int, default 4000
        Pixels per gray value.
    seed : int, default 0

    Returns
    -------
    matplotlib.figure.Figure
        One line (prediction) and one set of dots (measured) per noise; the
        dots' labels start with ``"measured"``.

    Examples
    --------
    >>> fig = plot_noise_against_brightness(levels=5, samples=500)
    >>> sorted(line.get_label() for line in fig.axes[0].get_lines())[:3]
    ['Gaussian, σ = 25', 'Poisson, peak 50', 'measured: Gaussian']
    """
    level = check_sigma(sigma)
    peak = check_positive_number(peak, "peak")
    levels = check_positive_int(levels, "levels")
    samples = check_positive_int(samples, "samples")
    seed = check_non_negative_int(seed, "seed")
    intensity = np.linspace(0.0, 1.0, levels, dtype=np.float32)
    clean = np.repeat(intensity[:, None], samples, axis=1)
    noisy = _noisy_versions(clean, level, peak, seed)
    grid = np.linspace(0.0, 1.0, 201)
    predicted = {
        f"Gaussian, σ = {level:g}": np.full_like(grid, level),
        f"Poisson, peak {peak:g}": 255 * np.sqrt(grid / peak),
        f"speckle, σ = {level:g}": grid * level,
    }
    fig = new_figure(6.4, 3.8)
    ax = fig.add_subplot()
    for (name, values), (label, curve) in zip(noisy.items(), predicted.items(), strict=True):
        colour = _NOISE_COLOURS[name]
        ax.plot(grid, curve, color=colour, linewidth=1.5, label=label)
        measured = ((values.astype(np.float64) - clean) * 255).std(axis=1)
        ax.plot(intensity, measured, "o", color=colour, markersize=4, label=f"measured: {name}")
    ax.set_xlabel("clean intensity x")
    ax.set_ylabel("noise standard deviation (0–255 scale)")
    ax.set_xlim(0, 1)
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, ncols=2, loc="upper left")
    ax.set_title("Lines: the noise model; dots: measured on flat patches", fontsize=10)
    return fig


def plot_residual_learning(
    model: keras.Model, clean: np.ndarray, *, sigma: float = 25, seed: int = 0
) -> Figure:
    r"""Show what a residual denoiser computes: :math:`\hat x = y - R(y)`.

    Parameters
    ----------
    model : keras.Model
        A trained residual denoiser, such as the shipped ``dncnn25``
        (:func:`deepdenoise.weights.load_pretrained`).
    clean : numpy.ndarray
        Clean gray image in [0, 1], (H, W).
    sigma : float, default 25
        Gaussian noise level, 0-255 scale.
    seed : int, default 0

    Returns
    -------
    matplotlib.figure.Figure
        Five panels: the noisy input :math:`y`, the network's noise estimate
        :math:`R(y) = y - \hat x`, the result :math:`\hat x`, the true noise
        :math:`v = y - x` and the clean image :math:`x`. Noise panels are
        drawn with mid-gray at 0 and black and white at :math:`\mp 3\sigma`.

    Raises
    ------
    ValueError
        If ``clean`` is not a gray image in [0, 1].
    """
    if not isinstance(model, keras.Model):
        raise ArgumentTypeError(f"model must be a keras.Model, got {type(model).__name__}")
    truth = _gray(clean, "clean")
    level = check_sigma(sigma)
    seed = check_non_negative_int(seed, "seed")
    noisy = noise.add_gaussian_noise(truth, level, seed=seed)
    result = denoise(model, noisy, level, tile=None)
    span = 6 * level / 255

    def as_gray(values: np.ndarray) -> np.ndarray:
        return 0.5 + values / span

    panels = {
        f"noisy input y\nPSNR {metrics.psnr(truth, noisy):.2f} dB": noisy,
        "network output R(y):\nthe estimated noise": as_gray(noisy - result),
        f"x̂ = y − R(y)\nPSNR {metrics.psnr(truth, result):.2f} dB": result,
        "true noise v = y − x\n(the network's target)": as_gray(noisy - truth),
        "clean x\n(reference)": truth,
    }
    fig = new_figure(8.2, 2.05)
    for index, (title, values) in enumerate(panels.items()):
        show_gray(fig.add_subplot(1, 5, index + 1), values, title, fontsize=9)
    return fig


def _check_sigmas(sigmas: object) -> list[float]:
    if not isinstance(sigmas, Sequence) or isinstance(sigmas, str) or not sigmas:
        raise ArgumentTypeError(f"sigmas must be a non-empty sequence of numbers, got {sigmas!r}")
    return [check_sigma(s, f"sigmas[{i}]") for i, s in enumerate(sigmas)]


def plot_noisy_psnr(
    image: np.ndarray,
    *,
    sigmas: Sequence[float] = (5, 10, 15, 20, 25, 30, 40, 50, 60, 75),
    seed: int = 0,
) -> Figure:
    r"""Plot the PSNR of a noisy image against :math:`\sigma`: formula, float, clipped, 8-bit.

    The formula :math:`20 \log_{10}(255 / \sigma)` holds for noise added in
    floating point and left alone, as the benchmark protocol does. Clipping
    the noisy image to [0, 1], or saving it as an 8-bit file
    (:func:`deepdenoise.noise.quantize`), removes part of the noise at dark
    and bright pixels, and the PSNR comes out higher.

    Parameters
    ----------
    image : numpy.ndarray
        Clean gray image in [0, 1], (H, W).
    sigmas : sequence of float
        Noise levels, 0-255 scale.
    seed : int, default 0
        Seed of the noise; the same noise is used for the three measurements.

    Returns
    -------
    matplotlib.figure.Figure
        Lines labelled ``"20·log10(255/σ)"``, ``"float noise (protocol)"``,
        ``"clipped to [0, 1]"`` and ``"clipped and 8-bit"``.

    Examples
    --------
    >>> import numpy as np
    >>> clean = np.random.default_rng(0).uniform(size=(64, 64))
    >>> fig = plot_noisy_psnr(clean, sigmas=[10, 50])
    >>> [line.get_label() for line in fig.axes[0].get_lines()][0]
    '20·log10(255/σ)'
    """
    clean = _gray(image, "image")
    levels = _check_sigmas(sigmas)
    seed = check_non_negative_int(seed, "seed")
    measured: dict[str, list[float]] = {
        "float noise (protocol)": [],
        "clipped to [0, 1]": [],
        "clipped and 8-bit": [],
    }
    for level in levels:
        noisy = noise.add_gaussian_noise(clean, level, seed=seed)
        measured["float noise (protocol)"].append(metrics.psnr(clean, noisy))
        measured["clipped to [0, 1]"].append(metrics.psnr(clean, np.clip(noisy, 0, 1)))
        measured["clipped and 8-bit"].append(metrics.psnr(clean, noise.quantize(noisy)))
    fig = new_figure(8.4, 3.4)
    ax, gap = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    grid = np.linspace(min(levels), max(levels), 200)
    formula = 20 * np.log10(255 / np.asarray(levels))
    ax.plot(
        grid,
        20 * np.log10(255 / grid),
        color=GRAY,
        linewidth=4,
        alpha=0.6,
        label="20·log10(255/σ)",
    )
    gap.axhline(0.0, color=GRAY, linewidth=4, alpha=0.6)
    styles = {
        "float noise (protocol)": (BLUE, "o", "-"),
        "clipped to [0, 1]": (ORANGE, "s", "-"),
        "clipped and 8-bit": (VERMILION, "^", "--"),
    }
    for label, values in measured.items():
        colour, marker, line = styles[label]
        style: dict[str, Any] = {
            "marker": marker,
            "color": colour,
            "linestyle": line,
            "linewidth": 1.2,
            "markersize": 5,
        }
        ax.plot(levels, values, label=label, **style)
        gap.plot(levels, np.asarray(values) - formula, **style)
    ax.set_xlabel("σ (0–255 scale)")
    ax.set_ylabel("PSNR of the noisy image (dB)")
    ax.legend(fontsize=9)
    ax.set_title("PSNR of the noisy image", fontsize=10)
    gap.set_xlabel("σ (0–255 scale)")
    gap.set_ylabel("measured − formula (dB)")
    gap.set_title("Distance from 20·log10(255/σ)", fontsize=10)
    for axes in (ax, gap):
        axes.grid(alpha=0.3)
    return fig


def plot_opponent_channels(image: np.ndarray, *, sigma: float = 25, seed: int = 0) -> Figure:
    r"""Show a colour photo and its noisy version as brightness and two colour differences.

    The channels are those of :data:`deepdenoise.models.opponent.OPPONENT`
    (with its offsets): brightness :math:`(R + G + B)/3` and the colour
    differences :math:`(R - B)/2` and :math:`(R - 2G + B)/4`. The photo's
    detail is in the brightness, the colour differences are smooth, and the
    noise, independent in R, G and B, is of similar strength in all three.

    Parameters
    ----------
    image : numpy.ndarray
        Clean RGB image in [0, 1], (H, W, 3).
    sigma : float, default 25
        Gaussian noise added to each RGB channel, 0-255 scale.
    seed : int, default 0
        Seed of the noise.

    Returns
    -------
    matplotlib.figure.Figure
        Two rows of four images (clean, then noisy): the RGB image and its
        three opponent channels, each on the same gray scale [0, 1]. A
        channel's title gives the standard deviation of the clean channel
        (first row) or of the noise in it (second row), on the 0-255 scale.

    Examples
    --------
    >>> import numpy as np
    >>> clean = np.random.default_rng(0).uniform(size=(32, 32, 3))
    >>> fig = plot_opponent_channels(clean, sigma=20)
    >>> len(fig.axes), fig.axes[1].get_title().splitlines()[0]
    (8, 'brightness')
    """
    from deepdenoise.models.opponent import OPPONENT, OPPONENT_OFFSET

    clean = check_image(image, "image", ndims=(3,))
    if clean.shape[-1] != 3:
        raise ValueError(f"image must be RGB (H, W, 3), got shape {clean.shape}")
    if clean.min() < 0 or clean.max() > 1:
        raise ValueError(f"image must hold values in [0, 1], got [{clean.min()}, {clean.max()}]")
    level = check_sigma(sigma, "sigma")
    seed = check_non_negative_int(seed, "seed")
    noisy = noise.add_gaussian_noise(clean, level, seed=seed)
    matrix = np.asarray(OPPONENT, dtype=np.float64)
    offset = np.asarray(OPPONENT_OFFSET, dtype=np.float64)
    to_opponent = lambda rgb: rgb.astype(np.float64) @ matrix.T + offset  # noqa: E731
    clean_opp, noisy_opp = to_opponent(clean), to_opponent(noisy)
    names = ("brightness", "red - blue", "red + blue - 2 green")
    fig = new_figure(10.0, 4.4)
    axes = fig.subplots(2, 4)
    for row, (label, rgb, opponent) in enumerate(
        [("clean", clean, clean_opp), (f"noisy, σ = {level:g} per RGB channel", noisy, noisy_opp)]
    ):
        axes[row, 0].imshow(np.clip(rgb, 0, 1))
        axes[row, 0].set_title(label, fontsize=9)
        axes[row, 0].set_axis_off()
        for c, name in enumerate(names):
            show_gray(axes[row, c + 1], opponent[..., c])
            if row == 0:
                detail = f"image std {255 * clean_opp[..., c].std():.1f}"
            else:
                detail = f"noise std {255 * (noisy_opp[..., c] - clean_opp[..., c]).std():.1f}"
            axes[row, c + 1].set_title(f"{name}\n{detail}", fontsize=9)
    return fig
